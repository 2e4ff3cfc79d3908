"""A run stopped during the transform (SIGTERM from `timeout`, systemd or
docker; SIGKILL from the OOM killer) leaves no process behind: the
forkserver, the resource tracker and the workers go with it within seconds.
SIGTERM is a clean stop like Ctrl-C: staged work is kept and the next run
finishes the job."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psutil
import pytest
from conftest import rows, write_config
from newsgen import page, rss
from servers import serve

PAGES = 60  # enough for two shards in two worker processes
DAY0 = datetime(2024, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site():
    routes: dict = {}
    with serve(routes) as base:
        items = []
        for i in range(PAGES):
            published = DAY0 + timedelta(minutes=i)
            routes[f"/a/{i}"] = page(f"Story {i}", published, 1000 + i)
            items.append((f"Story {i}", base + f"/a/{i}", published))
        routes["/feed"] = rss(items)
        yield base


def _start(cfg) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _workers_busy(proc: subprocess.Popen) -> list[psutil.Process]:
    """Read the run's progress until the transform starts, then wait (on the
    process table, not a clock) until its worker processes exist; return the
    run's descendants."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("[transform]"):
            break
    else:
        raise AssertionError(f"the run ended before its transform: {proc.wait()}")
    main = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        family = main.children(recursive=True)
        # forkserver, resource tracker and two workers (children of the forkserver)
        if sum(1 for p in family if p.ppid() != proc.pid) >= 2:
            return family
        psutil.wait_procs([main], timeout=0.1)
    raise AssertionError("no worker processes appeared")


def _gone_within(family: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(family, timeout=seconds)
    return alive


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_process_outlives_a_stopped_run(signum, site, tmp_path):
    db = tmp_path / "wh.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[site + "/feed"],
                       allow=["127.0.0.1/32"], extra="")
    cfg.write_text(cfg.read_text().replace("[warehouse]\n", "[warehouse]\nworkers = 2\n"))
    proc = _start(cfg)
    try:
        family = _workers_busy(proc)
        assert len(family) >= 3, family
        os.kill(proc.pid, signum)
        code = proc.wait(timeout=60)
        alive = _gone_within(family, 10)
        assert not alive, [(p.pid, p.name()) for p in alive]
        if signum == signal.SIGTERM:
            assert code == 143
            assert proc.stderr is not None
            assert "terminated (SIGTERM)" in proc.stderr.read()
        else:
            assert code == -signal.SIGKILL
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # what was staged is kept: the next run completes the warehouse
    again = subprocess.run(
        [sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(cfg), "--quiet"],
        capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT count(*) FROM articles") == [(PAGES,)]
    assert rows(db, "SELECT count(*) FROM documents WHERE status = 'pending'") == [(0,)]

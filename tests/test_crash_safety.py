"""A run killed at any point and run again leaves the warehouse an
uninterrupted run would have left; readers and the loader wait for each other."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import write_config

from claimwire.failpoints import POINTS
from claimwire.sample_site import serve_sample_site

LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture(scope="module")
def site():
    with serve_sample_site(port=0) as running:
        yield running


def ingest(cfg: Path, failpoint: str | None = None) -> subprocess.CompletedProcess:
    """`claimwire ingest` in a subprocess; with a failpoint, the run kills itself there.

    The run has a process group of its own: once its main process is gone,
    whatever it started (worker pool, forkserver) is killed with it, so the
    test never waits for orphans that still hold its output pipes.
    """
    env = dict(os.environ)
    env.pop("CLAIMWIRE_FAILPOINT", None)
    if failpoint:
        env["CLAIMWIRE_FAILPOINT"] = failpoint
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(cfg), "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        code = os.waitpid(proc.pid, 0)[1]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.returncode = os.waitstatus_to_exitcode(code)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def snapshot(db: Path) -> dict[str, set]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "articles": set(con.execute(
                "SELECT article_id, canonical_url, title, content_hash, duplicate_of FROM articles"
            ).fetchall()),
            "article_urls": set(
                con.execute("SELECT canonical_url, article_id FROM article_urls").fetchall()),
            "documents": set(con.execute(
                "SELECT doc_id, canonical_url, raw_sha256, status FROM documents").fetchall()),
            "claims": set(con.execute(
                "SELECT claim_id, article_id, speaker_canonical, stance, content FROM claims"
            ).fetchall()),
            "feed_items": set(con.execute("SELECT item_id FROM feed_items").fetchall()),
            "feeds": set(con.execute("SELECT feed_url, etag, body_sha256 FROM feeds").fetchall()),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory) -> dict[str, set]:
    root = tmp_path_factory.mktemp("clean")
    cfg = write_config(root / "c.toml", db=root / "clean.duckdb",
                       feeds=[site.rss_url, site.atom_url], allow=LOOPBACK)
    done = ingest(cfg)
    assert done.returncode == 0, done.stderr
    return snapshot(root / "clean.duckdb")


@pytest.mark.parametrize("point", POINTS)
def test_killed_run_then_rerun_equals_clean_run(point, site, reference, tmp_path):
    db = tmp_path / "crash.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[site.rss_url, site.atom_url],
                       allow=LOOPBACK)
    killed = ingest(cfg, failpoint=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = ingest(cfg)
    assert again.returncode == 0, again.stderr
    assert snapshot(db) == reference
    assert reference["articles"] and reference["claims"]
    # and a third run changes nothing
    assert ingest(cfg).returncode == 0
    assert snapshot(db) == reference


def _hold(db: Path, read_only: bool) -> subprocess.Popen:
    """A process holding the warehouse open until a line arrives on its stdin."""
    code = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(db)!r}, read_only={read_only})\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n"
        "con.close()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _release(holder: subprocess.Popen) -> None:
    assert holder.stdin is not None
    holder.stdin.write("go\n")
    holder.stdin.flush()
    holder.wait(timeout=30)


def _run_until_it_waits(args: list[str], holder: subprocess.Popen) -> tuple[int, str, str]:
    """Run `args` while `holder` has the warehouse; release it only once the
    run says it is waiting for it, so the run cannot finish first."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    said = []
    for line in proc.stderr:  # blocks until the run writes; ends if it exits
        said.append(line)
        if "busy" in line:
            break
    _release(holder)
    stdout, rest = proc.communicate(timeout=120)
    return proc.returncode, stdout, "".join(said) + rest


def test_reader_waits_for_a_writer_and_writer_for_a_reader(site, tmp_path):
    db = tmp_path / "busy.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[site.rss_url], allow=LOOPBACK)
    assert ingest(cfg).returncode == 0

    code, out, err = _run_until_it_waits(
        [sys.executable, "-m", "claimwire.cli", "sql", "SELECT count(*) AS n FROM articles",
         "--config", str(cfg), "--format", "csv"],
        _hold(db, read_only=False))
    assert code == 0, err
    assert out.split() == ["n", "5"]
    assert "busy" in err

    code, out, err = _run_until_it_waits(
        [sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(cfg), "--quiet"],
        _hold(db, read_only=True))
    assert code == 0, err
    assert "busy" in err

"""Failures the user must act on are one line and exit status 1 (the machine,
the warehouse file) or 2 (the input, the arguments), never a traceback: a
full disk, a damaged warehouse, read-only directories, a file held by
another process, and arguments out of range.

The full disk is a real one: a small tmpfs mounted for the test (skipped
where mounting is not allowed)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import rows, write_config

from claimwire.cli import main
from claimwire.sample_site import serve_sample_site

LOOPBACK = ["127.0.0.1/32"]


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "claimwire.cli", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})
    return done.returncode, done.stdout, done.stderr


def assert_one_line(code: int, err: str, expected_code: int) -> None:
    """The error is one line, the last; before it at most progress lines and
    warnings the run logged on its way (never a traceback)."""
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("claimwire: error: "), err
    assert sum(1 for line in lines if line.startswith("claimwire: error: ")) == 1, err


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "none", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture(scope="module")
def site():
    with serve_sample_site(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def loaded(site, tmp_path_factory) -> Path:
    """A warehouse after one clean ingest of the sample site (copy it before damaging it)."""
    root = tmp_path_factory.mktemp("loaded")
    cfg = write_config(root / "c.toml", db=root / "wh.duckdb", feeds=[site.rss_url],
                       allow=LOOPBACK)
    assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
    return root / "wh.duckdb"


def _copy(loaded: Path, site, tmp_path: Path) -> Path:
    shutil.copy(loaded, tmp_path / "wh.duckdb")
    return write_config(tmp_path / "c.toml", db=tmp_path / "wh.duckdb", feeds=[site.rss_url],
                        allow=LOOPBACK)


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:20_000])


def _bad_checksums(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for block in range(12_288, len(data), 262_144):  # DuckDB's 256 KiB blocks after the headers
        data[block + 100 : block + 4196] = b"\xff" * 4096
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncated, _bad_checksums], ids=["truncated", "checksum"])
def test_damaged_warehouse_file(damage, loaded, site, tmp_path):
    cfg = _copy(loaded, site, tmp_path)
    damage(tmp_path / "wh.duckdb")
    for command in (["status"], ["claims"], ["search", "troops"], ["ingest", "--quiet"]):
        code, _, err = cli(*command, "--config", str(cfg))
        assert_one_line(code, err, 1)
        assert "wh.duckdb" in err


def test_full_disk_during_derive_and_ingest(site, tmp_path):
    with tmpfs(tmp_path / "small", "64m") as disk:
        cfg = write_config(tmp_path / "c.toml", db=disk / "wh.duckdb",
                           feeds=[site.rss_url, site.atom_url], allow=LOOPBACK)
        # stop inside the derive step, so that articles stay queued for it
        code, _, _ = cli("ingest", "--config", str(cfg), "--quiet",
                         env={"CLAIMWIRE_FAILPOINT": "derive_in_transaction"})
        assert code == -9
        filler = disk / "filler"
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * (1 << 20))
        code, _, err = cli("derive", "--config", str(cfg), "--quiet")
        assert_one_line(code, err, 1)
        assert "no space left on device" in err.lower() and "cannot rollback" not in err
        code, _, err = cli("ingest", "--config", str(cfg), "--quiet")
        assert_one_line(code, err, 1)
        assert "no space left on device" in err.lower()
        filler.unlink()
        code, out, err = cli("derive", "--config", str(cfg), "--quiet")
        assert code == 0, err
        assert rows(disk / "wh.duckdb", "SELECT count(*) FROM derive_queue") == [(0,)]


@pytest.mark.parametrize("which", ["staging", "raw"])
def test_read_only_staging_or_archive_directory(which, site, tmp_path):
    db = tmp_path / "wh.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[site.rss_url], allow=LOOPBACK)
    with tmpfs(tmp_path / f"wh-{which}", "1m", read_only=True):
        code, _, err = cli("ingest", "--config", str(cfg), "--quiet")
    assert_one_line(code, err, 1)
    assert "Read-only file system" in err and f"wh-{which}" in err


def test_held_warehouse_names_the_holder(loaded, site, tmp_path):
    cfg = _copy(loaded, site, tmp_path)
    cfg.write_text(cfg.read_text().replace("[warehouse]\n", "[warehouse]\nlock_timeout = 1\n"))
    code = ("import duckdb, sys\n"
            f"con = duckdb.connect({str(tmp_path / 'wh.duckdb')!r}, read_only=True)\n"
            "print('held', flush=True)\nsys.stdin.readline()\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        status, _, err = cli("ingest", "--config", str(cfg), "--quiet")
        assert time.monotonic() - started < 60
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    lines = [line for line in err.splitlines() if "busy" not in line]
    assert status == 1 and len(lines) == 1, err
    assert f"is held by PID {holder.pid}" in lines[0] and "gave up after waiting 1s" in lines[0]


def test_argument_mistakes(loaded, site, tmp_path, capsys):
    cfg = _copy(loaded, site, tmp_path)
    deep = tmp_path / "deep.opml"
    deep.write_text("<opml><body>" + '<outline text="x">' * 5000
                    + '<outline xmlUrl="http://example.com/f"/>' + "</outline>" * 5000
                    + "</body></opml>")
    (tmp_path / "out").mkdir()
    for argv in (["feeds", "import", str(deep)],
                 ["backfill", "--from", "2024-01-01", "--to", "9999-12-31"],
                 ["sql", ""],
                 ["claims", "--limit", "-1"],
                 ["search", "troops", "--limit", "0"],
                 ["export-warc", str(tmp_path / "out")]):
        with pytest.raises(SystemExit) if argv[0] in ("backfill", "claims", "search") \
                else contextlib.nullcontext() as stopped:
            code = main([*argv, "--config", str(cfg)])
        if stopped is not None:
            code = stopped.value.code
        _, err = capsys.readouterr()
        assert_one_line(code, err, 2)


def test_claims_speaker_is_matched_literally(loaded, site, tmp_path, capsys):
    cfg = _copy(loaded, site, tmp_path)
    assert main(["claims", "--speaker", "%", "--config", str(cfg), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        "day,speaker,stance,quote,cue,content,site,title"]
    assert main(["claims", "--speaker", "rutte", "--config", str(cfg), "--format", "csv"]) == 0
    found = capsys.readouterr().out.strip().splitlines()[1:]
    assert found and all("Rutte" in line for line in found)


def test_plans_and_batches_of_killed_runs_are_cleared(site, tmp_path):
    db = tmp_path / "wh.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[site.rss_url], allow=LOOPBACK)
    plans = tmp_path / "wh-staging" / "plans"
    plans.mkdir(parents=True)
    old_plan, new_plan = plans / "poll-dead-0000.json", plans / "poll-live-0000.json"
    old_batch = tmp_path / "wh-staging" / ".tmp-dead"
    old_batch.mkdir()
    for path in (old_plan, new_plan):
        path.write_text('{"feeds": []}')
    two_days_ago = time.time() - 2 * 86400
    for path in (old_plan, old_batch):
        os.utime(path, (two_days_ago, two_days_ago))
    assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
    assert not old_plan.exists() and not old_batch.exists()
    assert new_plan.exists()  # may belong to a run still going
    assert sorted(p.name for p in plans.iterdir()) == [new_plan.name]  # the run's own are gone

"""Backfill from Common Crawl's news archive, against a CC-NEWS lookalike on 127.0.0.1
(`ccnews_site`: two months of listings, six WARC files; its docstring has the plan)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from ccnews_site import EXPECTED, cc_news_site, routes_for
from conftest import rows, write_config
from servers import Reply, serve

from claimwire.cli import main

PREFIX = "/crawl-data/CC-NEWS"
RANGE = ["--from", "2024-10-31", "--to", "2024-11-01"]
DOMAINS = ["--domain", "example-news.com", "--domain", "daily.test"]


@pytest.fixture(scope="module")
def site():
    files = cc_news_site()
    with serve(routes_for(files)) as base:
        yield base


def args_for(cfg: Path, base: str, *extra: str) -> list[str]:
    return ["backfill", *RANGE, "--cc-news", "--cc-base", base + "/", *DOMAINS,
            "--allow-network", "127.0.0.0/8", "--config", str(cfg), *extra]


def warc_requests(base, since: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.path.rsplit("/", 1)[-1][8:22] for r in base.requests[since:]
            if r.path.endswith(".warc.gz")]


def loaded(db: Path) -> set[str]:
    return {u for (u,) in rows(db, "SELECT canonical_url FROM articles")}


def test_backfill_loads_exactly_the_range_of_the_chosen_domains(site, tmp_path, capsys):
    db = tmp_path / "cc.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[])
    since = len(site.requests)
    assert main(args_for(cfg, site)) == 0
    out, err = capsys.readouterr()
    assert loaded(db) == EXPECTED
    assert {u for (u,) in rows(db, "SELECT canonical_url FROM documents")} == EXPECTED
    # Only the selected files were fetched, each once, in crawl order.
    assert warc_requests(site, since) == [
        "20241030220000", "20241031060000", "20241101080000", "20241103000000"]
    months = sorted(r.path for r in site.requests[since:] if r.path.endswith("paths.gz"))
    assert months == [f"{PREFIX}/2024/10/warc.paths.gz", f"{PREFIX}/2024/11/warc.paths.gz"]
    # What was skipped, counted per file; the cut-off record is damage, not a crash.
    assert "4 of 6 WARC file(s) listed in 2 month(s) (2024-10, 2024-11)" in err
    f3 = next(line for line in err.splitlines() if "file 2/4 done" in line)
    assert "9 records read, 2 page(s) kept" in f3
    assert ("skipped 1 of other domains, 2 not HTML, 1 out of range, 1 not 200, "
            "2 not responses, 0 too large, 0 damaged") in f3
    f4 = next(line for line in err.splitlines() if "file 3/4 done" in line)
    assert "2 page(s) kept" in f4 and "1 damaged (" in f4 and "truncated" in f4
    assert "ETA" in f3 and "MB/s" in f3
    assert "[4/4] cc-news[" in err
    assert ":2024/11/CC-NEWS-20241103000000-00104.warc.gz: staged" in err
    # The files fetched are recorded as fetches.
    fetched = rows(db, "SELECT url, status, error FROM fetches WHERE kind = 'warc' ORDER BY url")
    assert [(u.rsplit("-", 2)[-2], s, e) for u, s, e in fetched] == [
        ("20241030220000", 200, None), ("20241031060000", 200, None),
        ("20241101080000", 200, None), ("20241103000000", 200, None)]
    assert "articles loaded   6" in out

    # Again: nothing new, the same rows.
    before = rows(db, "SELECT article_id, canonical_url, content_hash FROM articles ORDER BY 1")
    assert main(args_for(cfg, site, "--quiet")) == 0
    assert rows(db, "SELECT article_id, canonical_url, content_hash FROM articles "
                    "ORDER BY 1") == before
    assert rows(db, "SELECT count(*) FROM documents") == [(len(EXPECTED),)]


def test_the_address_guard_applies_to_cc_news(site, tmp_path, capsys):
    db = tmp_path / "cc.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[])
    since = len(site.requests)
    args = [a for a in args_for(cfg, site) if a not in ("--allow-network", "127.0.0.0/8")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "blocked_address" in err and "warc.paths.gz" in err
    assert site.requests[since:] == []


def test_usage_errors(tmp_path, capsys):
    cfg = write_config(tmp_path / "c.toml", db=tmp_path / "x.duckdb", feeds=[])
    assert main(["backfill", *RANGE, "--domain", "example.com", "--config", str(cfg)]) == 2
    assert "go with --cc-news" in capsys.readouterr().err
    # no --domain, no [backfill] domains and no feeds: nothing to choose pages by
    assert main(["backfill", *RANGE, "--cc-news", "--config", str(cfg)]) == 2
    assert "--domain" in capsys.readouterr().err
    assert main(["backfill", *RANGE, "--cc-news", "--domain", "not a domain!",
                 "--config", str(cfg)]) == 2
    assert "not a domain" in capsys.readouterr().err


# ------------------------------------------------------------------ crash and resume


def backfill_process(cfg: Path, base: str, failpoint: str | None = None
                     ) -> subprocess.CompletedProcess:
    """`claimwire backfill --cc-news` in a process group of its own (see test_crash_safety)."""
    env = {k: v for k, v in os.environ.items() if k != "CLAIMWIRE_FAILPOINT"}
    if failpoint:
        env["CLAIMWIRE_FAILPOINT"] = failpoint
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimwire.cli", *args_for(cfg, base)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def snapshot(db: Path) -> dict[str, set]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "articles": set(con.execute(
                "SELECT article_id, canonical_url, title, content_hash, published_at, "
                "duplicate_of FROM articles").fetchall()),
            "documents": set(con.execute(
                "SELECT doc_id, canonical_url, raw_sha256, published_at, status "
                "FROM documents").fetchall()),
            "claims": set(con.execute(
                "SELECT claim_id, article_id, content FROM claims").fetchall()),
            "fetches": set(con.execute(
                "SELECT url, status, bytes, error FROM fetches").fetchall()),
        }
    finally:
        con.close()


def test_killed_inside_a_warc_then_rerun_equals_an_uninterrupted_run(site, tmp_path):
    clean_db = tmp_path / "clean" / "cc.duckdb"
    clean = backfill_process(write_config(tmp_path / "clean.toml", db=clean_db, feeds=[]), site)
    assert clean.returncode == 0, clean.stderr
    reference = snapshot(clean_db)
    assert {u for _, u, *_ in reference["articles"]} == EXPECTED

    db = tmp_path / "crash" / "cc.duckdb"
    cfg = write_config(tmp_path / "crash.toml", db=db, feeds=[])
    since = len(site.requests)
    # The second kept page is in the second file (F3), its first in F2: killed mid-F3.
    killed = backfill_process(cfg, site, failpoint="cc_news_page_archived@2")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "[1/4] cc-news[" in killed.stderr and "[2/4]" not in killed.stderr
    assert warc_requests(site, since) == ["20241030220000", "20241031060000"]

    since = len(site.requests)
    again = backfill_process(cfg, site)
    assert again.returncode == 0, again.stderr
    # The finished file is not read again; the interrupted one is, from its start.
    assert "[1/4] cc-news[" in again.stderr
    assert "done in an earlier, interrupted run" in again.stderr
    assert warc_requests(site, since) == ["20241031060000", "20241101080000", "20241103000000"]
    assert snapshot(db) == reference


# ------------------------------------------------------------------ failures


def test_a_listed_file_the_server_lacks_is_recorded_and_skipped(tmp_path, capsys):
    files = cc_news_site()
    routes = routes_for(files)
    missing = "/crawl-data/CC-NEWS/2024/10/CC-NEWS-20241031060000-00102.warc.gz"
    routes[missing] = Reply(status=404, body=b"gone")
    db = tmp_path / "cc.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[])
    with serve(routes) as base:
        assert main(args_for(cfg, base)) == 0
    err = capsys.readouterr().err
    assert "file 2/4 done: FAILED: http_status: 404" in err
    # daily-1 was crawled again in a later file
    assert loaded(db) == EXPECTED - {"https://news.daily.test/a/undated"}
    assert rows(db, "SELECT status, error FROM fetches WHERE url LIKE '%00102.warc.gz'") == [
        (404, "http_status: 404")]
    assert rows(db, "SELECT errors FROM runs") == [(1,)]


def test_a_transfer_broken_mid_file_stops_the_run_and_a_rerun_resumes_there(tmp_path, capsys):
    files = cc_news_site()
    routes = routes_for(files)
    path = "crawl-data/CC-NEWS/2024/10/CC-NEWS-20241031060000-00102.warc.gz"
    data = files[path]
    # First a transfer that promises every byte and hangs up halfway; then the whole file.
    routes["/" + path] = [
        Reply(body=iter([data[: len(data) // 2]]), close=True,
              headers={"Content-Length": str(len(data))}),
        Reply(body=data),
    ]
    db = tmp_path / "cc.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[])  # retries = 0: no Range resume
    with serve(routes) as base:
        assert main(args_for(cfg, base)) == 1
        err = capsys.readouterr().err
        assert "CC-NEWS file " + path in err and "read_error" in err
        assert "run the same backfill again to resume at this file" in err
        assert warc_requests(base) == ["20241030220000", "20241031060000"]
        assert main(args_for(cfg, base)) == 0
        err = capsys.readouterr().err
        assert "done in an earlier, interrupted run" in err
        assert warc_requests(base) == ["20241030220000", "20241031060000", "20241031060000",
                                       "20241101080000", "20241103000000"]
    assert loaded(db) == EXPECTED

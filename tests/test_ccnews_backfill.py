"""Backfill from Common Crawl's news archive, against a CC-NEWS lookalike on 127.0.0.1.

The server holds two months of `warc.paths.gz` and six small gzip WARC files
written here with warcio (several sites, pages published inside and outside
the range, non-HTML and non-200 responses, a file cut off inside its last
record). The range is 2024-10-31 .. 2024-11-01 with the default 3-day margin:

    file (crawl start)        selected?                    pages kept
    F1 2024-10-29 12:00       no: closed before the range  -
    F2 2024-10-30 22:00       yes: open when it began      edge-start (published 00:00:00)
    F3 2024-10-31 06:00       yes                          daily-1, undated (WARC-Date)
    F4 2024-11-01 08:00       yes, cut off at the end      nov-1, late (23:59:59)
    F5 2024-11-03 00:00       yes: in the margin           margin (published Nov 1)
    F6 2024-11-06 00:00       no: after the margin         -
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import signal
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import rows, write_config
from newsgen import article_html, article_text
from servers import Reply, serve
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claimwire.cli import main

PREFIX = "/crawl-data/CC-NEWS"
RANGE = ["--from", "2024-10-31", "--to", "2024-11-01"]
DOMAINS = ["--domain", "example-news.com", "--domain", "daily.test"]
EXPECTED = {
    "https://www.example-news.com/a/edge-start",
    "https://daily.test/a/daily-1",
    "https://news.daily.test/a/undated",
    "https://example-news.com/a/nov-1",
    "https://daily.test/a/late",
    "https://daily.test/a/margin",
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Crawl:
    """Writes one WARC.gz the way CC-NEWS files look: a warcinfo record, then captures."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.out = io.BytesIO()
        self.writer = WARCWriter(self.out, gzip=True, warc_version="1.0")
        self.writer.write_record(self.writer.create_warcinfo_record(name, {"software": "test"}))
        self.last_start = 0

    def page(self, url: str, published: str | None, captured: str, **kw: object) -> Crawl:
        seed = zlib.crc32(url.encode()) % 100_000
        if published:
            body = article_html(url.rsplit("/", 1)[-1], _at(published), seed)
        else:  # no date in the page: the capture time places it
            paras = "".join(f"<p>{p}</p>" for p in article_text(seed))
            body = (f'<html lang="en"><head><title>{url}</title></head><body><article>'
                    f"<h1>Undated</h1>{paras}</article></body></html>")
        return self.response(url, body.encode(), captured, **kw)

    def response(self, url: str, body: bytes, captured: str, *,
                 content_type: str = "text/html; charset=utf-8", status: str = "200 OK") -> Crawl:
        self.last_start = self.out.tell()
        http = StatusAndHeaders(status, [("Content-Type", content_type),
                                         ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        self.writer.write_record(self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": captured}))
        return self

    def request(self, url: str, captured: str) -> Crawl:
        self.writer.write_record(self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            warc_headers_dict={"WARC-Date": captured}))
        return self

    def data(self) -> bytes:
        return self.out.getvalue()

    def cut_in_last_record(self) -> bytes:
        """The file as a broken transfer or disk would leave it: ending mid-record."""
        data = self.data()
        return data[: self.last_start + (len(data) - self.last_start) // 2]


def cc_news_site() -> dict[str, bytes]:
    """Path (as listed) -> the WARC file's bytes."""
    files: dict[str, bytes] = {}

    def add(stamp: str, number: int, crawl: Crawl) -> None:
        month = f"{stamp[:4]}/{stamp[4:6]}"
        files[f"crawl-data/CC-NEWS/{month}/CC-NEWS-{stamp}-{number:05d}.warc.gz"] = crawl.data()

    add("20241029120000", 100, Crawl("f1").page(
        "https://example-news.com/a/f1-old", "2024-10-29T13:00:00Z", "2024-10-29T14:00:00Z"))
    add("20241030220000", 101, Crawl("f2")
        .page("https://example-news.com/a/edge-before", "2024-10-30T23:59:59Z",
              "2024-10-30T23:59:59Z")
        .page("https://www.example-news.com/a/edge-start", "2024-10-31T00:00:00Z",
              "2024-10-31T00:20:00Z")
        .page("https://other.org/a/elsewhere", "2024-10-31T02:00:00Z", "2024-10-31T02:10:00Z"))
    add("20241031060000", 102, Crawl("f3")
        .page("https://daily.test/a/daily-1", "2024-10-31T10:00:00+02:00",
              "2024-10-31T08:30:00Z")
        .page("https://notexample-news.com/a/lookalike", "2024-10-31T09:00:00Z",
              "2024-10-31T09:10:00Z")
        .response("https://example-news.com/logo.png", b"\x89PNG\r\n\x1a\n....",
                  "2024-10-31T09:20:00Z", content_type="image/png")
        .response("https://example-news.com/report.pdf", b"%PDF-1.7 ....",
                  "2024-10-31T09:30:00Z", content_type="application/pdf")
        .page("https://example-news.com/a/missing", "2024-10-31T09:00:00Z",
              "2024-10-31T09:40:00Z", status="404 Not Found")
        .request("https://example-news.com/a/missing", "2024-10-31T09:40:00Z")
        .page("https://news.daily.test/a/undated", None, "2024-10-31T12:00:00Z")
        .page("https://example-news.com/a/old", "2024-10-20T08:00:00Z", "2024-10-31T13:00:00Z"))
    # The file on the server ends inside its last record's gzip member.
    files["crawl-data/CC-NEWS/2024/11/CC-NEWS-20241101080000-00103.warc.gz"] = (
        Crawl("f4")
        .page("https://example-news.com/a/nov-1", "2024-11-01T09:00:00Z",
              "2024-11-01T09:30:00Z")
        .page("https://daily.test/a/late", "2024-11-01T23:59:59Z", "2024-11-02T00:30:00Z")
        .page("https://example-news.com/a/cut-off", "2024-11-01T12:00:00Z",
              "2024-11-02T01:00:00Z")
        .cut_in_last_record())
    add("20241103000000", 104, Crawl("f5")
        .page("https://daily.test/a/margin", "2024-11-01T22:00:00Z", "2024-11-03T01:00:00Z")
        .page("https://example-news.com/a/next-day", "2024-11-02T00:00:00Z",
              "2024-11-03T02:00:00Z"))
    add("20241106000000", 105, Crawl("f6").page(
        "https://example-news.com/a/too-late", "2024-11-01T10:00:00Z", "2024-11-06T01:00:00Z"))
    return files


def routes_for(files: dict[str, bytes]) -> dict:
    routes: dict = {}
    months: dict[str, list[str]] = {}
    for path, data in files.items():
        routes["/" + path] = Reply(body=data, headers={"Content-Type": "application/octet-stream"})
        months.setdefault(path.rsplit("/", 1)[0], []).append(path)
    for month, paths in months.items():
        # A line without a crawl time is ignored, as is the order of the lines.
        listing = "\n".join([*reversed(paths), f"{month}/README.txt"]) + "\n"
        routes[f"/{month}/warc.paths.gz"] = Reply(
            body=gzip.compress(listing.encode()), headers={"Content-Type": "application/gzip"})
    return routes


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
    assert "2 page(s) kept" in f4 and "1 damaged" in f4
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
    assert loaded(db) == EXPECTED - {"https://daily.test/a/daily-1",
                                     "https://news.daily.test/a/undated"}
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

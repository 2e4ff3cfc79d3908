"""Runs you can read: failures by reason in the summary and in `claimwire failures`,
exit status 3 when every feed failed, failed pages retried with back-off (even
when the feed answers 304), an empty new feed reported as empty."""

from __future__ import annotations

from conftest import rows, write_config

from claimwire.cli import main

try:
    from servers import Reply, Seen, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, Seen, serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = ("<!doctype html><html><head><title>Story</title></head><body><article><h1>Story</h1>"
        + "<p>The minister said on Monday that the plan would go ahead as announced.</p>" * 8
        + "</article></body></html>")
LOOPBACK = ["127.0.0.1/32"]


def _rss(base: str, paths: list[str]) -> str:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link><guid>{p}</guid></item>"
                    for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           "</channel></rss>"


def _feed_with_etag(body_of):  # -> route answering 304 to a matching If-None-Match
    def route(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=body_of(), headers={"Content-Type": "application/rss+xml",
                                              "ETag": '"v1"'})
    return route


def _count(base, path: str) -> int:
    return sum(1 for s in base.requests if s.path == path)


def test_summary_groups_failures_and_failures_command_lists_them(tmp_path, db_path, capsys):
    routes: dict = {"/ok": Reply(body=PAGE, headers=HTML),
                    "/gone1": Reply(status=404), "/gone2": Reply(status=404),
                    "/broken": Reply(status=500)}
    with serve(routes) as base:
        routes["/feed.xml"] = Reply(body=_rss(base, ["/ok", "/gone1", "/gone2", "/broken"]),
                                    headers={"Content-Type": "application/rss+xml"})
        cfg = write_config(tmp_path / "c.toml", db=db_path,
                           feeds=[base + "/feed.xml", base + "/missing.xml"], allow=LOOPBACK)
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0  # one feed worked
    out = capsys.readouterr().out
    section = out[out.index("failures by reason"):]
    lines = [line.strip() for line in section.splitlines()]
    assert "2  page http_status: 404" in lines
    assert "1  page http_status: 500" in lines and "1  feed http_status: 404" in lines
    assert base + "/gone1" in lines and base + "/gone2" in lines
    assert base + "/missing.xml" in lines

    assert main(["failures", "--config", str(cfg), "--format", "csv"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == "kind,reason,count,last_seen,examples"
    assert any(line.startswith("page,http_status: 404,2,") for line in listing)
    assert main(["failures", "--config", str(cfg), "--since", "2199-01-01"]) == 0
    assert "(0 rows)" in capsys.readouterr().out


def test_exit_status_3_when_every_feed_failed(tmp_path, db_path, capsys):
    with serve({}) as base:
        cfg = write_config(tmp_path / "c.toml", db=db_path,
                           feeds=[base + "/a.xml", base + "/b.xml"], allow=LOOPBACK)
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 3
    captured = capsys.readouterr()
    assert "every feed of this run failed (2)" in captured.err
    assert "2  feed http_status: 404" in captured.out


def test_failed_pages_are_retried_even_when_the_feed_answers_304(tmp_path, db_path, capsys):
    routes: dict = {"/flaky": [Reply(status=503), Reply(body=PAGE, headers=HTML)]}
    with serve(routes) as base:
        routes["/feed.xml"] = _feed_with_etag(lambda: _rss(base, ["/flaky"]))
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed.xml"],
                           allow=LOOPBACK, extra="[polling]\nfailure_backoff_hours = 0\n")
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        assert rows(db_path, "SELECT canonical_url, attempts, last_error FROM page_retries") == [
            (base + "/flaky", 1, "http_status: 503")]
        assert main(["failures", "--config", str(cfg)]) == 0
        assert "pages to be fetched again" in capsys.readouterr().out
        assert main(["ingest", "--config", str(cfg)]) == 0
        err = capsys.readouterr()
        assert _count(base, "/flaky") == 2
    assert "not_modified" in err.err and "retried 1" in err.out
    assert rows(db_path, "SELECT count(*) FROM page_retries")[0][0] == 0
    assert rows(db_path, "SELECT count(*) FROM documents WHERE url LIKE '%/flaky'")[0][0] == 1
    assert rows(db_path, "SELECT last_result FROM feeds")[0][0] == "not_modified"


def test_retries_back_off_and_count_attempts(tmp_path, db_path):
    routes: dict = {"/down": Reply(status=500)}
    with serve(routes) as base:
        routes["/feed.xml"] = _feed_with_etag(lambda: _rss(base, ["/down"]))
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed.xml"],
                           allow=LOOPBACK,
                           extra="[polling]\nfailure_backoff_hours = 0\nmax_failures = 3\n")
        for _ in range(4):
            assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        # three attempts, then given up: the fourth run does not ask again
        assert _count(base, "/down") == 3
        assert rows(db_path, "SELECT attempts, next_attempt_at IS NULL FROM page_retries") == [
            (3, True)]

        waiting = tmp_path / "waiting.toml"
        db2 = tmp_path / "wh2" / "w.duckdb"
        write_config(waiting, db=db2, feeds=[base + "/feed.xml"], allow=LOOPBACK,
                     extra="[polling]\nfailure_backoff_hours = 1\n")
        before = _count(base, "/down")
        assert main(["ingest", "--quiet", "--config", str(waiting)]) == 0
        assert main(["ingest", "--quiet", "--config", str(waiting)]) == 0
        assert _count(base, "/down") == before + 1  # the second run waits out the hour
    ((attempts, due_later),) = rows(
        db2, "SELECT attempts, next_attempt_at > last_attempt_at + INTERVAL 59 MINUTE "
             "FROM page_retries")
    assert attempts == 1 and due_later


def test_empty_new_feed_is_reported_empty_not_unchanged(tmp_path, db_path, capsys):
    routes = {"/empty.xml": Reply(body=_rss("", []),
                                  headers={"Content-Type": "application/rss+xml"})}
    with serve(routes) as base:
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/empty.xml"],
                           allow=LOOPBACK)
        assert main(["ingest", "--config", str(cfg)]) == 0
        first = capsys.readouterr()
        assert main(["ingest", "--config", str(cfg)]) == 0
        second = capsys.readouterr()
    assert f"{base}/empty.xml: empty" in first.err and "empty 1" in first.out
    assert f"{base}/empty.xml: unchanged" in second.err  # the same document again

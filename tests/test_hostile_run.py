"""A whole run against a hostile server: every bad case is a recorded failure,
the good articles load, the run ends within its timeouts with bounded memory,
and nothing is sent to a refused address."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime, timedelta

from conftest import rows, write_config
from newsgen import page, rss
from servers import Reply, drip, endless, gzip_stream, redirect, serve

from claimwire.cli import main

DAY0 = datetime(2024, 10, 1, 9, 0, tzinfo=UTC)


def zeros(total: int):
    piece = b"\0" * (1 << 20)
    for _ in range(total // len(piece)):
        yield piece


def test_hostile_server_run(tmp_path, db_path):
    routes: dict = {}
    trap: dict = {"/x": Reply(body="internal")}
    with serve(trap, host="127.0.0.2") as internal, serve(routes) as base:
        bad = {
            "/bomb": Reply(body=gzip_stream(zeros(1 << 30)),
                           headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}),
            "/endless": Reply(body=endless(), headers={"Content-Type": "text/html"}),
            "/drip": Reply(body=drip(b"<html>" + b"x" * 100, interval=1.0),
                           headers={"Content-Type": "text/html"}),
            "/escape": redirect(internal + "/x"),
            "/loop1": redirect("/loop2"),
            "/loop2": redirect("/loop1"),
            "/doc.pdf": Reply(body=b"%PDF-1.4\n" + b"0" * 5000,
                              headers={"Content-Type": "application/pdf"}),
            "/missing": Reply(status=404, body="nope"),
            "/broken": Reply(status=500, body="oops"),
            "/empty": Reply(body=b"", headers={"Content-Type": "text/html"}),
        }
        routes.update(bad)
        items = []
        for i, path in enumerate(["/good/0", *bad, "/good/1", "/good/2"]):
            published = DAY0 + timedelta(hours=i)
            if path.startswith("/good"):
                routes[path] = page(f"Good {path[-1]}", published, 100 + i)
            items.append((f"item {i}", base + path, published))
        routes["/feed"] = rss(items)
        routes["/malformed"] = Reply(
            body=rss(items[:1]).body.replace("</channel></rss>", "<item><title>cut"),
            headers={"Content-Type": "application/rss+xml"})
        routes["/entities"] = Reply(
            body=(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "AAAAAAAAAA">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss version="2.0"><channel>'
                  b"<title>&b;</title></channel></rss>"),
            headers={"Content-Type": "application/rss+xml"})
        routes["/notfeed"] = Reply(body="<html><body>hello</body></html>",
                                   headers={"Content-Type": "text/html"})
        cfg = write_config(
            tmp_path / "c.toml", db=db_path,
            feeds=[base + p for p in ("/feed", "/malformed", "/entities", "/notfeed", "/gone")],
            allow=["127.0.0.1/32"],
        )
        text = cfg.read_text().replace(
            "[http]\n",
            "[http]\nconnect_timeout = 2.0\nread_timeout = 2.0\ntotal_timeout = 4.0\n"
            "max_bytes = 2000000\nmax_decompressed_bytes = 5000000\n")
        cfg.write_text(text)
        started = time.monotonic()
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
        elapsed = time.monotonic() - started
        assert elapsed < 90
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_500_000  # KiB

        assert internal.connections == 0
        assert sorted(t for (t,) in rows(db_path, "SELECT title FROM articles")) == [
            "Good 0", "Good 1", "Good 2"]
        errors = dict(rows(db_path, "SELECT url, error FROM fetches WHERE kind = 'page'"))

        def error_of(path: str) -> str:
            return errors[base + path] or ""

        assert error_of("/bomb").startswith("decompressed_too_large")
        assert error_of("/endless").startswith("too_large")
        assert error_of("/drip").startswith("timeout")
        assert error_of("/escape").startswith("blocked_address")
        assert error_of("/loop1").startswith("redirect_loop")
        assert error_of("/doc.pdf").startswith("bad_content_type")
        assert error_of("/missing") == "http_status: 404"
        assert error_of("/broken").startswith("http_status: 500")
        # an empty page is fetched but yields no article: a failed document with a reason
        (empty_status,) = rows(
            db_path, f"SELECT status || ': ' || error FROM documents WHERE url = '{base}/empty'")
        assert empty_status[0].startswith("failed: extract")

        feeds = {url: (result, error) for url, result, error in rows(
            db_path, "SELECT feed_url, last_result, last_error FROM feeds")}
        assert feeds[base + "/malformed"][1].startswith("malformed feed")
        assert feeds[base + "/entities"][0] in ("empty", "new_items")
        assert feeds[base + "/notfeed"][0] == "failed"
        assert feeds[base + "/gone"] == ("failed", "http_status: 404")
        (run,) = rows(db_path, "SELECT status, errors, pages_failed FROM runs")
        assert run[0] == "completed" and run[2] >= 8 and run[1] >= run[2]

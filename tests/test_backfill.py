"""Backfills of past date ranges: feeds and their RFC 5005 archives, sitemaps,
WARC files, replay of the raw archive, and resuming an interrupted backfill."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import rows, write_config
from newsgen import article_html, page, rss
from servers import Reply, serve
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claimwire.cli import main

LOOPBACK = ["127.0.0.1/32"]
DAY0 = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)


def titles(db: Path) -> list[str]:
    return [t for (t,) in rows(db, "SELECT title FROM articles ORDER BY published_at")]


def month_site(routes: dict, base: str, days: int = 30) -> list[tuple[str, str, datetime]]:
    items = []
    for day in range(days):
        published = DAY0 + timedelta(days=day)
        title = f"Day {day:02d} report"
        routes[f"/a/{day}"] = page(title, published, day)
        items.append((title, f"{base}/a/{day}", published))
    return items


def test_backfill_of_a_month_long_feed_loads_exactly_the_range(tmp_path, db_path, capsys):
    routes: dict = {}
    with serve(routes) as base:
        items = month_site(routes, base)
        routes["/feed"] = rss(items)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=LOOPBACK)
        args = ["backfill", "--from", "2024-09-10", "--to", "2024-09-12", "--config", str(cfg),
                "--quiet"]
        assert main(args) == 0
        assert titles(db_path) == ["Day 09 report", "Day 10 report", "Day 11 report"]
        first = rows(db_path, "SELECT article_id, content_hash FROM articles ORDER BY 1")
        fetched = len([r for r in base.requests if r.path.startswith("/a/")])
        assert fetched == 3

        assert main(args) == 0  # the same backfill again: the same rows
        assert rows(db_path, "SELECT article_id, content_hash FROM articles ORDER BY 1") == first
        assert len([r for r in base.requests if r.path.startswith("/a/")]) == 3

        # a later full ingest adds the rest, without duplicates
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
        assert len(titles(db_path)) == 30
        assert rows(db_path, "SELECT count(DISTINCT canonical_url) FROM articles") == [(30,)]
        assert len([r for r in base.requests if r.path.startswith("/a/")]) == 30
    capsys.readouterr()


def test_archive_chain_backfill_reaches_the_oldest_document(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        items = month_site(routes, base, days=90)
        # newest 30 in the subscription document, then two archive documents
        routes["/feed"] = rss(items[60:], links={"prev-archive": base + "/archive/2"})
        routes["/archive/2"] = rss(items[30:60], links={"prev-archive": base + "/archive/1"})
        routes["/archive/1"] = rss(items[:30])
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=LOOPBACK)
        args = ["backfill", "--from", "2024-09-05", "--to", "2024-09-07", "--config", str(cfg),
                "--quiet"]
        assert main(args) == 0
        assert titles(db_path) == ["Day 04 report", "Day 05 report", "Day 06 report"]
        feed_paths = [r.path for r in base.requests if not r.path.startswith("/a/")]
        assert sorted(feed_paths) == ["/archive/1", "/archive/2", "/feed"]
        assert main(args) == 0
        assert titles(db_path) == ["Day 04 report", "Day 05 report", "Day 06 report"]


def sitemap_routes(routes: dict, base: str, items: list[tuple[str, str, datetime]]) -> None:
    plain = "".join(
        f"<url><loc>{link}</loc><lastmod>{published.date().isoformat()}</lastmod></url>"
        for _, link, published in items[:15]
    )
    news = "".join(
        f"<url><loc>{link}</loc><news:news><news:publication_date>{published.isoformat()}"
        f"</news:publication_date><news:title>{title}</news:title></news:news></url>"
        for title, link, published in items[15:]
    )
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    news_ns = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    routes["/sitemap-plain.xml"] = Reply(
        body=f"<?xml version='1.0'?><urlset {ns}>{plain}</urlset>",
        headers={"Content-Type": "application/xml"})
    routes["/sitemap-news.xml"] = Reply(
        body=f"<?xml version='1.0'?><urlset {ns} {news_ns}>{news}</urlset>",
        headers={"Content-Type": "application/xml"})
    routes["/sitemap.xml"] = Reply(
        body=(f"<?xml version='1.0'?><sitemapindex {ns}>"
              f"<sitemap><loc>{base}/sitemap-plain.xml</loc></sitemap>"
              f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"),
        headers={"Content-Type": "application/xml"})


def test_sitemap_backfill(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        items = month_site(routes, base)
        sitemap_routes(routes, base, items)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=LOOPBACK)
        args = ["backfill", "--from", "2024-09-14", "--to", "2024-09-17", "--sitemap",
                base + "/sitemap.xml", "--config", str(cfg), "--quiet"]
        assert main(args) == 0
        expected = ["Day 13 report", "Day 14 report", "Day 15 report", "Day 16 report"]
        assert titles(db_path) == expected  # two from each sitemap
        assert main(args) == 0
        assert titles(db_path) == expected


def write_warc(path: Path, pages: list[tuple[str, bytes, str, int]]) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body, content_type, status in pages:
            headers = StatusAndHeaders(f"{status} OK", [("Content-Type", content_type)],
                                       protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                               http_headers=headers)
            writer.write_record(record)


def test_warc_backfill_and_export_round_trip(tmp_path, db_path):
    pages = []
    for day in range(10):
        published = DAY0 + timedelta(days=day)
        html = article_html(f"Day {day:02d} report", published, day).encode()
        pages.append((f"https://news.example/a/{day}", html, "text/html; charset=utf-8", 200))
    pages.append(("https://news.example/pic.png", b"\x89PNG....", "image/png", 200))
    pages.append(("https://news.example/missing", b"gone", "text/html", 404))
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, pages)
    cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[])
    args = ["backfill", "--from", "2024-09-03", "--to", "2024-09-05", "--warc", str(warc),
            "--config", str(cfg), "--quiet"]
    assert main(args) == 0
    assert titles(db_path) == ["Day 02 report", "Day 03 report", "Day 04 report"]
    assert main(args) == 0
    assert titles(db_path) == ["Day 02 report", "Day 03 report", "Day 04 report"]

    exported = tmp_path / "export.warc.gz"
    assert main(["export-warc", str(exported), "--config", str(cfg)]) == 0
    other = tmp_path / "other.duckdb"
    cfg2 = write_config(tmp_path / "c2.toml", db=other, feeds=[])
    assert main(["backfill", "--from", "2024-09-01", "--to", "2024-09-30", "--warc",
                 str(exported), "--config", str(cfg2), "--quiet"]) == 0
    assert titles(other) == titles(db_path)
    with gzip.open(exported) as handle:
        assert b"WARC-Type: response" in handle.read()


def test_replay_rewrites_derived_rows_without_duplicates(tmp_path, db_path, monkeypatch):
    routes: dict = {}
    with serve(routes) as base:
        items = month_site(routes, base, days=5)
        routes["/feed"] = rss(items)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=LOOPBACK)
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
    before = rows(db_path, "SELECT article_id, text FROM articles ORDER BY 1")
    claims_before = rows(db_path, "SELECT count(*) FROM claims")
    import claimwire.transform.documents as documents

    monkeypatch.setattr(documents, "extractor_version", lambda: "replay-test-2")
    # no server any more: a replay needs only the raw archive
    assert main(["backfill", "--from", "2024-09-02", "--to", "2024-09-03", "--replay",
                 "--config", str(cfg), "--quiet"]) == 0
    assert rows(db_path, "SELECT article_id, text FROM articles ORDER BY 1") == before
    versions = dict(rows(db_path, "SELECT title, extractor_version FROM articles"))
    assert versions["Day 01 report"] == versions["Day 02 report"] == "replay-test-2"
    assert versions["Day 00 report"] != "replay-test-2"
    assert versions["Day 03 report"] != "replay-test-2"
    assert rows(db_path, "SELECT count(*) FROM claims") == claims_before


def test_interrupted_backfill_resumes_without_repeating_finished_units(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        items = month_site(routes, base)
        sitemap_routes(routes, base, items)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=LOOPBACK)
        args = [sys.executable, "-m", "claimwire.cli", "backfill", "--from", "2024-09-12",
                "--to", "2024-09-18", "--sitemap", base + "/sitemap-plain.xml", "--sitemap",
                base + "/sitemap-news.xml", "--config", str(cfg), "--quiet"]
        env = dict(os.environ, CLAIMWIRE_FAILPOINT="backfill_unit_done")
        killed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert killed.returncode == -signal.SIGKILL
        plain_hits = len([r for r in base.requests if r.path == "/sitemap-plain.xml"])
        assert plain_hits == 1
        env.pop("CLAIMWIRE_FAILPOINT")
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        # the finished sitemap was not fetched again, its pages not fetched twice
        assert len([r for r in base.requests if r.path == "/sitemap-plain.xml"]) == 1
        page_paths = [r.path for r in base.requests if r.path.startswith("/a/")]
        assert len(page_paths) == len(set(page_paths)) == 7
        assert titles(db_path) == [f"Day {d:02d} report" for d in range(11, 18)]


def test_bad_ranges_are_usage_errors(tmp_path, capsys):
    cfg = write_config(tmp_path / "c.toml", db=tmp_path / "x.duckdb", feeds=["http://e.x/f"])
    assert main(["backfill", "--from", "2024-09-10", "--to", "2024-09-01",
                 "--config", str(cfg)]) == 2
    assert "before" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse rejects a malformed date
        main(["backfill", "--from", "yesterday", "--to", "2024-09-01", "--config", str(cfg)])
    assert exited.value.code == 2

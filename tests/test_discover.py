"""`claimwire feeds discover` and the homepage hint of `ingest`, against a site on
127.0.0.1 whose homepage links an RSS and an Atom feed."""

from __future__ import annotations

import csv
import io

from conftest import rows, write_config

from claimwire.cli import main

try:
    from servers import Reply, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, serve

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>Site RSS</title>' \
      "<item><title>One</title><link>/one</link><guid>1</guid></item></channel></rss>"
ATOM = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">' \
       "<title>Site Atom</title><id>urn:x</id><updated>2024-10-28T00:00:00Z</updated>" \
       '<entry><title>One</title><id>urn:1</id><link href="/one"/>' \
       "<updated>2024-10-28T00:00:00Z</updated></entry></feed>"
HOME = """<!doctype html><html><head><title>Site</title>
<link rel="alternate" type="application/rss+xml" title="All news (RSS)" href="/news/rss.xml">
<link rel="alternate" type="application/json+oembed" href="/oembed">
<link rel="stylesheet" href="/style.css">
</head><body><p>Welcome</p>
<a href="/atom/all.atom">Atom feed</a>
<a href="/broken/feed.xml">An old feed</a>
<a href="/about">About</a>
</body></html>"""


def _site() -> dict[str, Reply]:
    return {
        "/": Reply(body=HOME, headers=HTML),
        "/news/rss.xml": Reply(body=RSS, headers={"Content-Type": "application/rss+xml"}),
        "/atom/all.atom": Reply(body=ATOM, headers={"Content-Type": "application/atom+xml"}),
        "/index.xml": Reply(body=RSS, headers={"Content-Type": "application/xml"}),
        "/robots.txt": Reply(body="User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n",
                             headers={"Content-Type": "text/plain"}),
        "/sitemap.xml": Reply(body='<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.'
                                   'org/schemas/sitemap/0.9"><url><loc>/one</loc></url></urlset>',
                              headers={"Content-Type": "application/xml"}),
    }


def _robots_absolute(routes: dict[str, Reply], base: str) -> None:
    routes["/robots.txt"] = Reply(body=f"User-agent: *\nSitemap: {base}/sitemap.xml\n",
                                  headers={"Content-Type": "text/plain"})


def test_discover_lists_checked_feeds_and_sitemaps_then_adds(tmp_path, db_path, capsys):
    routes = _site()
    with serve(routes) as base:
        _robots_absolute(routes, base)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=["127.0.0.1/32"])
        assert main(["feeds", "discover", base + "/", "--format", "csv",
                     "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        table = out.split("\n\n")[0]
        found = {r["feed_url"]: r for r in csv.DictReader(io.StringIO(table))}
        assert found[base + "/news/rss.xml"]["found_by"] == "link"
        assert found[base + "/news/rss.xml"]["kind"] == "rss20"
        assert found[base + "/news/rss.xml"]["check"] == "ok"
        assert found[base + "/atom/all.atom"]["found_by"] == "anchor"
        assert found[base + "/atom/all.atom"]["kind"] == "atom10"
        assert found[base + "/broken/feed.xml"]["check"] == "http_status: 404"
        assert found[base + "/index.xml"]["found_by"] == "path"  # a usual place, checked
        assert base + "/feed" not in found  # a usual place that is not a feed: not reported
        assert base + "/oembed" not in found and base + "/about" not in found
        assert f"{base}/sitemap.xml,ok" in out

        assert main(["feeds", "discover", base + "/", "--add", "--config", str(cfg)]) == 0
        assert "added 3 feed(s)" in capsys.readouterr().out
    listed = {r[0] for r in rows(db_path, "SELECT feed_url FROM feeds WHERE listed")}
    assert listed == {base + "/news/rss.xml", base + "/atom/all.atom", base + "/index.xml"}


def test_discover_given_a_feed_reports_the_feed_itself(tmp_path, db_path, capsys):
    with serve(_site()) as base:
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=["127.0.0.1/32"])
        assert main(["feeds", "discover", base + "/news/rss.xml", "--format", "csv",
                     "--config", str(cfg)]) == 0
    table = capsys.readouterr().out.split("\n\n")[0]
    (row,) = list(csv.DictReader(io.StringIO(table)))
    assert row["found_by"] == "itself" and row["check"] == "ok"


def test_ingest_of_a_homepage_names_the_feeds_it_links(tmp_path, db_path, capsys):
    with serve(_site()) as base:
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/"],
                           allow=["127.0.0.1/32"])
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 3  # its only feed failed
    out = capsys.readouterr().out
    ((error,),) = rows(db_path, "SELECT last_error FROM feeds")
    assert error.startswith("bad_content_type: text/html")
    assert base + "/news/rss.xml" in error and base + "/atom/all.atom" in error
    assert "feeds discover" in error
    assert "bad_content_type: text/html" in out and base + "/" in out

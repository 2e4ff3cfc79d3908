"""Sitemap walks: indexes, plain, news and gzipped sitemaps, served on 127.0.0.1."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime

import pytest

from claimwire.config import HttpSettings
from claimwire.formats.dates import parse_w3c_datetime
from claimwire.ingest.http import HttpClient
from claimwire.ingest.sitemaps import (
    SitemapError,
    gunzip_capped,
    walk_sitemaps,
)
from claimwire.pipeline import Window

try:
    from servers import Reply, gzipped, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, gzipped, serve

XML = {"Content-Type": "application/xml"}
SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
IMAGE = "http://www.google.com/schemas/sitemap-image/1.1"

INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="{SM}">
  <sitemap><loc>/sitemap-pages.xml</loc><lastmod>2024-10-30</lastmod></sitemap>
  <sitemap><loc>/sitemap-news.xml</loc></sitemap>
  <sitemap><loc>/sitemap-archive.xml.gz</loc></sitemap>
  <!-- nothing in here changed since 2023: never fetched -->
  <sitemap><loc>/sitemap-2023.xml</loc><lastmod>2023-12-31T23:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sitemap_index.xml</loc></sitemap>
</sitemapindex>"""

# A plain sitemap, no namespace at all (it happens), one image:loc to ignore.
PAGES = f"""<?xml version="1.0"?>
<urlset xmlns:image="{IMAGE}">
  <url><loc>/world/in-range</loc><lastmod>2024-10-12T08:30:00+02:00</lastmod>
    <image:image><image:loc>/img/in-range.jpg</image:loc></image:image></url>
  <url><loc>/world/too-early</loc><lastmod>2024-10-09T23:59:59Z</lastmod></url>
  <url><loc>/world/too-late</loc><lastmod>2024-10-21</lastmod></url>
  <url><loc>/world/undated</loc></url>
  <url><loc>/world/last-day</loc><lastmod>2024-10-20T23:59:59Z</lastmod></url>
</urlset>"""

# Publication dates win over lastmod (edited later, published in range and vice versa).
NEWS_MAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="{SM}" xmlns:news="{NEWS}">
  <url><loc>/news/rutte-kursk</loc><lastmod>2024-11-02T10:00:00Z</lastmod>
    <news:news><news:publication><news:name>Wire</news:name><news:language>en</news:language>
    </news:publication><news:publication_date>2024-10-15T09:00:00Z</news:publication_date>
    <news:title>Rutte: troops deployed to Kursk</news:title></news:news></url>
  <url><loc>/news/old-but-edited</loc><lastmod>2024-10-15T10:00:00Z</lastmod>
    <news:news><news:publication_date>2024-09-01T09:00:00Z</news:publication_date>
    <news:title>Old story</news:title></news:news></url>
  <url><loc>https://127.0.0.1:1/elsewhere?utm_source=x</loc>
    <news:news><news:publication_date>2024-10-18</news:publication_date></news:news></url>
</urlset>"""

ARCHIVE = f"""<?xml version="1.0"?>
<urlset xmlns="{SM}">
  <url><loc>/archive/a</loc><lastmod>2024-10-10</lastmod></url>
  <url><loc>/archive/b</loc><lastmod>2024-08-10</lastmod></url>
  <url><loc>/world/in-range</loc><lastmod>2024-10-12</lastmod></url>
</urlset>"""


def sitemap_routes() -> dict[str, Reply]:
    return {
        "/sitemap_index.xml": Reply(body=INDEX, headers=XML),
        "/sitemap-pages.xml": Reply(body=PAGES, headers={"Content-Type": "text/xml"}),
        "/sitemap-news.xml": Reply(body=NEWS_MAP, headers=XML),
        # A .gz file as such, not a Content-Encoding: ours to gunzip.
        "/sitemap-archive.xml.gz": Reply(
            body=gzip.compress(ARCHIVE.encode()), headers={"Content-Type": "application/gzip"}
        ),
        "/sitemap-2023.xml": Reply(body=ARCHIVE, headers=XML),
    }


@pytest.fixture
def client() -> HttpClient:
    settings = HttpSettings(
        allow_networks=("127.0.0.1/32",), per_host_delay=0.0, retries=0, respect_robots=False
    )
    with HttpClient(settings) as http:
        yield http


OCT_10_20 = Window.from_dates(date(2024, 10, 10), date(2024, 10, 20))


def test_index_with_plain_news_and_gzipped_sitemaps_yields_exactly_the_in_range_entries(
    client,
) -> None:
    with serve(sitemap_routes()) as base:
        walk = walk_sitemaps(client, base + "/sitemap_index.xml", OCT_10_20)
        seen = [r.path for r in base.requests]
    got = {entry.canonical_url.replace(base, ""): entry for entry in walk.entries}
    assert set(got) == {
        "/world/in-range",
        "/world/last-day",
        "/news/rutte-kursk",
        "https://127.0.0.1:1/elsewhere",
        "/archive/a",
    }
    rutte = got["/news/rutte-kursk"]
    assert rutte.title == "Rutte: troops deployed to Kursk" and rutte.dated_by == "news"
    assert rutte.published_at == datetime(2024, 10, 15, 9, tzinfo=UTC)
    assert got["/world/in-range"].published_at == datetime(2024, 10, 12, 6, 30, tzinfo=UTC)
    assert got["/world/in-range"].title is None
    assert got["/archive/a"].url == base + "/archive/a"
    # Each sitemap once; the pruned one never; the index's link to itself ignored.
    assert sorted(seen) == sorted(
        ["/sitemap_index.xml", "/sitemap-pages.xml", "/sitemap-news.xml", "/sitemap-archive.xml.gz"]
    )
    assert walk.pruned == 1 and walk.undated == 1 and walk.documents == 4
    assert walk.errors == []


def test_content_encoded_gzip_and_a_gz_file_inside_it(client) -> None:
    routes = {
        # Transport gzip (the client undoes it) around a gzipped file (we undo it).
        "/double.xml.gz": Reply(
            body=gzipped(gzip.compress(ARCHIVE.encode())),
            headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},
        ),
    }
    with serve(routes) as base:
        walk = walk_sitemaps(client, base + "/double.xml.gz", OCT_10_20)
    assert {e.canonical_url.replace(base, "") for e in walk.entries} == {
        "/archive/a",
        "/world/in-range",
    }


def test_broken_documents_are_recorded_not_raised(client) -> None:
    index = f"""<sitemapindex xmlns="{SM}">
      <sitemap><loc>/gone.xml</loc></sitemap><sitemap><loc>/html.xml</loc></sitemap>
      <sitemap><loc>/bad.xml.gz</loc></sitemap><sitemap><loc>/ok.xml</loc></sitemap>
    </sitemapindex>"""
    routes = {
        "/index.xml": Reply(body=index, headers=XML),
        "/html.xml": Reply(
            body=b"<html><body>Not here</body></html>", headers={"Content-Type": "text/html"}
        ),
        "/bad.xml.gz": Reply(
            body=gzip.compress(ARCHIVE.encode())[:40], headers={"Content-Type": "application/gzip"}
        ),
        "/ok.xml": Reply(body=ARCHIVE, headers=XML),
    }
    with serve(routes) as base:
        walk = walk_sitemaps(client, base + "/index.xml", OCT_10_20)
    assert len(walk.entries) == 2
    assert len(walk.errors) == 3
    assert any("/gone.xml" in e and "404" in e for e in walk.errors)
    assert any("/html.xml" in e and "not a sitemap" in e for e in walk.errors)
    assert any("/bad.xml.gz" in e and "gzip" in e for e in walk.errors)


def test_entities_are_not_expanded(client) -> None:
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="{SM}"><url><loc>/p/&c;&x;</loc><lastmod>2024-10-12</lastmod></url>
<url><loc>/plain</loc><lastmod>2024-10-12</lastmod></url></urlset>"""
    with serve({"/s.xml": Reply(body=hostile, headers=XML)}) as base:
        walk = walk_sitemaps(client, base + "/s.xml", OCT_10_20)
    assert all("root:" not in e.url and "aaaa" not in e.url for e in walk.entries)
    assert base + "/plain" in [e.url for e in walk.entries]


def test_loose_lastmod_keeps_pages_edited_after_the_window(client) -> None:
    with serve(sitemap_routes()) as base:
        walk = walk_sitemaps(client, base + "/sitemap-pages.xml", OCT_10_20, loose_lastmod=True)
    assert {e.canonical_url.replace(base, "") for e in walk.entries} == {
        "/world/in-range",
        "/world/too-late",
        "/world/last-day",
    }


def test_max_documents_bounds_a_deep_index_chain(client) -> None:
    routes = {
        f"/i{n}.xml": Reply(
            body=f'<sitemapindex xmlns="{SM}"><sitemap><loc>/i{n + 1}.xml</loc></sitemap>'
            "</sitemapindex>",
            headers=XML,
        )
        for n in range(50)
    }
    with serve(routes) as base:
        walk = walk_sitemaps(client, base + "/i0.xml", OCT_10_20, max_documents=7)
    assert len(walk.fetches) == 7 and "stopped after 7" in walk.errors[-1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-15", datetime(2024, 10, 15, tzinfo=UTC)),
        ("2024-10-15T09:00Z", datetime(2024, 10, 15, 9, tzinfo=UTC)),
        ("2024-10-15T11:00:00.5+02:00", datetime(2024, 10, 15, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2024-10", datetime(2024, 10, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        ("0001-01-01", None),
    ],
)
def test_w3c_dates(text: str, expected: datetime | None) -> None:
    assert parse_w3c_datetime(text) == expected


def test_gunzip_is_capped() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(SitemapError, match="over"):
        gunzip_capped(bomb, 1_000_000)
    assert gunzip_capped(gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"

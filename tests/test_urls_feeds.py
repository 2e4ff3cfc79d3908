"""URL canonicalisation, feed parsing (RSS, Atom, JSON Feed) and OPML import."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimwire.ingest.feedlist import FeedListError, read_opml
from claimwire.ingest.feeds import FeedParseError, parse_feed
from claimwire.ingest.urls import canonicalize_url

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example &amp; Co</title>
<item><title>First <b>story</b></title><link>/news/1?utm_source=rss&amp;id=7#top</link>
<guid isPermaLink="false">story-1</guid><pubDate>Mon, 28 Oct 2024 10:00:00 +0100</pubDate>
<description>&lt;p&gt;Summary one&lt;/p&gt;</description><author>Jane Doe</author></item>
<item><title>Second</title><link>https://Example.COM:443/news/2</link></item>
<item><title>Dup guid</title><link>https://example.com/news/3</link>
<guid isPermaLink="false">story-1</guid></item>
<item><title>From the future</title><link>https://example.com/news/4</link>
<pubDate>Mon, 28 Oct 2999 10:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom site</title>
<link rel="prev-archive" href="https://example.com/archive/2024-09.xml"/>
<entry><id>tag:example.com,2024:1</id><title>Atom one</title>
<link rel="alternate" href="https://example.com/a/1?fbclid=abc"/>
<published>2024-10-20T08:30:00Z</published><updated>2024-10-21T00:00:00Z</updated>
<author><name>A. Writer</name></author><summary>Hello</summary></entry>
</feed>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON site",
 "authors": [{"name": "Site Author"}],
 "items": [
  {"id": "j1", "url": "https://example.org/j/1?gclid=x", "title": "J one",
   "date_published": "2024-10-28T12:00:00+02:00", "content_text": "Body"},
  {"id": 2, "external_url": "/j/2", "title": "J two", "authors": [{"name": "Z"}]},
  "not an object"
 ]}"""


def test_canonical_url_drops_tracking_fragment_and_default_port() -> None:
    assert (
        canonicalize_url("HTTPS://News.Example.com:443/a/B?utm_source=x&id=3&fbclid=y#frag")
        == "https://news.example.com/a/B?id=3"
    )
    assert canonicalize_url("http://example.com") == "http://example.com/"
    assert canonicalize_url("http://example.com:8080/x?gclid=1") == "http://example.com:8080/x"
    assert canonicalize_url("/rel?utm_medium=a", "http://h.org/feed") == "http://h.org/rel"
    assert canonicalize_url("mailto:x@y") == "mailto:x@y"


@given(st.text(max_size=200))
def test_canonicalize_never_raises(text: str) -> None:
    assert isinstance(canonicalize_url(text), str)


def test_rss_items() -> None:
    now = datetime(2024, 11, 1, tzinfo=UTC)
    feed = parse_feed(RSS, "https://example.com/feed.xml", content_type="application/rss+xml",
                      now=now)
    assert feed.title == "Example & Co"
    assert [i.guid for i in feed.items] == [
        "story-1", "https://example.com/news/2", "https://example.com/news/4"]
    first = feed.items[0]
    assert first.canonical_url == "https://example.com/news/1?id=7"
    assert first.title == "First story"
    assert first.summary == "Summary one"
    assert first.published_at == datetime(2024, 10, 28, 9, 0, tzinfo=UTC)
    assert feed.items[1].canonical_url == "https://example.com/news/2"
    assert feed.items[2].published_at is None  # a date in 2999 is not believed


def test_atom_items_and_archive_links() -> None:
    feed = parse_feed(ATOM, "https://example.com/atom.xml")
    (item,) = feed.items
    assert item.guid == "tag:example.com,2024:1"
    assert item.canonical_url == "https://example.com/a/1"
    assert item.published_at == datetime(2024, 10, 20, 8, 30, tzinfo=UTC)
    assert item.author == "A. Writer"
    assert feed.links["prev-archive"] == "https://example.com/archive/2024-09.xml"


def test_json_feed() -> None:
    feed = parse_feed(JSON_FEED, "https://example.org/feed.json")
    assert feed.kind == "jsonfeed1.1"
    assert [i.guid for i in feed.items] == ["j1", "2"]
    one, two = feed.items
    assert one.canonical_url == "https://example.org/j/1"
    assert one.published_at == datetime(2024, 10, 28, 10, 0, tzinfo=UTC)
    assert one.author == "Site Author" and two.author == "Z"
    assert two.canonical_url == "https://example.org/j/2"


def test_malformed_feed_yields_what_it_can() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>x</title>")
    feed = parse_feed(broken, "https://example.com/feed.xml")
    assert len(feed.items) >= 3
    assert feed.problem and "malformed" in feed.problem


def test_entity_expansion_never_happens() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<rss version="2.0"><channel><title>&c;</title><item><title>&c;</title>'
        b"<link>https://e.com/1</link></item></channel></rss>"
    )
    feed = parse_feed(bomb, "https://e.com/")
    assert "aaaaaaaaaa" not in (feed.title or "")
    assert all("aaaaaaaaaa" not in (i.title or "") for i in feed.items)


@pytest.mark.parametrize("body", [b"", b"   ", b"<html><body>hi</body></html>", b"{\"a\": 1}",
                                  b"\x00\xff" * 50])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://e.com/")


@given(st.binary(max_size=500))
def test_parse_feed_only_raises_feed_parse_error(body: bytes) -> None:
    with contextlib.suppress(FeedParseError):
        parse_feed(body, "https://e.com/feed")


def test_opml_import(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
        <outline text="World"><outline text="BBC" type="rss" xmlUrl="https://bbc.example/rss"/>
        <outline text="Reuters" xmlUrl="https://reuters.example/feed" category="/wire"/></outline>
        <outline text="Solo" xmlUrl="https://solo.example/atom"/>
        <outline text="Dup" xmlUrl="https://solo.example/atom"/></body></opml>"""
    )
    feeds = read_opml(opml)
    assert [f.url for f in feeds] == [
        "https://bbc.example/rss", "https://reuters.example/feed", "https://solo.example/atom"]
    assert feeds[0].name == "BBC" and feeds[0].tags == ("World",)
    assert feeds[1].tags == ("World", "wire")


def test_opml_rejects_entities_and_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><opml><body/></opml>')
    with pytest.raises(FeedListError):
        read_opml(bad)
    bad.write_text("not xml")
    with pytest.raises(FeedListError):
        read_opml(bad)

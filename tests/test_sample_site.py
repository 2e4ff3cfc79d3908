"""The sample site over real HTTP: feeds, pages, conditional GET, 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import feedparser
import httpx
import lxml.html
import pytest

from claimwire.sample_site import SampleSite, sample_articles, serve_sample_site
from claimwire.sample_site.catalog import article_parts

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "seeds"
EXPECTED = {
    "000_3d1bcf9537492715": (date(2024, 10, 30), "outlet-a.example"),
    "001_3f30bc8ffa99e168": (date(2024, 10, 23), "outlet-b.example"),
    "002_9512694b46f2784a": (date(2024, 10, 29), "outlet-c.example"),
    "003_a74b863854a7b61d": (date(2024, 10, 20), "outlet-d.example"),
    "004_6a236e1552cb1890": (date(2024, 10, 28), "outlet-e.example"),
}


@pytest.fixture(scope="module")
def site() -> Iterator[SampleSite]:
    with serve_sample_site() as served:
        yield served


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def _without_query(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query="", fragment=""))


def test_catalogue_without_server() -> None:
    articles = sample_articles()
    assert len(articles) == 5
    assert {a.id: (a.published.date(), a.outlet) for a in articles} == EXPECTED
    assert len({a.slug for a in articles}) == 5
    for article in articles:
        assert article.published.utcoffset() is not None
        assert article.text_path.is_file()
        assert article.path.startswith(f"/{article.outlet.split('.')[0]}/")
        assert article.url.endswith(article.path)


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"shared seeds not found at {SEEDS_DIR}")
def test_texts_are_verbatim_copies_of_the_seeds() -> None:
    for article in sample_articles():
        seed = SEEDS_DIR / article.text_path.name
        assert article.text_path.read_bytes() == seed.read_bytes()


def test_layout_keeps_leftovers_out_of_the_body() -> None:
    parts = {a.id: article_parts(a.id) for a in sample_articles()}
    body_001 = "\n".join(parts["001_3f30bc8ffa99e168"].body_lines)
    assert "Recent Posts" not in body_001
    assert "passionate journalist" not in body_001
    assert parts["001_3f30bc8ffa99e168"].lines("kicker") == ["NATO"]
    assert "Sources" not in parts["000_3d1bcf9537492715"].body_lines
    assert "Comments are closed." not in parts["002_9512694b46f2784a"].body_lines
    assert parts["003_a74b863854a7b61d"].body_lines[0].startswith("(MENAFN)")
    assert not any("Author:" in line for line in parts["004_6a236e1552cb1890"].body_lines)


@pytest.mark.parametrize("which", ["rss", "atom"])
def test_feeds_parse_and_list_all_articles(site: SampleSite, client: httpx.Client, which: str):
    url = site.rss_url if which == "rss" else site.atom_url
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"application/{which}+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 5
    by_title = {a.title: a for a in site.articles}
    for entry in feed.entries:
        article = by_title[entry.title]
        assert entry.published_parsed is not None
        assert entry.published_parsed[:6] == article.published.utctimetuple()[:6]
        assert entry.author == article.author
        assert entry.id and entry.summary
        assert entry.link.startswith(site.base_url + "/")
        assert _without_query(entry.link) == article.url


def test_feeds_differ_in_link_form(site: SampleSite, client: httpx.Client) -> None:
    rss = feedparser.parse(client.get(site.rss_url).content)
    atom = feedparser.parse(client.get(site.atom_url).content)
    rss_links = {e.title: e.link for e in rss.entries}
    atom_links = {e.title: e.link for e in atom.entries}
    differing = [title for title in rss_links if rss_links[title] != atom_links[title]]
    assert differing, "at least one article must be linked differently by the two feeds"
    for title in differing:
        assert "utm_source=atom" in atom_links[title]
        # The tracked link still serves the same page.
        assert client.get(atom_links[title]).content == client.get(rss_links[title]).content


def test_pages_carry_metadata(site: SampleSite, client: httpx.Client) -> None:
    for article in site.articles:
        response = client.get(article.url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        tree = lxml.html.fromstring(response.content)
        assert tree.get("lang") == "en"
        assert tree.findtext(".//title").startswith(article.title)
        assert tree.xpath("//link[@rel='canonical']/@href") == [article.url]

        def meta(key: str, tree: lxml.html.HtmlElement = tree) -> list[str]:
            return tree.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")

        assert meta("og:title") == [article.title]
        assert meta("og:site_name") == [article.site_name]
        assert meta("author") == [article.author]
        assert meta("article:published_time") == [article.published.isoformat()]
        assert "T" in article.published.isoformat() and article.published.utcoffset() is not None
        byline = tree.xpath("//*[contains(@class, 'byline')]")[0].text_content()
        assert article.author in byline
        (ld_text,) = tree.xpath("//script[@type='application/ld+json']/text()")
        ld = json.loads(ld_text)
        assert ld["@type"] == "NewsArticle"
        assert ld["headline"] == article.title
        assert ld["datePublished"] == article.published.isoformat()
        assert ld["author"]["name"] == article.author
        # Page furniture is present, around the article rather than in it.
        for selector in ("nav", "footer", "aside"):
            assert tree.xpath(f"//{selector}")
        assert tree.xpath("//*[@id='comments']//li[contains(@class, 'comment')]")


def test_conditional_get(site: SampleSite, client: httpx.Client) -> None:
    for url in (site.rss_url, site.atom_url, site.articles[0].url):
        first = client.get(url)
        etag, last_modified = first.headers["etag"], first.headers["last-modified"]
        cached = client.get(url, headers={"If-None-Match": etag})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
        stale = client.get(url, headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200 and stale.content == first.content
        # If-None-Match wins over If-Modified-Since when both are sent.
        both = client.get(url, headers={"If-None-Match": '"x"', "If-Modified-Since": last_modified})
        assert both.status_code == 200


def test_unknown_path_is_404(site: SampleSite, client: httpx.Client) -> None:
    assert client.get(site.base_url + "/no/such/page.html").status_code == 404
    assert client.get(site.base_url + "/outlet-a/2024/10/30/missing.html").status_code == 404


def test_head_and_index(site: SampleSite, client: httpx.Client) -> None:
    head = client.head(site.articles[0].url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 1000
    index = client.get(site.base_url + "/")
    assert index.status_code == 200
    for article in site.articles:
        assert article.url in index.text

"""Finding a site's feeds from one of its pages, through the guarded HTTP client.

Candidates, in order: the page's `<link rel="alternate">` feeds, links
(`<a href>`) to feed-looking URLs, and the usual places (/feed, /rss.xml,
/atom.xml, /index.xml, ...). Each is fetched and parsed before it is
reported; a usual place that is not a feed is not reported at all. The
sitemaps named by the site's robots.txt are listed as well, each checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from claimwire.ingest.http import FetchResult, HttpClient

FEED_TYPES = {
    "application/rss+xml": "rss", "application/atom+xml": "atom",
    "application/feed+json": "json", "application/rdf+xml": "rss",
    "application/json": "json", "text/xml": "rss", "application/xml": "rss",
}
COMMON_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.xml", "/rss",
                "/feeds/all.atom.xml", "/feed.json")
# An anchor's URL that looks like a feed (path only, case-insensitive).
_FEEDLIKE = re.compile(r"(/feeds?/?$|/rss/?$|/atom/?$|\.(rss|atom|rdf)$|(rss|atom|feed|index)"
                       r"\.xml$|/feed\.json$|/feeds?/[^/]+\.xml$)", re.IGNORECASE)
MAX_ANCHORS = 20
MAX_CANDIDATES = 30
HINT_FEEDS = 5


@dataclass
class FoundFeed:
    url: str
    how: str  # "link", "anchor", "path", "itself"
    title: str | None = None
    kind: str | None = None  # rss20, atom10, ... once validated
    items: int = 0
    error: str | None = None  # why it is not a feed

    @property
    def valid(self) -> bool:
        return self.error is None


@dataclass
class Discovery:
    page_url: str
    error: str | None = None  # the page itself could not be fetched
    feeds: list[FoundFeed] = field(default_factory=list)
    sitemaps: list[tuple[str, str | None]] = field(default_factory=list)  # (url, error)

    @property
    def valid_feeds(self) -> list[FoundFeed]:
        return [f for f in self.feeds if f.valid]


def _html_root(body: bytes):  # -> lxml element or None
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None


def advertised_feeds(body: bytes, base_url: str) -> list[FoundFeed]:
    """The feeds an HTML page names, unchecked: `<link rel=alternate>` of a feed
    type first, then anchors whose URL looks like a feed."""
    root = _html_root(body)
    if root is None:
        return []
    base = base_url
    for href in root.xpath("//base/@href")[:1]:
        base = urljoin(base_url, str(href).strip())
    found: dict[str, FoundFeed] = {}
    for link in root.xpath("//link[@href]"):
        rels = str(link.get("rel") or "").lower().split()
        kind = str(link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in FEED_TYPES and "xml+oembed" not in kind:
            url = _absolute(base, link.get("href"))
            if url:
                found.setdefault(url, FoundFeed(url, "link", (link.get("title") or "").strip()
                                                or None))
    anchors = 0
    for anchor in root.xpath("//a[@href]"):
        url = _absolute(base, anchor.get("href"))
        if url and url not in found and _FEEDLIKE.search(urlsplit(url).path):
            title = " ".join((anchor.text_content() or "").split()) or None
            found[url] = FoundFeed(url, "anchor", title)
            anchors += 1
            if anchors >= MAX_ANCHORS:
                break
    return list(found.values())


def _absolute(base: str, href: object) -> str | None:
    if not isinstance(href, str) or not href.strip():
        return None
    url = urljoin(base, href.strip()).split("#", 1)[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_feed(client: HttpClient, candidate: FoundFeed) -> FoundFeed:
    """Fetch and parse the candidate; its kind and item count, or why it is not a feed."""
    from claimwire.ingest.feeds import FeedParseError, parse_feed

    result = client.get(candidate.url, accept="feed")
    if not result.ok or result.body is None:
        candidate.error = result.error or f"http_status: {result.status}"
        return candidate
    return _read_feed(candidate, result, parse_feed, FeedParseError)


def _read_feed(candidate: FoundFeed, result: FetchResult, parse, error_type) -> FoundFeed:  # type: ignore[no-untyped-def]
    try:
        parsed = parse(result.body, result.final_url or candidate.url,
                       content_type=result.content_type)
    except error_type as exc:
        candidate.error = f"feed_parse: {exc}"
        return candidate
    candidate.kind, candidate.items = parsed.kind, len(parsed.items)
    candidate.title = candidate.title or parsed.title
    return candidate


def _sitemaps(client: HttpClient, page_url: str) -> list[tuple[str, str | None]]:
    from protego import Protego

    result = client.get(_origin(page_url) + "/robots.txt", accept="any")
    if not result.ok or not result.body:
        return []
    try:
        urls = list(dict.fromkeys(Protego.parse(
            result.body[:512 * 1024].decode("utf-8", "replace")).sitemaps))
    except Exception:
        return []
    checked = []
    for url in urls[:10]:
        sitemap = client.get(url, accept="any")
        error = sitemap.error
        if error is None and not _looks_like_sitemap(sitemap.body or b""):
            error = "not a sitemap (no <urlset> or <sitemapindex>)"
        checked.append((url, error))
    return checked


def _looks_like_sitemap(body: bytes) -> bool:
    head = body[:4096].lower()
    return body[:2] == b"\x1f\x8b" or b"<urlset" in head or b"<sitemapindex" in head


def discover(client: HttpClient, page_url: str, *, sitemaps: bool = True) -> Discovery:
    """The feeds `page_url` advertises (or is), each validated, and its site's sitemaps."""
    from claimwire.ingest.feeds import FeedParseError, parse_feed

    found = Discovery(page_url)
    page = client.get(page_url, accept="any")
    if not page.ok or page.body is None:
        found.error = page.error or f"http_status: {page.status}"
        return found
    itself = _read_feed(FoundFeed(page.final_url or page_url, "itself"), page, parse_feed,
                        FeedParseError)
    if itself.valid:
        found.feeds.append(itself)
        candidates: list[FoundFeed] = []
    else:
        candidates = advertised_feeds(page.body, page.final_url or page_url)
    named = {c.url for c in candidates}
    base = _origin(page.final_url or page_url)
    guesses = [FoundFeed(base + path, "path") for path in COMMON_PATHS
               if base + path not in named and not itself.valid]
    for candidate in _limit(candidates, MAX_CANDIDATES):
        found.feeds.append(check_feed(client, candidate))
    known = {f.url for f in found.feeds}
    for guess in guesses:
        checked = check_feed(client, guess)
        if checked.valid and checked.url not in known:
            found.feeds.append(checked)
    if sitemaps:
        found.sitemaps = _sitemaps(client, page_url)
    return found


def _limit(items: Iterable[FoundFeed], count: int) -> list[FoundFeed]:
    return list(items)[:count]


def feed_hint(client: HttpClient, url: str, error: str) -> str:
    """`error` of a feed URL that answered with a web page, naming the feeds the page
    links (`<link rel=alternate>` and feed-looking anchors, not fetched)."""
    if not error.startswith(("bad_content_type: text/html",
                             "bad_content_type: application/xhtml")):
        return error
    page = client.get(url, accept="page")
    if not page.ok or page.body is None:
        return error
    feeds = advertised_feeds(page.body, page.final_url or url)
    if not feeds:
        return f"{error} (a web page that links no feed)"
    names = ", ".join(f.url for f in feeds[:HINT_FEEDS])
    more = f" and {len(feeds) - HINT_FEEDS} more" if len(feeds) > HINT_FEEDS else ""
    return (f"{error} (a web page, not a feed; it links {len(feeds)} feed(s): {names}{more}; "
            f"`claimwire feeds discover {url}` checks them)")

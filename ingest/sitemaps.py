"""Past article URLs from XML sitemaps, for backfills.

Handles sitemap indexes (followed recursively, each document fetched at most
once, so index loops end), plain `urlset` sitemaps, Google News sitemaps and
gzipped sitemaps. Namespaces vary in the wild (missing, http/https, typos in
the version), so elements are matched by local name only, and only at the
places the protocol puts them (a `<loc>` inside `<image:image>` is not the
page's URL).

Dates: an entry's date is its `news:publication_date` when present (that is
a publication time), else its `<lastmod>` (a modification time, which is never
earlier than publication). Entries without either are left out: a backfill
asks for a date range, and an undated URL could be from any year. With only
`lastmod`, a page published in the window but edited after it is missed
unless `loose_lastmod=True`, which keeps every entry modified on or after
`window.start` (the caller then filters by the page's own date).

A child sitemap whose index `<lastmod>` is before `window.start` is skipped:
nothing in it was modified since, so nothing in it was published in the window.
"""

from __future__ import annotations

import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from claimwire.formats.dates import parse_w3c_datetime
from claimwire.ingest.http import FetchResult, HttpClient
from claimwire.ingest.urls import canonicalize_url
from claimwire.ingest.walking import DocumentWalk
from claimwire.window import Window

# The sitemap protocol caps a file at 50 MB uncompressed; a little slack for sloppy sites.
MAX_SITEMAP_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"




@dataclass(frozen=True)
class SitemapEntry:
    url: str
    canonical_url: str
    published_at: datetime  # aware UTC; news publication date, else lastmod
    title: str | None  # news:title, when the sitemap is a news sitemap
    dated_by: str = "lastmod"  # "news" (publication date) or "lastmod"


@dataclass
class SitemapWalk:
    entries: list[SitemapEntry] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "<url>: <reason>"
    documents: int = 0  # sitemap documents parsed
    undated: int = 0  # entries left out for having no date
    pruned: int = 0  # child sitemaps skipped by their index lastmod


class SitemapError(ValueError):
    """The bytes are not a readable sitemap."""


def walk_sitemaps(
    client: HttpClient,
    sitemap_url: str,
    window: Window,
    *,
    max_documents: int = 1000,
    loose_lastmod: bool = False,
) -> SitemapWalk:
    """Entries of the sitemap (index) at `sitemap_url` dated inside `window`.

    Each URL is returned once (the first in-window listing wins). Never raises
    for remote problems: failed or unreadable documents go to `errors`.
    """
    walk = SitemapWalk()
    seen_urls: set[str] = set()
    queue: deque[str] = deque([sitemap_url])
    known = {canonicalize_url(sitemap_url)}
    # "any": sitemaps come as XML, gzip, octet-stream or text/plain alike.
    documents = DocumentWalk(client, "any", max_documents, walk.fetches, walk.errors)

    while queue:
        url = queue.popleft()
        if not documents.budget_left(url):
            break
        result = documents.fetch(url, known)
        if result is None:
            continue
        try:
            kind, root = parse_sitemap(result.body)
        except SitemapError as exc:
            walk.errors.append(f"{url}: {exc}")
            continue
        walk.documents += 1

        if kind == "index":
            for child, lastmod in _index_children(root, result.final_url):
                if lastmod is not None and lastmod < window.start:
                    walk.pruned += 1
                    continue
                key = canonicalize_url(child)
                if key in known or not key.startswith(("http://", "https://")):
                    continue
                known.add(key)
                queue.append(child)
            continue

        fresh = []
        for entry in _url_entries(root, result.final_url, walk):
            # Only kept entries claim a URL: another sitemap may date it inside the window.
            if entry.canonical_url not in seen_urls and _wanted(entry, window, loose_lastmod):
                seen_urls.add(entry.canonical_url)
                fresh.append(entry)
        walk.entries.extend(fresh)
    return walk


def parse_sitemap(body: bytes) -> tuple[str, etree._Element]:
    """("index" | "urlset", root element); gunzips first when the bytes are gzip."""
    if body.startswith(_GZIP_MAGIC):
        body = gunzip_capped(body, MAX_SITEMAP_BYTES)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,  # real sitemaps have stray ampersands; take what is readable
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    if root is None:
        raise SitemapError("not XML")
    name = _local(root)
    if name == "sitemapindex":
        return "index", root
    if name == "urlset":
        return "urlset", root
    raise SitemapError(f"not a sitemap: root element <{name}>")


def gunzip_capped(data: bytes, cap: int) -> bytes:
    """Decompress gzip bytes (several members allowed), refusing output over `cap` bytes."""
    parts: list[bytes] = []
    produced = 0
    while data.startswith(_GZIP_MAGIC):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk = data
        while True:
            try:
                out = inflater.decompress(chunk, cap - produced + 1)
            except zlib.error as exc:
                raise SitemapError(f"bad gzip: {exc}") from None
            produced += len(out)
            if produced > cap:
                raise SitemapError(f"gzipped sitemap over {cap} bytes uncompressed")
            parts.append(out)
            chunk = inflater.unconsumed_tail
            if inflater.eof or not chunk:
                break
        if not inflater.eof:
            raise SitemapError("bad gzip: truncated")
        data = inflater.unused_data
    return b"".join(parts)


def _wanted(entry: SitemapEntry, window: Window, loose: bool) -> bool:
    if window.contains(entry.published_at):
        return True
    return loose and entry.dated_by == "lastmod" and entry.published_at >= window.start


def _index_children(root: etree._Element, base_url: str) -> list[tuple[str, datetime | None]]:
    children = []
    for element in _children(root, "sitemap"):
        loc = _child_text(element, "loc")
        if loc:
            lastmod = parse_w3c_datetime(_child_text(element, "lastmod"))
            children.append((urljoin(base_url, loc), lastmod))
    return children


def _url_entries(root: etree._Element, base_url: str, walk: SitemapWalk) -> list[SitemapEntry]:
    entries = []
    for element in _children(root, "url"):
        loc = _child_text(element, "loc")
        if not loc:
            continue
        url = urljoin(base_url, loc)
        title = None
        published = None
        dated_by = "news"
        for news in _children(element, "news"):
            published = parse_w3c_datetime(_child_text(news, "publication_date"))
            title = _child_text(news, "title")
            break
        if published is None:
            dated_by = "lastmod"
            published = parse_w3c_datetime(_child_text(element, "lastmod"))
        if published is None:
            walk.undated += 1
            continue
        entries.append(SitemapEntry(url, canonicalize_url(url), published, title, dated_by))
    return entries


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in _children(element, name):
        text = (child.text or "").strip()
        if text:
            return text
    return None

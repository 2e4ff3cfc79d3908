"""Clean article text and metadata from one fetched HTML page.

`extract_article` never raises: whatever the input (empty, binary, huge, badly
encoded), it returns an `Extracted`, with `error` set when there is no article.
A page that is HTML but has no extractable body still gets its headline,
authors, date and language.

Each part has its own module: the body (`body`: trafilatura checked against
the JSON-LD body and readability), the headline (`headline`), the author list
(`authors`), the publication date and its precision (`pagedate`) and the
language (`language`). Figures for both dev sets: `python -m bench.quality`.
Metadata that a page declares for machines is read before the body, because
trafilatura prunes the tree it is given.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.html import HtmlElement

from claimwire.transform.authors import author_list
from claimwire.transform.body import extract_body
from claimwire.transform.headline import choose_headline, site_names
from claimwire.transform.language import resolve_language
from claimwire.transform.pagedate import guessed_date, page_date

log = logging.getLogger(__name__)

# Larger inputs are not article pages; trafilatura's own download cap is the same.
MAX_INPUT_BYTES = 20_000_000
# Real article pages have a few thousand elements (dev benchmark maximum ~1,600);
# trafilatura needs ~10 s for 100k, so beyond this the page is generated junk.
MAX_ELEMENTS = 50_000

# Magic numbers of formats that reach an HTML extractor by mistake.
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"PK\x03\x04",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"\x28\xb5\x2f\xfd",
    b"RIFF",
    b"OggS",
    b"\x00\x00\x01\x00",
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# How far into the document to look for a charset declaration: the HTML standard
# says 1024 bytes, but real pages put it after long inline scripts.
_CHARSET_SCAN_BYTES = 16_384
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Labels the HTML standard maps to another decoder than Python's of the same name.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    # A UTF-16 declaration inside a byte stream without a BOM is always wrong.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}
_TAG = re.compile(r"<\s*[A-Za-z!/]")

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "date",
)
_ARTICLE_TYPE = re.compile(r"(Article|Posting|Report)$")


@dataclass(frozen=True)
class Extracted:
    # The headline shown on the page, without the site name (`transform.headline`).
    title: str | None = None
    # The authors joined with ", ": kept for the `author` column until `authors` is wired.
    author: str | None = None
    published: datetime | None = None
    site_name: str | None = None
    # ISO 639-1 code of the article's language: from the text when there is
    # enough of it, else from the markup (`transform.language`).
    language: str | None = None
    text: str = ""
    canonical_url: str | None = None
    # Set when there is no article text. Metadata (title, authors, date,
    # language) is still filled in whenever the page was HTML.
    error: str | None = None
    # Author names, people (and credited agencies) only, in page order.
    authors: tuple[str, ...] = ()
    # How much of `published` the page gave: "day", "minute" or "second".
    published_precision: str | None = None
    # The language the markup declares and the one detected in the text.
    language_markup: str | None = None
    language_detected: str | None = None
    # Which extraction the text is: "trafilatura", "json-ld" or "readability".
    body_source: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def language_conflict(self) -> bool:
        """The markup declares one language and the text is in another."""
        return bool(
            self.language_markup
            and self.language_detected
            and self.language_markup != self.language_detected
        )


def extract_article(html: bytes | str, url: str | None = None) -> Extracted:
    """Article text and metadata of one page; `url` (where it was fetched) resolves links."""
    try:
        return _extract(html, url)
    except Exception as exc:  # the contract is "never raises"
        log.warning("extraction failed for %s: %r", url, exc)
        return Extracted(error=f"extraction failed: {type(exc).__name__}")


def _extract(html: bytes | str, url: str | None) -> Extracted:
    if isinstance(html, bytearray | memoryview):
        html = bytes(html)
    problem = _reject_early(html)
    if problem:
        return Extracted(error=problem)
    text = html if isinstance(html, str) else decode_html(html)
    # lxml refuses str input that still declares a byte encoding.
    text = _XML_DECLARATION.sub("", text, count=1)
    if not _TAG.search(text[:65_536]):
        return Extracted(error="not HTML")
    tree = trafilatura.load_html(text)
    if tree is None:
        return Extracted(error="not HTML")
    if sum(1 for _ in tree.iter()) > MAX_ELEMENTS:
        return Extracted(error="document too complex")

    # Read metadata before the body: trafilatura prunes the tree it is given.
    meta = _meta_values(tree)
    json_ld = list(_json_ld_items(tree))
    article_ld = [item for item in json_ld if _is_article_item(item)]
    canonical = canonical_url(tree, url)
    markup_language = page_language(tree)
    publisher = _publisher_name(article_ld)
    sites = site_names(meta, publisher, canonical or url)
    title = choose_headline(
        tree, meta, [h for h in (i.get("headline") for i in article_ld) if isinstance(h, str)],
        sites,
    ) or _first(meta.get("og:title"))
    authors = tuple(author_list(tree, meta, json_ld, sites))
    date = page_date(meta, json_ld, tree.iter("time")) or guessed_date(tree)
    site_name = _first(meta.get("og:site_name"), publisher)

    body = extract_body(tree, url, _json_ld_body(article_ld))
    language = resolve_language(markup_language, body.text, title)
    return Extracted(
        title=title,
        author=", ".join(authors) or None,
        published=date.moment if date else None,
        site_name=site_name,
        language=language.code,
        text=body.text,
        canonical_url=canonical,
        error=body.error,
        authors=authors,
        published_precision=date.precision if date else None,
        language_markup=language.markup,
        language_detected=language.detected,
        body_source=body.source,
    )


def _is_article_item(item: dict[str, Any]) -> bool:
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and _ARTICLE_TYPE.search(t) for t in types)


def _publisher_name(article_items: list[dict[str, Any]]) -> str | None:
    for item in article_items:
        publisher = item.get("publisher")
        if isinstance(publisher, list) and publisher:
            publisher = publisher[0]
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return publisher["name"]
    return None


def _json_ld_body(article_items: list[dict[str, Any]]) -> str | None:
    bodies = [i.get("articleBody") for i in article_items if isinstance(i.get("articleBody"), str)]
    return max(bodies, key=len) if bodies else None


def _reject_early(html: bytes | str) -> str | None:
    if not isinstance(html, bytes | str):
        return "not HTML"
    if len(html) > MAX_INPUT_BYTES:
        return "document too large"
    if not html.strip():
        return "empty document"
    if isinstance(html, bytes):
        start = html[:1024]
        if start.startswith(_BINARY_SIGNATURES):
            return "not HTML"
        # NUL bytes mean binary data, unless the document is UTF-16 with a BOM.
        if b"\x00" in start and not start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "not HTML"
    elif "\x00" in html[:1024]:
        return "not HTML"
    return None


# --- decoding ---------------------------------------------------------------


def declared_charset(data: bytes) -> str | None:
    """The Python codec for the page's own charset declaration, if it has a usable one."""
    head = data[:_CHARSET_SCAN_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii", "ignore").strip().lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes) -> str:
    """Decode page bytes: BOM, then UTF-8, then the page's declaration, then detection.

    Bytes that are valid UTF-8 are taken as UTF-8 even when the page declares a
    legacy charset: legacy non-ASCII text is practically never valid UTF-8, but
    UTF-8 pages that kept an old `charset=iso-8859-1` from their template are
    common, and honouring the declaration there would garble every accent.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding = declared_charset(data) or _detect_charset(data) or "cp1252"
    return data.decode(encoding, errors="replace")


def _detect_charset(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # a trafilatura dependency, but detection is optional
        return None
    best = from_bytes(data[:65_536]).best()
    return best.encoding if best is not None else None


# --- page metadata ----------------------------------------------------------


def _meta_values(tree: HtmlElement) -> dict[str, str]:
    """First content of each <meta> by lower-cased property/name/itemprop."""
    values: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key:
                values.setdefault(key, content)
    return values


def canonical_url(tree: HtmlElement, url: str | None = None) -> str | None:
    """Absolute http(s) URL from <link rel=canonical>, else og:url; relative ones need `url`."""
    base = url or ""
    for element in tree.iter("base"):
        if element.get("href"):
            base = urljoin(base, element.get("href").strip())
            break
    candidates = [
        link.get("href")
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")
    ]
    candidates.append(_meta_values(tree).get("og:url"))
    for href in candidates:
        if not href:
            continue
        absolute = urljoin(base, href.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc:
            return absolute
    return None


def published_time(tree: HtmlElement) -> datetime | None:
    """Publication time the page declares, in UTC: meta tags, then JSON-LD, then <time>."""
    meta = _meta_values(tree)
    for key in _PUBLISHED_META[:3]:
        moment = parse_datetime(meta.get(key))
        if moment:
            return moment
    for item in _json_ld_items(tree):
        types = item.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and _ARTICLE_TYPE.search(t) for t in types):
            moment = parse_datetime(item.get("datePublished"))
            if moment:
                return moment
    for key in _PUBLISHED_META[3:]:
        moment = parse_datetime(meta.get(key))
        if moment:
            return moment
    for element in tree.iter("time"):
        if element.get("itemprop") == "datePublished" or element.get("pubdate") is not None:
            moment = parse_datetime(element.get("datetime"))
            if moment:
                return moment
    return None


def _json_ld_items(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        yield from _walk_json_ld(data, depth=0)


def _walk_json_ld(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 5:  # real JSON-LD is shallow; a bound keeps hostile input cheap
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk_json_ld(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_json_ld(data["@graph"], depth + 1)


def page_language(tree: HtmlElement) -> str | None:
    """Primary language subtag ("en" for "en-GB"), from lang, Content-Language or og:locale."""
    meta = _meta_values(tree)
    http_equiv = {
        (m.get("http-equiv") or "").lower(): m.get("content") or "" for m in tree.iter("meta")
    }
    for value in (
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        http_equiv.get("content-language"),
        meta.get("og:locale"),
    ):
        match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", value or "")
        if match:
            return match.group(1).lower()
    return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 2822 timestamp to an aware UTC datetime; naive ones are taken as UTC."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment is None or not 1990 <= moment.year <= 2100:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- helpers ----------------------------------------------------------------


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None

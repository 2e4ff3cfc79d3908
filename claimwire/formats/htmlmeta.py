"""What an HTML page declares about itself for machines: canonical URL, publication
time, language, `<meta>` values and JSON-LD items.

Read from the parsed tree before any extractor prunes it. Publication time
keeps its UTC offset (trafilatura keeps only the date part), and where a page
declares nothing the answer is None rather than a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from claimwire.formats.charset import decode
from claimwire.formats.dates import parse_timestamp

PUBLISHED_META = (
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
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def meta_values(tree: HtmlElement) -> dict[str, str]:
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


def json_ld_items(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, `@graph` members included."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
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
    candidates.append(meta_values(tree).get("og:url"))
    for href in candidates:
        if not href:
            continue
        absolute = urljoin(base, href.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc:
            return absolute
    return None


@dataclass(frozen=True)
class PageDate:
    moment: datetime  # aware, UTC
    precision: str  # "day", "minute" or "second" (see `formats.dates.parse_timestamp`)
    source: str  # "json-ld", the meta name, "time", or who guessed it


def is_article_item(item: dict[str, Any]) -> bool:
    """A JSON-LD item of an article type (NewsArticle, BlogPosting, Report, ...)."""
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and _ARTICLE_TYPE.search(t) for t in types)


def published_date(
    tree: HtmlElement,
    meta: dict[str, str] | None = None,
    json_ld: list[dict[str, Any]] | None = None,
) -> PageDate | None:
    """The publication date the page declares: the JSON-LD article's
    `datePublished`, then the meta tags, then a <time> marked as publication.

    JSON-LD comes first because live blogs and updated stories rewrite the
    meta tag on every update while the structured data keeps the first
    publication (the two disagree on about one page in twenty).
    """
    meta = meta if meta is not None else meta_values(tree)
    json_ld = json_ld if json_ld is not None else list(json_ld_items(tree))
    for item in json_ld:
        if is_article_item(item) and (parsed := parse_timestamp(item.get("datePublished"))):
            return PageDate(*parsed, "json-ld")
    for key in PUBLISHED_META:
        if parsed := parse_timestamp(meta.get(key)):
            return PageDate(*parsed, key)
    for element in tree.iter("time"):
        marked = element.get("itemprop") == "datePublished" or element.get("pubdate") is not None
        if marked and (parsed := parse_timestamp(element.get("datetime"))):
            return PageDate(*parsed, "time")
    return None


# Elements that hold the label of a label/value pair on a page's metadata
# line or list ("<strong>Datum</strong> 28.04.2023", "<dt>Author</dt><dd>...").
_LABEL_TAGS = ("strong", "b", "dt", "th", "span", "label", "em")
_MAX_LABEL_CHARS = 30


def labelled_values(tree: HtmlElement, labels: frozenset[str], limit: int = 3) -> list[str]:
    """The values the page writes after one of `labels` (case-folded, without
    a trailing colon): the label element's tail text, else the next element's
    text. In page order, at most `limit`."""
    values: list[str] = []
    for element in tree.iter(*_LABEL_TAGS):
        own = element.text_content()
        if len(own) > _MAX_LABEL_CHARS:
            continue
        if " ".join(own.split()).rstrip(":").strip().casefold() not in labels:
            continue
        value = " ".join((element.tail or "").split()).strip(" :|")
        if not value and (following := element.getnext()) is not None:
            value = " ".join(following.text_content().split())
        if value:
            values.append(value)
            if len(values) >= limit:
                break
    return values


# Labels of the publication date on a page's metadata list, in the dev pages'
# languages (a label of the last update, "Stand", "Updated", is not one).
DATE_LABELS = frozenset({
    "date", "published", "publication date", "datum", "veröffentlicht", "veröffentlicht am",
    "erschienen", "publié", "publié le", "fecha", "publicado", "data", "pubblicato", "dato",
    "publisert", "tarih", "yayın tarihi",
})
_DOTTED_DATE = re.compile(r"^\s*(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b")


def labelled_date(tree: HtmlElement) -> PageDate | None:
    """A date the page labels as its publication date (ISO, or day.month.year,
    the order every language that writes dots uses)."""
    for value in labelled_values(tree, DATE_LABELS):
        if parsed := parse_timestamp(value):
            return PageDate(*parsed, "label")
        dotted = _DOTTED_DATE.match(value)
        if dotted and (parsed := parse_timestamp(f"{dotted[3]}-{int(dotted[2]):02d}-"
                                                 f"{int(dotted[1]):02d}")):
            return PageDate(*parsed, "label")
    return None


def page_language(tree: HtmlElement) -> str | None:
    """Primary language subtag ("en" for "en-GB"), from lang, Content-Language or og:locale."""
    meta = meta_values(tree)
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


def page_text(data: bytes, charset: str | None = None) -> str:
    """The page decoded (see `formats.charset`), without an XML declaration lxml
    would refuse in a str."""
    return XML_DECLARATION.sub("", decode(data, charset), count=1)


def page_published_at(data: bytes, charset: str | None = None) -> datetime | None:
    """The publication time an HTML page declares, or None (never raises)."""
    import lxml.html

    try:
        text = page_text(data, charset)
        if not text.strip():
            return None
        found = published_date(lxml.html.document_fromstring(text))
        return found.moment if found else None
    except Exception:  # a stranger's markup; no date is the honest answer
        return None

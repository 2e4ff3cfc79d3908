"""Clean article text and metadata from one fetched HTML page.

`extract_article` never raises: whatever the input (empty, binary, huge, badly
encoded), it returns an `Extracted`, with `error` set when there is no article.
A page that is HTML but has no extractable body still gets its headline,
authors, date and language.

Each part has its own module: the body (`body`: trafilatura checked against
the JSON-LD body and readability), the headline (`headline`), the author list
(`authors`), the publication date and its precision (`formats.htmlmeta.published_date`) and the
language (`language`). Figures for both dev sets: `python -m bench.quality`.
Metadata that a page declares for machines is read before the body, because
trafilatura prunes the tree it is given.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import trafilatura
from lxml.html import HtmlElement

from claimwire.formats.charset import bom
from claimwire.formats.htmlmeta import (
    XML_DECLARATION,
    PageDate,
    canonical_url,
    is_article_item,
    json_ld_items,
    labelled_date,
    meta_values,
    page_language,
    page_text,
    published_date,
)
from claimwire.formats.media import BINARY_SIGNATURES
from claimwire.transform.authors import author_list, signature_author, signature_candidates
from claimwire.transform.body import extract_body
from claimwire.transform.headline import choose_headline, same_headline, site_names
from claimwire.transform.language import resolve_language

log = logging.getLogger(__name__)

# Part of every article's `extractor_version`: raise it when what extraction
# stores changes, so a replay shows which articles have the new reading.
EXTRACTION_VERSION = "extract-4"

# Larger inputs are not article pages; trafilatura's own download cap is the same.
MAX_INPUT_BYTES = 20_000_000
# Real article pages have a few thousand elements (dev benchmark maximum ~1,600);
# trafilatura needs ~10 s for 100k, so beyond this the page is generated junk.
MAX_ELEMENTS = 50_000
_TAG = re.compile(r"<\s*[A-Za-z!/]")


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
    # Which extraction the text is: "trafilatura", "trafilatura-trimmed", "json-ld",
    # or "readability".
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


def extract_article(
    html: bytes | str, url: str | None = None, charset: str | None = None
) -> Extracted:
    """Article text and metadata of one page; `url` (where it was fetched) resolves
    links; `charset` is what the transport declared (see `formats.charset`)."""
    try:
        return _extract(html, url, charset)
    except Exception as exc:  # the contract is "never raises"
        log.warning("extraction failed for %s: %r", url, exc)
        return Extracted(error=f"extraction failed: {type(exc).__name__}")


def _extract(html: bytes | str, url: str | None, charset: str | None) -> Extracted:
    if isinstance(html, bytearray | memoryview):
        html = bytes(html)
    problem = _reject_early(html)
    if problem:
        return Extracted(error=problem)
    if isinstance(html, bytes):
        text = page_text(html, charset)
    else:  # lxml refuses str input that still declares a byte encoding
        text = XML_DECLARATION.sub("", html, count=1)
    if not _TAG.search(text[:65_536]):
        return Extracted(error="not HTML")
    tree = trafilatura.load_html(text)
    if tree is None:
        return Extracted(error="not HTML")
    if sum(1 for _ in tree.iter()) > MAX_ELEMENTS:
        return Extracted(error="document too complex")

    # Read metadata before the body: trafilatura prunes the tree it is given.
    meta = meta_values(tree)
    json_ld = list(json_ld_items(tree))
    article_ld = [item for item in json_ld if is_article_item(item)]
    canonical = canonical_url(tree, url)
    markup_language = page_language(tree)
    publisher = _publisher_name(article_ld)
    sites = site_names(meta, publisher, canonical or url)
    title = choose_headline(
        tree, meta, [h for h in (i.get("headline") for i in article_ld) if isinstance(h, str)],
        sites,
    ) or _first(meta.get("og:title"))
    authors = tuple(author_list(tree, meta, json_ld, sites))
    signatures = [] if authors else signature_candidates(tree)
    date = published_date(tree, meta, json_ld) or labelled_date(tree) or _guessed_date(tree)
    site_name = _first(meta.get("og:site_name"), publisher)

    body = extract_body(tree, url, _json_ld_body(article_ld))
    text = without_headline(body.text, title)
    if signatures:
        authors = tuple(signature_author(signatures, text, sites))
    language = resolve_language(markup_language, text, title)
    return Extracted(
        title=title,
        author=", ".join(authors) or None,
        published=date.moment if date else None,
        site_name=site_name,
        language=language.code,
        text=text,
        canonical_url=canonical,
        error=body.error,
        authors=authors,
        published_precision=date.precision if date else None,
        language_markup=language.markup,
        language_detected=language.detected,
        body_source=body.source,
    )


def without_headline(text: str, headline: str | None) -> str:
    """The body without a first line that repeats the headline (kept in `title`).

    Extractors keep the article's `<h1>` when it sits inside the article
    element; the headline is not part of the article's text (neither dev set's
    expected bodies has it: 24 such pages, body F1 +0.0008 on both).
    """
    first, _, rest = text.partition("\n")
    return rest if headline and rest.strip() and same_headline(first, headline) else text


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


def _guessed_date(tree: HtmlElement) -> PageDate | None:
    """Last resort for pages that declare no date: htmldate's reading of the page.

    htmldate looks at visible dates, URL patterns and markup we do not read; its
    answer is a day, so the precision says so. It edits the tree it is given,
    hence the copy (made only on pages that need it).
    """
    from copy import deepcopy

    from htmldate import find_date

    from claimwire.formats.dates import parse_timestamp

    try:
        found = find_date(deepcopy(tree), original_date=True, extensive_search=False)
    except Exception:  # a guess that fails is no guess
        return None
    parsed = parse_timestamp(found[:10]) if isinstance(found, str) else None
    return PageDate(parsed[0], "day", "htmldate") if parsed else None


def _reject_early(html: bytes | str) -> str | None:
    if not isinstance(html, bytes | str):
        return "not HTML"
    if len(html) > MAX_INPUT_BYTES:
        return "document too large"
    if not html.strip():
        return "empty document"
    if isinstance(html, bytes):
        start = html[:1024]
        if start.startswith(BINARY_SIGNATURES):
            return "not HTML"
        # NUL bytes mean binary data, unless the document is UTF-16/32 with a BOM.
        if b"\x00" in start and not (bom(start) or ("",))[0].startswith(("utf-16", "utf-32")):
            return "not HTML"
    elif "\x00" in html[:1024]:
        return "not HTML"
    return None


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None

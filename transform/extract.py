"""Clean article text and metadata from one fetched HTML page.

`extract_article` never raises: whatever the input (empty, binary, huge, badly
encoded), it returns an `Extracted`, with `error` set when there is no article.

Trafilatura settings were chosen by measurement on the dev half of the
article-extraction benchmark (`python -m claimwire.transform.extract_quality
<dev_dir>`); see `TRAFILATURA_OPTIONS`. Metadata that a page declares for
machines (canonical link, publication time with its UTC offset, `lang`) is read
here directly, because trafilatura keeps only the date part of timestamps and
falls back to guesses where we would rather have nothing.
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
from claimwire.formats.dates import parse_datetime
from claimwire.formats.htmlmeta import (
    XML_DECLARATION,
    canonical_url,
    meta_values,
    page_language,
    page_text,
    published_time,
)
from claimwire.formats.media import BINARY_SIGNATURES

log = logging.getLogger(__name__)

# Chosen on the benchmark's dev pages (macro F1 of 4-gram shingles, 91 pages):
#   bare defaults 0.958; include_comments=False 0.961; + favor_precision 0.974;
#   + fast (no fallback extractors) 0.970, i.e. the fallbacks buy recall.
# include_comments=False is also a requirement: reader comments are not the
# article. favor_precision drops link-dense and boilerplate-like blocks (teasers,
# "related" lists, bios), which is the failure that matters for claim extraction:
# a sentence from a sidebar attributed to the article is worse than a lost one.
# deduplicate stays off: its cache spans calls, so results would depend on
# which pages were extracted before.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
    "fast": False,
    "deduplicate": False,
}

# Larger inputs are not article pages; trafilatura's own download cap is the same.
MAX_INPUT_BYTES = 20_000_000
# Real article pages have a few thousand elements (dev benchmark maximum ~1,600);
# trafilatura needs ~10 s for 100k, so beyond this the page is generated junk.
MAX_ELEMENTS = 50_000
_TAG = re.compile(r"<\s*[A-Za-z!/]")


@dataclass(frozen=True)
class Extracted:
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    text: str = ""
    canonical_url: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


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

    # Read our metadata before trafilatura, which prunes the tree it is given.
    canonical = canonical_url(tree, url)
    published = published_time(tree)
    language = page_language(tree)
    head = _head_metadata(tree)

    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, **TRAFILATURA_OPTIONS)
    body = _clean_text(doc.text if doc is not None else None)
    if published is None and doc is not None and doc.date:
        # Trafilatura's date is day-precision (and sometimes a guess): last resort.
        published = parse_datetime(doc.date)
    return Extracted(
        title=_first(doc.title if doc else None, head.get("title")),
        author=_first(doc.author if doc else None, head.get("author")),
        published=published,
        site_name=_first(doc.sitename if doc else None, head.get("site_name")),
        language=language,
        text=body,
        canonical_url=canonical,
        error=None if body else "no article text found",
    )


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


def _head_metadata(tree: HtmlElement) -> dict[str, str]:
    meta = meta_values(tree)
    found = {
        "title": meta.get("og:title") or _text_of(tree.find(".//title")),
        "author": meta.get("author") or meta.get("article:author"),
        "site_name": meta.get("og:site_name"),
    }
    return {key: value for key, value in found.items() if value}


# --- helpers ----------------------------------------------------------------


def _clean_text(text: str | None) -> str:
    if not text:
        return ""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _text_of(element: HtmlElement | None) -> str | None:
    if element is None:
        return None
    return " ".join(element.text_content().split()) or None


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None

"""Publication date of a page, with the precision the page gives it.

Sources, first found wins:
1. JSON-LD `datePublished` of the article item. It is preferred over
   `article:published_time` because live blogs and updated stories rewrite the
   meta tag on every update while the structured data keeps the first
   publication (and the two disagree on about one page in twenty).
2. The publication meta tags (`article:published_time`, `datePublished`, ...).
3. A `<time>` element marked as the publication time.

A date without a time of day is not midnight: it is returned as midnight UTC
with precision "day", so consumers can tell a known instant from a known day.
Precisions: "day", "minute" (hours and minutes), "second" (seconds or finer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

_ARTICLE_TYPE = re.compile(r"(Article|Posting|Report)$")
# Meta tags that carry the publication time, most specific first.
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
_DATE_ONLY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# ISO 8601 forms Python's parser misses: "+0000" offsets, a space before the offset.
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2}|Z)$")
_HAS_SECONDS = re.compile(r"T?\d{1,2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class PageDate:
    moment: datetime  # aware, UTC
    precision: str  # "day", "minute" or "second"
    source: str  # "json-ld", a meta name, or "time"


def parse_page_date(value: Any) -> tuple[datetime, str] | None:
    """A timestamp string to (aware UTC datetime, precision); None if it is not one.

    Naive timestamps are taken as UTC (a page that omits the offset gives no
    better guess); date-only values become midnight UTC with precision "day".
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    text = value.strip()
    day = _DATE_ONLY.match(text)
    if day:
        try:
            moment = datetime(int(day[1]), int(day[2]), int(day[3]), tzinfo=UTC)
        except ValueError:
            return None
        return (moment, "day") if _plausible(moment) else None
    moment = _parse_iso(text) or _parse_rfc2822(text)
    if moment is None or not _plausible(moment):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    precision = "second" if _HAS_SECONDS.search(text) else "minute"
    return moment.astimezone(UTC), precision


def page_date(
    meta: dict[str, str], json_ld_items: Iterable[dict[str, Any]], time_elements: Iterable[Any]
) -> PageDate | None:
    """The page's publication date: JSON-LD article item, then meta tags, then <time>."""
    for item in json_ld_items:
        if not _is_article(item):
            continue
        parsed = parse_page_date(item.get("datePublished"))
        if parsed:
            return PageDate(*parsed, "json-ld")
    for key in PUBLISHED_META:
        parsed = parse_page_date(meta.get(key))
        if parsed:
            return PageDate(*parsed, key)
    for element in time_elements:
        if element.get("itemprop") == "datePublished" or element.get("pubdate") is not None:
            parsed = parse_page_date(element.get("datetime"))
            if parsed:
                return PageDate(*parsed, "time")
    return None


def _is_article(item: dict[str, Any]) -> bool:
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and _ARTICLE_TYPE.search(t) for t in types)


def _parse_iso(text: str) -> datetime | None:
    candidate = _SPACED_OFFSET.sub(r"\1", text)
    candidate = _COMPACT_OFFSET.sub(r"\1:\2", candidate) if "T" in candidate else candidate
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _plausible(moment: datetime) -> bool:
    return 1990 <= moment.year <= 2100


def guessed_date(tree: Any) -> PageDate | None:
    """Last resort for pages that declare no date: htmldate's reading of the page.

    htmldate looks at visible dates, URL patterns and markup we do not read; its
    answer is a day, so the precision says so. It edits the tree it is given,
    hence the copy (made only on pages that need it).
    """
    from copy import deepcopy

    from htmldate import find_date

    try:
        found = find_date(deepcopy(tree), original_date=True, extensive_search=False)
    except Exception:  # a guess that fails is no guess
        return None
    parsed = parse_page_date(found[:10]) if isinstance(found, str) else None
    return PageDate(parsed[0], "day", "htmldate") if parsed else None

"""Timestamps as the web writes them: ISO 8601 / W3C, RFC 2822 (HTTP, RSS), partial dates.

Every function returns an aware UTC datetime (or None), never raises; a
timestamp without a zone is taken as UTC (a page that omits the offset gives
no better guess).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Years outside this range in page or feed metadata are typos or placeholders.
EARLIEST_YEAR = 1990
LATEST_YEAR = 2100
# Dates further ahead than this are a publisher's clock or typo, not news.
FUTURE_TOLERANCE = timedelta(days=2)
# W3C datetime allows year-only and year-month dates, which fromisoformat refuses.
_PARTIAL_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")
_DATE_ONLY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# ISO 8601 forms Python's parser misses: "+0000" offsets, a space before the offset.
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2}|Z)$")
_HAS_SECONDS = re.compile(r"T?\d{1,2}:\d{2}:\d{2}")
# A year written with three or four digits (not a time, an offset or a day).
_LONG_YEAR = re.compile(r"(?<![\d:+-])(\d{3,4})(?![\d:])")


def parse_timestamp(value: object) -> tuple[datetime, str] | None:
    """ISO 8601 / RFC 2822 text -> (aware UTC datetime, precision), None when unreadable
    or implausible. Precision: "day" (a date without a time of day, given as
    midnight UTC, which it is not), "minute" or "second"."""
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
    parsed = _parse_iso(text) or _parse_rfc2822(text)
    if parsed is None or not _plausible(parsed):
        return None
    return as_utc(parsed), "second" if _HAS_SECONDS.search(text) else "minute"


def parse_datetime(value: object) -> datetime | None:
    """ISO 8601 or RFC 2822 text -> aware UTC, None when unreadable or implausible."""
    parsed = parse_timestamp(value)
    return parsed[0] if parsed else None


def _parse_iso(text: str) -> datetime | None:
    candidate = _SPACED_OFFSET.sub(r"\1", text)
    candidate = _COMPACT_OFFSET.sub(r"\1:\2", candidate) if "T" in candidate else candidate
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # The email parser widens every year below 100 as if it had two digits,
    # so "0001" would come back as 2001; a year written in full is kept.
    written = _LONG_YEAR.search(text)
    if written and int(written.group(1)) != parsed.year:
        return None
    return parsed


def _plausible(moment: datetime) -> bool:
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive value is taken as UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """W3C datetime (full, date-only, year-month or year) -> aware UTC, else None."""
    moment = parse_datetime(value)
    if moment is not None or not value:
        return moment
    match = _PARTIAL_DATE.match(value)
    if match:
        year, month = int(match.group(1)), int(match.group(2) or 1)
        if EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= month <= 12:
            return datetime(year, month, 1, tzinfo=UTC)
    return None


def not_in_future(moment: datetime | None, now: datetime | None = None) -> datetime | None:
    """`moment`, or None when it lies beyond the tolerance ahead of `now`."""
    if moment is None:
        return None
    if moment > (now or datetime.now(UTC)) + FUTURE_TOLERANCE:
        return None
    return moment


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """HTTP Retry-After (delta seconds or HTTP date) as seconds; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (as_utc(when) - (now or datetime.now(UTC))).total_seconds())

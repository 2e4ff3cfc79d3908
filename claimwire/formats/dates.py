"""Timestamps as the web writes them: ISO 8601 / W3C, RFC 2822 (HTTP, RSS), partial dates.

Every function returns an aware UTC datetime or None, never raises; a
timestamp without a zone is taken as UTC.
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


def parse_datetime(value: object) -> datetime | None:
    """ISO 8601 or RFC 2822 text -> aware UTC, None when unreadable or implausible."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return None
    return as_utc(moment)


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

"""Resolve date expressions to calendar days, relative to a publication date."""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b", re.I
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WEEKDAY = re.compile(r"\b(last\s+|this\s+|next\s+)?(" + "|".join(WEEKDAYS) + r")\b", re.I)
_RELATIVE = re.compile(
    r"\b(yesterday|today|tonight|this morning|this afternoon|this evening|"
    r"last night|over the weekend|this weekend|last weekend|last week)\b",
    re.I,
)

# Anything that names a day, used to find candidate expressions in a sentence.
DATE_HINT = re.compile(
    rf"\b(?:{_MONTH_RE})\b|\b(?:{'|'.join(WEEKDAYS)})\b|\d{{4}}-\d{{2}}-\d{{2}}|"
    r"\byesterday\b|\btoday\b|\btonight\b|\blast (?:night|week|weekend)\b|"
    r"\b(?:over|this) the weekend\b|\bthis (?:morning|afternoon|evening)\b",
    re.I,
)


def _safe(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _with_year(month: int, day: int, published: dt.date | None) -> dt.date | None:
    """A day and month without year: the latest such day not far after publication."""
    if published is None:
        return None
    found = _safe(published.year, month, day)
    # A statement cannot postdate the article by much; "December 30" in a
    # January article is last year's.
    if found is not None and found > published + dt.timedelta(days=7):
        found = _safe(published.year - 1, month, day)
    return found


def resolve_date(expr: str, published: dt.date | None) -> dt.date | None:
    """Resolve one date expression ("on October 13", "Tuesday", "yesterday")."""
    m = _ISO.search(expr)
    if m:
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    m = _DAY_MONTH.search(expr)
    if m:
        day, month = int(m[1]), MONTHS[m[2].lower()]
        return _safe(int(m[3]), month, day) if m[3] else _with_year(month, day, published)
    m = _MONTH_DAY.search(expr)
    if m:
        month, day = MONTHS[m[1].lower()], int(m[2])
        return _safe(int(m[3]), month, day) if m[3] else _with_year(month, day, published)
    if published is None:
        return None
    m = _RELATIVE.search(expr)
    if m:
        word = m[1].lower()
        if word in ("yesterday", "last night"):
            return published - dt.timedelta(days=1)
        if word == "last week":
            # claimed_on is a single day: take the Monday of the previous week.
            return published - dt.timedelta(days=published.weekday() + 7)
        if "weekend" in word:
            # The most recent Saturday strictly before publication.
            back = (published.weekday() - 5) % 7 or 7
            return published - dt.timedelta(days=back)
        return published
    m = _WEEKDAY.search(expr)
    if m:
        target = WEEKDAYS.index(m[2].lower())
        back = (published.weekday() - target) % 7
        if m[1] and m[1].strip().lower() == "last" and back == 0:
            back = 7
        if m[1] and m[1].strip().lower() == "next":
            return published + dt.timedelta(days=(target - published.weekday()) % 7 or 7)
        # News uses a bare weekday for the most recent such day, the
        # publication day included.
        return published - dt.timedelta(days=back)
    return None


def find_date_expressions(text: str) -> list[tuple[int, int]]:
    """Character spans of day-level date expressions in `text`."""
    spans: list[tuple[int, int]] = []
    for rx in (_ISO, _DAY_MONTH, _MONTH_DAY, _RELATIVE, _WEEKDAY):
        for m in rx.finditer(text):
            if any(s <= m.start() < e or m.start() <= s < m.end() for s, e in spans):
                continue
            if rx is _WEEKDAY and m[2].lower() == "may":
                continue
            spans.append((m.start(), m.end()))
    return sorted(spans)


_DATELINE = re.compile(
    rf"(\d{{4}}-\d{{2}}-\d{{2}})|(?:{_MONTH_RE})\.?\s+\d{{1,2}},?\s+\d{{4}}|"
    rf"\d{{1,2}}\s+(?:{_MONTH_RE})\.?\s+\d{{4}}",
    re.I,
)


def dateline_date(text: str, window: int = 120) -> dt.date | None:
    """A full date (with year) at the very top of an article, e.g. a dateline."""
    head = text[:window]
    m = _DATELINE.search(head)
    return resolve_date(m.group(0), None) if m else None

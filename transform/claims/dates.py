"""Read date expressions as calendar days, relative to a publication date.

A reading says how it was obtained (or why it could not be), so that a
claim's date is never a silent guess: a year-less "Oct. 25" in an undated
article takes its year from the article's own full dates or stays
unresolved with that reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

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
_WEEKDAY_RE = "|".join(WEEKDAYS)

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_FULL_MONTH_RE = "|".join(n for n in MONTHS if len(n) > 3 or n == "may")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?\b", re.I
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_RE})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:%|percent|per\b))"
    rf"(?:,?\s+(\d{{4}}))?",
    re.I,
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WEEKDAY = re.compile(rf"\b(last\s+|this\s+|next\s+|past\s+)?({_WEEKDAY_RE})\b", re.I)
_RELATIVE = re.compile(
    r"\b(yesterday|today|tonight|this morning|this afternoon|this evening|"
    r"last night|over the weekend|this weekend|last weekend|last week)\b",
    re.I,
)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_AGO = re.compile(r"\b(\d{1,2}|an?|one|two|three|four|five|six)\s+(day|week)s?\s+ago\b", re.I)
# A month without a day names a date only as "in March", "last March",
# "March 2024": a bare capitalised "May" or "March" is too often a verb,
# a modal or a name.  Case-sensitive on purpose.
_MONTH_ONLY = re.compile(
    rf"\b(?:(?:[Ii]n|[Ee]arly|[Ll]ate|[Mm]id|[Ll]ast|[Tt]his|[Ss]ince|[Dd]uring)\s+(?:mid-)?"
    rf"(?:early\s+|late\s+)?({'|'.join(n.title() for n in MONTHS if len(n) > 3 or n == 'may')})"
    rf"(?:,?\s+(\d{{4}}))?"
    rf"|({'|'.join(n.title() for n in MONTHS if len(n) > 3 or n == 'may')}),?\s+(\d{{4}}))\b"
)
_LAST_MONTH = re.compile(r"\blast month\b", re.I)

# Anything that names a day or a month, used to find candidate sentences.
DATE_HINT = re.compile(
    rf"\b(?:{_MONTH_RE})\b|\b(?:{_WEEKDAY_RE})\b|\d{{4}}-\d{{2}}-\d{{2}}|"
    r"\byesterday\b|\btoday\b|\btonight\b|\blast (?:night|week|weekend|month)\b|"
    r"\b(?:over|this) the weekend\b|\bthis (?:morning|afternoon|evening)\b|\bago\b",
    re.I,
)


@dataclass(frozen=True)
class DateReading:
    """What one date expression says: a day (or None) and how it was read."""

    day: dt.date | None
    precision: str  # "day" | "month"
    note: str  # "explicit", "year from article", "relative", "year unknown", ...


@dataclass(frozen=True)
class DateContext:
    """What an article offers for reading its date expressions."""

    published: dt.date | None = None
    # Used only without a publication date: the latest year among the
    # article's own full dates ("September 25, 2019").
    year: int | None = None


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


def _weekday_year(month: int, day: int, weekday: int, around: int) -> int | None:
    """The one year near `around` in which that day falls on that weekday."""
    years = [y for y in (around, around - 1, around + 1) if (d := _safe(y, month, day))
             and d.weekday() == weekday]
    return years[0] if years else None


def _month_day(month: int, day: int, year: str | None, weekday: str | None,
               ctx: DateContext) -> DateReading:
    if year:
        return DateReading(_safe(int(year), month, day), "day", "explicit")
    wd = WEEKDAYS.index(weekday.lower()) if weekday else None
    if ctx.published is not None:
        found = _with_year(month, day, ctx.published)
        if wd is not None and found is not None and found.weekday() != wd:
            y = _weekday_year(month, day, wd, ctx.published.year)
            found = _safe(y, month, day) if y else found
        return DateReading(found, "day", "year from publication date")
    if ctx.year is not None:
        y = _weekday_year(month, day, wd, ctx.year) if wd is not None else None
        return DateReading(_safe(y or ctx.year, month, day), "day", "year from article dates")
    return DateReading(None, "day", "year unknown")


def read_date(expr: str, ctx: DateContext) -> DateReading | None:
    """Read one date expression ("on Oct. 25", "Tuesday", "in March"); None if it is none."""
    published = ctx.published
    m = _ISO.search(expr)
    if m:
        return DateReading(_safe(int(m[1]), int(m[2]), int(m[3])), "day", "explicit")
    wd = re.search(rf"\b({_WEEKDAY_RE})\b", expr, re.I)
    m = _DAY_MONTH.search(expr)
    if m:
        return _month_day(MONTHS[m[2].lower()], int(m[1]), m[3], wd and wd[1], ctx)
    m = _MONTH_DAY.search(expr)
    if m:
        return _month_day(MONTHS[m[1].lower()], int(m[2]), m[3], wd and wd[1], ctx)
    m = _MONTH_ONLY.search(expr)
    if m:
        name, year = (m[1], m[2]) if m[1] else (m[3], m[4])
        return _month_only(MONTHS[name.lower()], year, expr, ctx)
    if _LAST_MONTH.search(expr):
        if published is None:
            return DateReading(None, "month", "publication date unknown")
        first = published.replace(day=1) - dt.timedelta(days=1)
        return DateReading(first.replace(day=1), "month", "relative")
    if published is None:
        return DateReading(None, "day", "publication date unknown") if _relative(expr) else None
    m = _AGO.search(expr)
    if m:
        n = int(m[1]) if m[1].isdigit() else _NUMBER_WORDS[m[1].lower()]
        days = n * (7 if m[2].lower() == "week" else 1)
        return DateReading(published - dt.timedelta(days=days), "day", "relative")
    m = _RELATIVE.search(expr)
    if m:
        return DateReading(_relative_word(m[1].lower(), published), "day", "relative")
    m = _WEEKDAY.search(expr)
    if m:
        return DateReading(_weekday(m, published), "day", "relative")
    return None


def _relative(expr: str) -> bool:
    return bool(_AGO.search(expr) or _RELATIVE.search(expr) or _WEEKDAY.search(expr))


def _month_only(month: int, year: str | None, expr: str, ctx: DateContext) -> DateReading:
    # claimed_on is a day: a month-level date stands for its first day and
    # says so in its precision.
    if year:
        return DateReading(_safe(int(year), month, 1), "month", "explicit")
    ref = ctx.published
    if ref is not None:
        y = ref.year
        last = expr.lower().lstrip().startswith("last")
        if month > ref.month or (last and month >= ref.month):
            y -= 1  # "in December" in a March article is last year's
        return DateReading(_safe(y, month, 1), "month", "year from publication date")
    if ctx.year is not None:
        return DateReading(_safe(ctx.year, month, 1), "month", "year from article dates")
    return DateReading(None, "month", "year unknown")


def _relative_word(word: str, published: dt.date) -> dt.date:
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


def _weekday(m: re.Match[str], published: dt.date) -> dt.date:
    target = WEEKDAYS.index(m[2].lower())
    back = (published.weekday() - target) % 7
    mod = (m[1] or "").strip().lower()
    if mod in ("last", "past") and back == 0:
        back = 7
    if mod == "next":
        return published + dt.timedelta(days=(target - published.weekday()) % 7 or 7)
    # News uses a bare weekday for the most recent such day, the
    # publication day included.
    return published - dt.timedelta(days=back)


def resolve_date(expr: str, published: dt.date | None) -> dt.date | None:
    """The day of one date expression against a publication date (None if unknown)."""
    reading = read_date(expr, DateContext(published))
    return reading.day if reading is not None else None


def find_date_expressions(text: str) -> list[tuple[int, int]]:
    """Character spans of day- and month-level date expressions in `text`.

    A weekday written just before a full date ("Tuesday, Nov. 19") is part
    of it.
    """
    spans: list[tuple[int, int]] = []
    for rx in (_ISO, _DAY_MONTH, _MONTH_DAY, _AGO, _RELATIVE, _MONTH_ONLY, _LAST_MONTH, _WEEKDAY):
        for m in rx.finditer(text):
            if any(s <= m.start() < e or m.start() <= s < m.end() for s, e in spans):
                continue
            if rx is _WEEKDAY and m[2].lower() == "may":
                continue
            if rx in (_DAY_MONTH, _MONTH_DAY) and not _month_word_ok(m, text):
                continue
            spans.append((m.start(), m.end()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and re.fullmatch(rf"(?i)\s*({_WEEKDAY_RE})\s*,?\s*", text[merged[-1][0] : s]):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _month_word_ok(m: re.Match[str], text: str) -> bool:
    """ "may 5" in "they may 5 times" is no date: a short or ambiguous month
    name must be capitalised."""
    word = re.search(rf"(?i)\b({_MONTH_RE})\b", m.group(0))
    if word is None:
        return True
    w = word.group(0)
    return w[0].isupper() or len(w) > 3 and w.lower() != "march"


_FULL_DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_RE})\.?,?\s+\d{{4}}\b",
    re.I,
)


def article_year(text: str) -> int | None:
    """The latest year among the article's own full dates, for year-less days.

    Only full dates count: a bare year ("in 2016") or month ("August 2016")
    is more often a past event than the time of writing.
    """
    years = [d.year for m in _FULL_DATE.finditer(text) if (d := resolve_date(m.group(0), None))]
    return max(years) if years else None


def date_context(text: str, published: dt.date | None) -> DateContext:
    return DateContext(published, None if published is not None else article_year(text))


_DATELINE = re.compile(
    rf"(\d{{4}}-\d{{2}}-\d{{2}})|(?:{_MONTH_RE})\.?\s+\d{{1,2}},?\s+\d{{4}}|"
    rf"\d{{1,2}}\s+(?:{_MONTH_RE})\.?\s+\d{{4}}",
    re.I,
)


# What may stand before a dateline's date: a place in capitals or title
# case, "date", "updated", brackets and dashes; not a sentence ("On 28
# October 2024, NATO said ..." dates an event, not the article).
_DATELINE_LEAD = re.compile(
    r"^[\W\d]*(?:(?:date|updated|published|posted)\b[:\s]*)?"
    r"(?:[A-Z][A-Za-z.'-]*(?:[ ,]+[A-Z][A-Za-z.'-]*){0,3}[ ,]*)?[-\u2013\u2014:(\s]*$"
)
_EVENT_LEAD = re.compile(r"\b(?:on|in|since|by|until|from|before|after)\s*$", re.I)


def dateline_date(text: str, window: int = 120) -> dt.date | None:
    """A full date (with year) heading an article, e.g. a dateline."""
    head = text[:window]
    m = _DATELINE.search(head)
    if m is None:
        return None
    lead = head[: m.start()]
    if "\n" in lead.strip() or not _DATELINE_LEAD.match(lead) or _EVENT_LEAD.search(lead):
        return None
    return resolve_date(m.group(0), None)

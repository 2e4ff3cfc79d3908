"""Publication dates for articles whose metadata lacks one.

Relative dates ("on Tuesday") can only be resolved against a publication
date.  When the feed gives none we try, in order: a date in the article URL,
a dateline at the top of the text, and the date of a clearly related
article of the same collection (stories about one event are published
within a day or two of each other).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from .dates import dateline_date

_URL_DATE = re.compile(r"(?<!\d)(20\d\d|19\d\d)[/_-](\d{1,2})[/_-](\d{1,2})(?!\d)")
_CAPWORD = re.compile(r"\b[A-Z][a-zA-Z\u00c0-\u017f-]{3,}\b")
# Share of distinctive capitalised words two articles must have in common
# to count as reports of the same event.
SAME_STORY_JACCARD = 0.2


def date_from_url(url: str | None) -> dt.date | None:
    if not url:
        return None
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def publication_date(meta: Mapping[str, object] | None, text: str) -> dt.date | None:
    """Date from metadata, else from the URL, else from a dateline."""
    meta = meta or {}
    raw = meta.get("published")
    if isinstance(raw, str) and raw:
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
    url = meta.get("url")
    return date_from_url(url if isinstance(url, str) else None) or dateline_date(text)


def _names(text: str) -> set[str]:
    return {w.lower() for w in _CAPWORD.findall(text)}


def borrow_story_dates(
    texts: Mapping[str, str], dates: Mapping[str, dt.date | None]
) -> dict[str, dt.date | None]:
    """Give undated articles the date of the most similar dated article of the batch."""
    out = dict(dates)
    names = {k: _names(v) for k, v in texts.items()}
    dated = [k for k, d in dates.items() if d is not None]
    for k, d in dates.items():
        if d is not None or not names.get(k):
            continue
        best, best_sim = None, 0.0
        for other in dated:
            inter = len(names[k] & names[other])
            union = len(names[k] | names[other]) or 1
            if inter / union > best_sim:
                best, best_sim = other, inter / union
        if best is not None and best_sim >= SAME_STORY_JACCARD:
            out[k] = dates[best]
    return out

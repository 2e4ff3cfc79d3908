"""Stories: articles about the same event, grouped under one story id.

An article is summarised by its most frequent content-word stems; two
articles belong to one story when they share a good part of those and were
published within a few days of each other. Different articles on one event
share names, places and the event's vocabulary (the five seed articles share
30-55% of their top 30 stems) while unrelated articles share little (at most
11% against the seeds in the extraction benchmark).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta

from claimwire.transform.terms import content_terms

TOP_TERMS = 30
MIN_OVERLAP = 0.25
MIN_SHARED = 5
WINDOW = timedelta(days=7)
# Candidate pairs are found through shared stems, skipping the stems held by
# more than max(COMMON_TERM_MIN, COMMON_TERM_SHARE * n) of the n stored
# articles: a stem that common ("government", "minister") would pair nearly
# every article with every other, the pairs growing with the square of the
# warehouse. Articles of one story share their rarer names and places too,
# so a story is still found; a pair sharing nothing but common stems is not
# compared. Below 5,000 articles the limit is 50, so the small warehouses of
# the tests and the demo skip nothing a story of up to 50 articles needs.
COMMON_TERM_MIN = 50
COMMON_TERM_SHARE = 0.01
# New articles are paired against the warehouse this many at a time.
CHUNK = 1000


def story_terms(title: str | None, text: str | None, top: int = TOP_TERMS) -> dict[str, int]:
    """The article's `top` most frequent stems with their counts (ties by stem)."""
    counts = Counter(content_terms(f"{title or ''}\n{text or ''}"))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return dict(ranked)


def overlap(shared: int, size_a: int, size_b: int) -> float:
    """Share of the smaller summary that the other one also has."""
    if shared < MIN_SHARED or not size_a or not size_b:
        return 0.0
    return shared / min(size_a, size_b)


def close_in_time(a: datetime | None, b: datetime | None, window: timedelta = WINDOW) -> bool:
    # An undated article cannot be ruled out by time.
    return a is None or b is None or abs(a - b) <= window


def same_story(
    shared: int, size_a: int, size_b: int, when_a: datetime | None, when_b: datetime | None
) -> bool:
    return overlap(shared, size_a, size_b) >= MIN_OVERLAP and close_in_time(when_a, when_b)


def common_term_limit(n_articles: int) -> int:
    """Stems held by more than this many of `n_articles` propose no candidate pairs."""
    return max(COMMON_TERM_MIN, int(n_articles * COMMON_TERM_SHARE))


def story_id(founding_article_id: str) -> str:
    """A story is named after its earliest article: stable across runs."""
    return "st-" + hashlib.sha256(founding_article_id.encode("utf-8")).hexdigest()[:16]

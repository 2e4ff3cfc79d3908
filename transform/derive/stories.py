"""Stories: articles about the same event, grouped under one story id; the rule
and the SQL that keeps the stored stories up to date.

An article is summarised by its most frequent content-word stems; two
articles belong to one story when they share a good part of those and were
published within a few days of each other. Different articles on one event
share names, places and the event's vocabulary (the five seed articles share
30-55% of their top 30 stems) while unrelated articles share little (at most
11% against the seeds in the extraction benchmark).

Incremental: a derive pass places its own articles among the stories already
stored, through the term index (`terms.TermIndex`: the rare stems' rows, each
article's list of stems, dated), so older rows are never recomputed.
Candidate pairs come only through stems that are not very common and from
the days around the new articles (the index is in day order, so the rest of
the warehouse is skipped unread), the CANDIDATES_PER_ARTICLE sharing the most
of them, then are checked on all their stems: the work grows with the pass,
not with the warehouse. Copies (near or exact duplicates) take their
original's story.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from claimwire.transform.derive.terms import TermIndex, content_terms, term_limit
from claimwire.warehouse.idsets import (
    id_table,
    literal_list,
    registered,
    rows_with,
    update_column,
)

TOP_TERMS = 30
MIN_OVERLAP = 0.25
MIN_SHARED = 5
WINDOW = timedelta(days=7)
# Candidate pairs are found through shared stems, skipping the stems held by
# more than COMMON_TERM_SHARE of the n stored articles (at least
# COMMON_TERM_MIN, at most COMMON_TERM_MAX): a stem that common
# ("government", "minister") would pair nearly every article with every
# other, the pairs growing with the square of the warehouse. Articles of one
# story share their rarer names and places too, so a story is still found; a
# pair sharing nothing but common stems is not compared. Below 5,000 articles
# the limit is 50, so the small warehouses of the tests and the demo skip
# nothing a story of up to 50 articles needs; the ceiling keeps a night's
# candidates bounded at any warehouse size.
COMMON_TERM_MIN = 50
COMMON_TERM_SHARE = 0.01
COMMON_TERM_MAX = 300
# The stored articles (sharing the most rare stems) compared with one new article.
CANDIDATES_PER_ARTICLE = 100
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
    return term_limit(n_articles, COMMON_TERM_MIN, COMMON_TERM_SHARE, COMMON_TERM_MAX)


def story_id(founding_article_id: str) -> str:
    """A story is named after its earliest article: stable across runs."""
    return "st-" + hashlib.sha256(founding_article_id.encode("utf-8")).hexdigest()[:16]


_LATEST = datetime.max


def _when(row: tuple[Any, ...]) -> datetime | None:
    return row[1] or row[2]


def _order(row: tuple[Any, ...]) -> tuple[datetime, str]:
    return (_when(row) or _LATEST, row[0])


ARTICLE_TERMS = TermIndex("article", "article_id", COMMON_TERM_MAX)
_EPOCH = datetime(1970, 1, 1)


def _day(moment: datetime | None) -> int | None:
    return (moment.replace(tzinfo=None) - _EPOCH).days if moment is not None else None


def assign_stories(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Give the derived articles a story; return how many new stories began."""
    ids = sorted(set(article_ids))
    created = 0
    with id_table(con, "st_loaded", ids):
        # Copies (now) neither found nor attract stories: the pass's own, and
        # stored articles a late-arriving original of this pass made copies.
        copies = [r[0] for r in con.execute(
            "SELECT article_id FROM articles WHERE duplicate_of IS NOT NULL "
            "AND (article_id IN (SELECT id FROM st_loaded) "
            "     OR duplicate_of IN (SELECT id FROM st_loaded))").fetchall()]
        ARTICLE_TERMS.remove(con, copies)
        rows = con.execute(
            "SELECT article_id, published_at, first_seen_at, title, text FROM articles "
            f"WHERE {rows_with(con, 'articles', 'article_id', ids)} AND duplicate_of IS NULL"
        ).fetchall()
        new = {r[0]: r for r in rows}
        if new:
            with id_table(con, "st_new", sorted(new)):
                created = _link_stories(con, new, sorted(new))
        # Copies follow their original, whichever of the two moved.
        con.execute(
            "UPDATE articles SET story_id = o.story_id FROM articles o "
            "WHERE articles.duplicate_of = o.article_id "
            "AND (articles.article_id IN (SELECT id FROM st_loaded) "
            "     OR articles.duplicate_of IN (SELECT id FROM st_loaded)) "
            "AND articles.story_id IS DISTINCT FROM o.story_id"
        )
    return created


def _story_pairs(
    con: duckdb.DuckDBPyConnection, ids: list[str], days: dict[str, int | None],
    terms: dict[str, list[str]],
) -> list[tuple[Any, ...]]:
    """(a, b, shared, size_a, size_b, when_b, story_b) for new `a` and any `b` that
    may be in one story with it: sharing a rare term, in the time window, the
    nearest ones. Done a chunk of new articles at a time."""
    originals = con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()
    limit = common_term_limit(originals[0])
    counted = {t for listed in terms.values() for t in listed}
    held = dict(con.execute(
        f"SELECT term, n FROM article_terms_df WHERE term IN ({literal_list(counted)})"
    ).fetchall())
    window = int(WINDOW.total_seconds())
    margin = WINDOW.days + 1
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        known = [d for d in (days.get(a) for a in chunk) if d is not None]
        if not known:
            continue
        lo, hi = min(known) - margin, max(known) + margin
        rare = [(a, t) for a in chunk for t in terms[a] if held.get(t, 0) <= limit]
        new_rare = pa.table({"a": pa.array([a for a, _ in rare], pa.string()),
                             "term": pa.array([t for _, t in rare], pa.string())})
        with registered(con, "st_new_rare", new_rare):
            out += con.execute(
                f"""
                -- Literal day bounds: zone maps then skip every row group of the
                -- term index outside the days around the new articles.
                WITH cand AS MATERIALIZED (
                    SELECT n.a, o.article_id AS b, count(*) AS rare_shared
                    FROM st_new_rare n
                    JOIN article_rare_terms o ON o.term = n.term AND o.article_id <> n.a
                    WHERE o.day BETWEEN {lo} AND {hi}
                    GROUP BY ALL
                ),
                near AS MATERIALIZED (
                    SELECT c.a, c.b, coalesce(db.published_at, db.first_seen_at) AS when_b,
                           db.story_id AS story_b
                    FROM cand c
                    JOIN articles da ON da.article_id = c.a
                    JOIN articles db ON db.article_id = c.b
                    WHERE db.duplicate_of IS NULL
                      AND abs(epoch(coalesce(da.published_at, da.first_seen_at))
                              - epoch(coalesce(db.published_at, db.first_seen_at))) <= ?
                    QUALIFY row_number() OVER (PARTITION BY c.a
                                               ORDER BY c.rare_shared DESC, c.b) <= ?
                )
                SELECT n.a, n.b, len(list_intersect(la.terms, lb.terms)), len(la.terms),
                       len(lb.terms), n.when_b, n.story_b
                FROM near n
                JOIN article_term_lists la ON la.article_id = n.a
                JOIN article_term_lists lb ON lb.article_id = n.b
                WHERE la.day BETWEEN {lo} AND {hi} AND lb.day BETWEEN {lo} AND {hi}
                """,
                [window, CANDIDATES_PER_ARTICLE],
            ).fetchall()
    return out


def _link_stories(
    con: duckdb.DuckDBPyConnection, new: dict[str, tuple[Any, ...]], ids: list[str]
) -> int:
    terms = {aid: sorted(story_terms(r[3], r[4])) for aid, r in new.items()}
    days = {aid: _day(_when(r)) for aid, r in new.items()}
    ARTICLE_TERMS.add(con, pa.table({
        "article_id": pa.array(list(terms), pa.string()),
        "terms": pa.array(list(terms.values()), pa.list_(pa.string())),
        "day": pa.array([days[a] for a in terms], pa.int32()),
    }))
    pairs = _story_pairs(con, ids, days, terms)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # Nodes: new articles by id, stored stories as ("story:" + id); the
    # earliest-dated old article seen for each stored story decides merges.
    story_first: dict[str, tuple[datetime, str]] = {}
    for a in ids:
        find(a)
    for a, b, shared, size_a, size_b, when_b, story_b in pairs:
        if not same_story(shared, size_a, size_b, _when(new[a]), when_b):
            continue
        if b in new:
            other = b
        elif story_b:
            other = "story:" + story_b
            key = (when_b or _LATEST, b)
            story_first[story_b] = min(story_first.get(story_b, key), key)
        else:
            continue
        ra, rb = find(a), find(other)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[str, list[str]] = {}
    for node in list(parent):
        components.setdefault(find(node), []).append(node)
    assigned: dict[str, str] = {}
    created = 0
    for nodes in components.values():
        old = sorted(
            (n.removeprefix("story:") for n in nodes if n.startswith("story:")),
            key=lambda s: story_first[s],
        )
        members = [n for n in nodes if not n.startswith("story:")]
        if old:
            target = old[0]
            if old[1:]:
                con.execute(
                    "UPDATE articles SET story_id = ? WHERE story_id = ANY(?)", [target, old[1:]]
                )
        else:
            target = story_id(min((new[m] for m in members), key=_order)[0])
            created += 1
        for member in members:
            assigned[member] = target
    update_column(con, "articles", "article_id", "story_id", assigned)
    return created

"""Stories: articles about the same event, grouped under one story id; the rule
and the SQL that keeps the stored stories up to date.

An article is summarised by its most frequent content-word stems; two
articles belong to one story when they share a good part of those and were
published within a few days of each other. Different articles on one event
share names, places and the event's vocabulary (the five seed articles share
30-55% of their top 30 stems) while unrelated articles share little (at most
11% against the seeds in the extraction benchmark).

Incremental: a derive pass places its own articles among the stories already
stored, through term posting lists (`article_terms`) joined in SQL, so older
rows are never recomputed. Candidate pairs come only through terms that are
not very common, then are checked on all their terms, so the work grows with
the pass and not with its square. Copies (near or exact duplicates) take
their original's story.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from claimwire.transform.derive.terms import (
    content_terms,
    rare_terms,
    remove_terms,
    replace_terms,
    term_limit,
)
from claimwire.warehouse.idsets import id_table, update_column

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
COMMON_TERM_MAX = 1000
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


def assign_stories(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Give the derived articles a story; return how many new stories began."""
    ids = sorted(set(article_ids))
    created = 0
    with id_table(con, "st_loaded", ids):
        # Copies (now) neither found nor attract stories: the pass's own, and
        # stored articles a late-arriving original of this pass made copies.
        remove_terms(con, "article_terms", "article_id",
                     "SELECT article_id FROM articles WHERE duplicate_of IS NOT NULL AND "
                     "(article_id IN (SELECT id FROM st_loaded) "
                     " OR duplicate_of IN (SELECT id FROM st_loaded))")
        rows = con.execute(
            "SELECT article_id, published_at, first_seen_at, title, text FROM articles "
            "WHERE article_id IN (SELECT id FROM st_loaded) AND duplicate_of IS NULL"
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


def _story_pairs(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[tuple[Any, ...]]:
    """(a, b, shared, size_a, size_b, when_b, story_b) for new `a` and any `b` that
    may be in one story with it: sharing a rare term, in the time window, with
    enough shared terms in all. Done a chunk of new articles at a time."""
    originals = con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()
    window = int(WINDOW.total_seconds())
    out: list[tuple[Any, ...]] = []
    with rare_terms(con, "article_terms", "article_id", "st_new",
                    common_term_limit(originals[0])) as rare:
        for start in range(0, len(ids), CHUNK):
            with id_table(con, "st_chunk", ids[start : start + CHUNK]):
                out += con.execute(
                    f"""
                    -- MATERIALIZED fences keep the planner from joining
                    -- article_terms with itself on term alone (the old
                    -- quadratic self-join) before the candidates narrow it.
                    WITH cand AS MATERIALIZED (
                        SELECT DISTINCT n.article_id AS a, o.article_id AS b
                        FROM article_terms n
                        JOIN {rare} r ON r.term = n.term
                        JOIN article_terms o ON o.term = n.term AND o.article_id <> n.article_id
                        WHERE n.article_id IN (SELECT id FROM st_chunk)
                    ),
                    near AS MATERIALIZED (
                        SELECT c.a, c.b, coalesce(db.published_at, db.first_seen_at) AS when_b,
                               db.story_id AS story_b
                        FROM cand c
                        JOIN articles da ON da.article_id = c.a
                        JOIN articles db ON db.article_id = c.b
                        WHERE db.duplicate_of IS NULL AND (
                            coalesce(da.published_at, da.first_seen_at) IS NULL
                            OR coalesce(db.published_at, db.first_seen_at) IS NULL
                            OR abs(epoch(coalesce(da.published_at, da.first_seen_at))
                                   - epoch(coalesce(db.published_at, db.first_seen_at))) <= ?)
                    ),
                    near_terms AS MATERIALIZED (
                        SELECT c.a, c.b, x.term FROM near c
                        JOIN article_terms x ON x.article_id = c.a
                    ),
                    shared AS (
                        SELECT c.a, c.b, count(*) AS shared
                        FROM near_terms c
                        JOIN article_terms y ON y.article_id = c.b AND y.term = c.term
                        GROUP BY ALL
                        HAVING count(*) >= ?
                    ),
                    sizes AS (
                        SELECT article_id, count(*) AS size FROM article_terms
                        WHERE article_id IN (SELECT a FROM shared)
                           OR article_id IN (SELECT b FROM shared)
                        GROUP BY ALL
                    )
                    SELECT s.a, s.b, s.shared, sa.size, sb.size, n.when_b, n.story_b
                    FROM shared s
                    JOIN near n ON n.a = s.a AND n.b = s.b
                    JOIN sizes sa ON sa.article_id = s.a
                    JOIN sizes sb ON sb.article_id = s.b
                    -- same_story() decides; this only drops clear misses early
                    WHERE s.shared >= ? * least(sa.size, sb.size) - 1e-9
                    """,
                    [window, MIN_SHARED, MIN_OVERLAP],
                ).fetchall()
    return out


def _link_stories(
    con: duckdb.DuckDBPyConnection, new: dict[str, tuple[Any, ...]], ids: list[str]
) -> int:
    terms = {aid: story_terms(r[3], r[4]) for aid, r in new.items()}
    replace_terms(
        con,
        "article_terms",
        "article_id",
        "st_new",
        pa.table(
            {
                "article_id": pa.array([a for a, t in terms.items() for _ in t], pa.string()),
                "term": pa.array([k for t in terms.values() for k in t], pa.string()),
                "count": pa.array([v for t in terms.values() for v in t.values()], pa.int32()),
            }
        ),
    )
    pairs = _story_pairs(con, ids)
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

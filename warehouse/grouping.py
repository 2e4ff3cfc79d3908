"""Keeping stories and claim clusters up to date in the warehouse.

Both are incremental: a load places its own articles and claims among the
groups already stored, through term posting lists (`article_terms`,
`claim_terms`) joined in SQL, so nothing is recomputed for older rows.
Candidate pairs are found only through terms that are not very common
(`stories.COMMON_TERM_*`, `clusters.COMMON_TERM_*`), then checked on all
their terms, so the work grows with the load and not with its square.
Copies (near or exact duplicates) take their original's story and have no
claims to cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from claimwire.transform import clusters, stories
from claimwire.warehouse.idsets import id_table

_LATEST = datetime.max


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    if data.num_rows == 0:
        return
    con.register("staged_terms", data)
    try:
        con.execute(f"INSERT OR REPLACE INTO {table} BY NAME SELECT * FROM staged_terms")
    finally:
        con.unregister("staged_terms")


def _when(row: tuple[Any, ...]) -> datetime | None:
    return row[1] or row[2]


def _order(row: tuple[Any, ...]) -> tuple[datetime, str]:
    return (_when(row) or _LATEST, row[0])


def assign_stories(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Give the loaded articles a story; return how many new stories began."""
    ids = sorted(set(article_ids))
    # Articles that are copies (now) neither found nor attract stories.
    con.execute(
        "DELETE FROM article_terms WHERE article_id IN "
        "(SELECT article_id FROM articles WHERE duplicate_of IS NOT NULL)"
    )
    with id_table(con, "st_loaded", ids):
        rows = con.execute(
            "SELECT article_id, published_at, first_seen_at, title, text FROM articles "
            "WHERE article_id IN (SELECT id FROM st_loaded) AND duplicate_of IS NULL"
        ).fetchall()
    new = {r[0]: r for r in rows}
    created = 0
    if new:
        created = _place_originals(con, new)
    # Copies follow their original, whichever of the two moved.
    con.execute(
        "UPDATE articles SET story_id = o.story_id FROM articles o "
        "WHERE articles.duplicate_of = o.article_id "
        "AND articles.story_id IS DISTINCT FROM o.story_id"
    )
    return created


def _place_originals(con: duckdb.DuckDBPyConnection, new: dict[str, tuple[Any, ...]]) -> int:
    ids = sorted(new)
    with id_table(con, "st_new", ids):
        return _link_stories(con, new, ids)


def _rare_terms(
    con: duckdb.DuckDBPyConnection, table: str, key: str, name: str, limit: Callable[[int], int]
) -> None:
    """Create temp table `name` of the terms of `table` that propose candidate pairs:
    those held by at most `limit(n)` of its n distinct `key`s (articles or
    claims). Very common terms would pair nearly every row with every other."""
    total = con.execute(f"SELECT count(DISTINCT {key}) FROM {table}").fetchone()[0]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT term FROM {table} "
        "GROUP BY term HAVING count(*) <= ?",
        [limit(total)],
    )


def _story_pairs(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[tuple[Any, ...]]:
    """(a, b, shared, size_a, size_b, when_b, story_b) for new `a` and any `b` that
    may be in one story with it: sharing a rare term, in the time window, with
    enough shared terms in all. Done a chunk of new articles at a time."""
    _rare_terms(con, "article_terms", "article_id", "st_rare", stories.common_term_limit)
    window = int(stories.WINDOW.total_seconds())
    out: list[tuple[Any, ...]] = []
    try:
        for start in range(0, len(ids), stories.CHUNK):
            with id_table(con, "st_chunk", ids[start : start + stories.CHUNK]):
                out += con.execute(
                    """
                    -- MATERIALIZED fences keep the planner from joining
                    -- article_terms with itself on term alone (the old
                    -- quadratic self-join) before the candidates narrow it.
                    WITH dated AS (
                        SELECT article_id, story_id,
                               coalesce(published_at, first_seen_at) AS t
                        FROM articles WHERE duplicate_of IS NULL
                    ),
                    cand AS MATERIALIZED (
                        SELECT DISTINCT n.article_id AS a, o.article_id AS b
                        FROM article_terms n
                        JOIN st_rare r ON r.term = n.term
                        JOIN article_terms o ON o.term = n.term AND o.article_id <> n.article_id
                        WHERE n.article_id IN (SELECT id FROM st_chunk)
                    ),
                    near AS MATERIALIZED (
                        SELECT c.a, c.b, db.t AS when_b, db.story_id AS story_b
                        FROM cand c
                        JOIN dated da ON da.article_id = c.a
                        JOIN dated db ON db.article_id = c.b
                        WHERE da.t IS NULL OR db.t IS NULL
                           OR abs(epoch(da.t) - epoch(db.t)) <= ?
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
                    [window, stories.MIN_SHARED, stories.MIN_OVERLAP],
                ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS st_rare")
    return out


def _link_stories(
    con: duckdb.DuckDBPyConnection, new: dict[str, tuple[Any, ...]], ids: list[str]
) -> int:
    con.execute("DELETE FROM article_terms WHERE article_id IN (SELECT id FROM st_new)")
    terms = {aid: stories.story_terms(r[3], r[4]) for aid, r in new.items()}
    _insert_rows(
        con,
        "article_terms",
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
        if not stories.same_story(shared, size_a, size_b, _when(new[a]), when_b):
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
            target = stories.story_id(min((new[m] for m in members), key=_order)[0])
            created += 1
        for member in members:
            assigned[member] = target
    data = pa.table(
        {
            "article_id": pa.array(list(assigned), pa.string()),
            "story_id": pa.array(list(assigned.values()), pa.string()),
        }
    )
    con.register("staged_stories", data)
    try:
        con.execute(
            "UPDATE articles SET story_id = s.story_id FROM staged_stories s "
            "WHERE articles.article_id = s.article_id"
        )
    finally:
        con.unregister("staged_stories")
    return created


def assign_claim_clusters(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Cluster every claim that has no cluster yet; return how many claims changed cluster.

    All unclustered claims of originals are taken (not only this load's), so
    claims left over by an earlier failure are picked up too. The stored
    clusters they may join are those with a member sharing enough stems.
    """
    rows = con.execute(
        """
        SELECT c.claim_id, c.content,
               coalesce(c.claimed_on, CAST(a.published_at AS DATE)) AS day
        FROM claims c JOIN articles a USING (article_id)
        WHERE c.claim_cluster_id IS NULL AND a.duplicate_of IS NULL
        """
    ).fetchall()
    if not rows:
        return 0
    new_terms = {r[0]: clusters.claim_terms(r[1]) for r in rows}
    claim_ids = sorted(new_terms)
    with id_table(con, "cl_new", claim_ids):
        return _cluster(con, rows, new_terms)


def _cluster(
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[Any, ...]],
    new_terms: dict[str, frozenset[str]],
) -> int:
    con.execute("DELETE FROM claim_terms WHERE claim_id IN (SELECT id FROM cl_new)")
    _insert_rows(
        con,
        "claim_terms",
        pa.table(
            {
                "claim_id": pa.array([c for c, t in new_terms.items() for _ in t], pa.string()),
                "term": pa.array([x for t in new_terms.values() for x in sorted(t)], pa.string()),
            }
        ),
    )
    _rare_terms(con, "claim_terms", "claim_id", "cl_rare", clusters.common_term_limit)
    try:
        stored = con.execute(
            """
            -- MATERIALIZED fences keep the planner from joining claim_terms
            -- with itself on term alone before both sides are narrowed (it
            -- did, once the tables had statistics: 16 s and 1 GB for 15,000
            -- claims).
            WITH new_rare AS MATERIALIZED (
                SELECT n.claim_id, n.term FROM claim_terms n SEMI JOIN cl_rare r ON r.term = n.term
                WHERE n.claim_id IN (SELECT id FROM cl_new)
            ),
            clustered_rare AS MATERIALIZED (
                SELECT o.claim_id, o.term
                FROM claim_terms o
                SEMI JOIN cl_rare r ON r.term = o.term
                SEMI JOIN claims c ON c.claim_id = o.claim_id AND c.claim_cluster_id IS NOT NULL
            ),
            cand AS MATERIALIZED (
                SELECT DISTINCT n.claim_id AS a, o.claim_id AS b
                FROM new_rare n
                JOIN clustered_rare o ON o.term = n.term AND o.claim_id <> n.claim_id
            ),
            cand_terms AS MATERIALIZED (
                SELECT c.a, c.b, x.term FROM cand c JOIN claim_terms x ON x.claim_id = c.a
            ),
            near AS (
                SELECT c.b AS claim_id
                FROM cand_terms c
                JOIN claim_terms y ON y.claim_id = c.b AND y.term = c.term
                GROUP BY c.a, c.b
                HAVING count(*) >= ?
            ),
            touched AS (
                SELECT DISTINCT c.claim_cluster_id AS cluster_id
                FROM near JOIN claims c USING (claim_id)
            )
            SELECT c.claim_id, c.claim_cluster_id,
                   coalesce(c.claimed_on, CAST(a.published_at AS DATE)),
                   list(t.term) FILTER (WHERE t.term IS NOT NULL)
            FROM claims c
            JOIN touched k ON k.cluster_id = c.claim_cluster_id
            JOIN articles a ON a.article_id = c.article_id
            LEFT JOIN claim_terms t ON t.claim_id = c.claim_id
            GROUP BY ALL
            """,
            [clusters.MIN_SHARED],
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS cl_rare")
    items = [
        clusters.ClaimItem(cid, new_terms[cid], (day or date.max,), None) for cid, _, day in rows
    ]
    items += [
        clusters.ClaimItem(cid, frozenset(terms or ()), (day or date.max,), cluster)
        for cid, cluster, day, terms in stored
    ]
    before = {cid: cluster for cid, cluster, _, _ in stored}
    assigned = {
        cid: cluster
        for cid, cluster in clusters.cluster_claims(items).items()
        if before.get(cid) != cluster
    }
    data = pa.table(
        {
            "claim_id": pa.array(list(assigned), pa.string()),
            "claim_cluster_id": pa.array(list(assigned.values()), pa.string()),
        }
    )
    con.register("staged_clusters", data)
    try:
        con.execute(
            "UPDATE claims SET claim_cluster_id = s.claim_cluster_id FROM staged_clusters s "
            "WHERE claims.claim_id = s.claim_id"
        )
    finally:
        con.unregister("staged_clusters")
    return len(assigned)

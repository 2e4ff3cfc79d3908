"""Claim clusters: claims that state the same proposition, whoever says it; the
rule and the SQL that keeps the stored clusters up to date.

A claim is reduced to the set of its content-word stems (the speaker and
the reporting verb are not part of it, so "X denies P" and "Y says P" look
the same). Clusters are built by average-link agglomeration: two groups
merge while the mean Dice similarity over all their cross pairs is at least
the threshold. Averaging over members, unlike linking through the single
nearest claim, keeps a story's many related claims from chaining into one
cluster about everything, and the result does not depend on input order.
Stored clusters are never split: a derive pass starts from them and only
merges. It is incremental: a pass compares its new claims with each other
and with the stored claims reported within WINDOW_DAYS of them that share
a rare stem with them (never with every member of a stored cluster), and a
stored cluster counts with its full size, so a newcomer joins it when its
mean similarity over all the cluster's members reaches the threshold. Settled pairs of stored claims
are not compared again: two stored clusters merge only through the new
claims between them. Thresholds were set on the development gold claims
(`data/claims/gold_dev.jsonl`).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
from claimwire.warehouse.views import TIMELINE_ROWS

MIN_SIMILARITY = 0.5
# Two shared stems at least: one common word ("war") is never a proposition.
MIN_SHARED = 2
# Candidate pairs come from an inverted index over claim terms that skips
# the terms held by more than max(COMMON_TERM_MIN, COMMON_TERM_SHARE * n) of
# the n claims clustered together. Such terms ("russia", "troops" in a war
# story) pair everything with everything; two claims of one proposition
# nearly always also share a rarer stem (a name, a place, a number), and a
# pair that shares only common stems is not compared. Below 50 claims
# nothing is skipped, so small inputs cluster exactly as by all pairs.
COMMON_TERM_MIN = 50
COMMON_TERM_SHARE = 0.01
# For finding stored claims: at most this many holders make a stem rare,
# whatever the warehouse size, and a new claim is compared with the members of
# at most CANDIDATE_CLUSTERS stored clusters (those sharing the most rare stems
# with it), each member that shares a rare stem with it (the others would
# count as dissimilar anyway).
COMMON_TERM_MAX = 300
CANDIDATE_CLUSTERS = 5
# A new claim meets the stored claims reported at most this many days from its
# own: a proposition restated within half a year joins its cluster (and a
# cluster that keeps being restated lives on); one silent for longer starts a
# new cluster. It bounds what a night reads whatever the warehouse's age.
WINDOW_DAYS = 180


def claim_terms(content: str | None) -> frozenset[str]:
    return frozenset(content_terms(content or ""))


def dice(a: frozenset[str], b: frozenset[str], min_shared: int = MIN_SHARED) -> float:
    shared = len(a & b)
    if shared < min_shared:
        return 0.0
    return 2.0 * shared / (len(a) + len(b))


def cluster_id(seed_claim_id: str) -> str:
    """A cluster is named after the claim that founded it: stable across runs."""
    return "cl-" + hashlib.sha256(seed_claim_id.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ClaimItem:
    claim_id: str
    terms: frozenset[str]
    order: Any  # sortable: earlier statements found clusters
    cluster: str | None = None  # its stored cluster, if any


def common_term_limit(n_items: int, ceiling: int | None = None) -> int:
    """Terms held by more than this many of `n_items` claims propose no pairs."""
    return term_limit(n_items, COMMON_TERM_MIN, COMMON_TERM_SHARE, ceiling or n_items + 1)


def candidate_pairs(
    term_sets: Sequence[frozenset[str]],
    limit: int | None = None,
    fresh: Sequence[bool] | None = None,
) -> set[tuple[int, int]]:
    """Index pairs (i < j) sharing at least one term held by at most `limit` sets;
    with `fresh`, only pairs with at least one fresh member.

    An inverted index over the terms. Skipping the terms in more than
    `limit` sets bounds the pairs by the sum of squared posting lengths up to
    `limit`, instead of the square of the input.
    """
    if limit is None:
        limit = common_term_limit(len(term_sets))
    postings: dict[str, list[int]] = {}
    for i, terms in enumerate(term_sets):
        for term in terms:
            postings.setdefault(term, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in postings.values():
        if len(members) < 2 or len(members) > limit:
            continue
        if fresh is None:
            for x, i in enumerate(members):
                pairs.update((i, j) for j in members[x + 1 :])
            continue
        for i in members:
            if fresh[i]:
                pairs.update((min(i, j), max(i, j)) for j in members if j != i)
    return pairs


def _similarities(
    items: Sequence[ClaimItem],
    limit: int | None = None,
    stored_pairs: Iterable[tuple[str, str]] | None = None,
) -> dict[tuple[int, int], float]:
    """The non-zero Dice similarities {(i, j): s} (i < j) among candidate pairs;
    pairs of two stored claims were settled before and are not compared. With
    `stored_pairs` (new claim id, stored claim id), a new claim is compared
    with those stored claims only, and new claims with each other."""
    out: dict[tuple[int, int], float] = {}
    fresh = [it.cluster is None for it in items]
    if stored_pairs is None:
        pairs = candidate_pairs([it.terms for it in items], limit, fresh)
    else:
        new = [i for i, f in enumerate(fresh) if f]
        pairs = {(new[i], new[j]) for i, j in
                 candidate_pairs([items[i].terms for i in new], limit)}
        position = {it.claim_id: i for i, it in enumerate(items)}
        pairs |= {(min(position[a], position[b]), max(position[a], position[b]))
                  for a, b in stored_pairs if a in position and b in position}
    for i, j in pairs:
        s = dice(items[i].terms, items[j].terms)
        if s > 0.0:
            out[i, j] = s
    return out


def cluster_claims(
    items: Sequence[ClaimItem],
    min_similarity: float = MIN_SIMILARITY,
    cluster_sizes: dict[str, int] | None = None,
    pair_limit: int | None = None,
    stored_pairs: Iterable[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """{claim_id: cluster_id} for every item, stored clusters kept whole.

    `cluster_sizes` gives a stored cluster's size when not all its members are
    among `items` (the absent ones count as dissimilar to every newcomer);
    `pair_limit` is `candidate_pairs`' limit (default: by the number of items);
    `stored_pairs` are the only (new, stored) pairs compared (default: those
    `candidate_pairs` proposes).

    A merged group keeps the id of its stored cluster with the earliest
    statement; a group with no stored cluster is named after its earliest claim.

    Groups with no similar pair between them have mean similarity 0 and never
    merge (`min_similarity` is positive), so only the sparse graph of group
    pairs with a non-zero sum is kept, and a heap yields the best pair: the
    highest mean, ties to the lowest group indices, as a dense argmax would.
    """
    items = sorted(items, key=lambda it: (it.order, it.claim_id))
    groups: list[list[int]] = []
    group_of: list[int] = []
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.cluster is not None and item.cluster in index:
            g = index[item.cluster]
            groups[g].append(i)
        else:
            g = len(groups)
            if item.cluster is not None:
                index[item.cluster] = g
            groups.append([i])
        group_of.append(g)
    # sums[g][h]: sum of pair similarities between groups g != h (symmetric).
    sums: list[dict[int, float]] = [{} for _ in groups]
    for (i, j), s in _similarities(items, pair_limit, stored_pairs).items():
        g, h = group_of[i], group_of[j]
        if g != h:
            sums[g][h] = sums[g].get(h, 0.0) + s
            sums[h][g] = sums[h].get(g, 0.0) + s
    sizes = [len(rows) for rows in groups]
    for name, g in index.items():
        sizes[g] = max(sizes[g], (cluster_sizes or {}).get(name, 0))
    alive = [True] * len(groups)

    def mean(g: int, h: int) -> float:
        return sums[g][h] / (sizes[g] * sizes[h])

    heap = [(-mean(g, h), g, h) for g, row in enumerate(sums) for h in row if g < h]
    heapq.heapify(heap)
    while heap:
        neg, x, y = heapq.heappop(heap)
        if not (alive[x] and alive[y]) or -neg != mean(x, y):
            continue  # stale: a merge since changed or removed this pair
        if -neg < min_similarity:
            break
        groups[x] += groups[y]
        sizes[x] += sizes[y]
        alive[y] = False
        row_x, row_y = sums[x], sums[y]
        sums[y] = {}
        del row_x[y], row_y[x]
        for z, s in row_y.items():
            row_x[z] = row_x.get(z, 0.0) + s
            del sums[z][y]
        for z, s in row_x.items():
            sums[z][x] = s
            heapq.heappush(heap, (-mean(x, z), min(x, z), max(x, z)))
    out: dict[str, str] = {}
    for g, rows in enumerate(groups):
        if not alive[g]:
            continue
        members = sorted(rows)  # items are in (order, claim_id) order
        stored = [items[i].cluster for i in members if items[i].cluster is not None]
        name = stored[0] if stored else cluster_id(items[members[0]].claim_id)
        for i in members:
            out[items[i].claim_id] = name
    return out


CLAIM_TERMS = TermIndex("claim", "claim_id", COMMON_TERM_MAX)
_NO_DAY = 10**6  # undated statements sort last


def assign_claim_clusters(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Cluster the unclustered claims of these (original) articles; return how
    many claims changed cluster. The stored clusters they may join are those
    with a member reported within WINDOW_DAYS that shares rare stems with them."""
    rows = con.execute(
        f"""
        SELECT c.claim_id, c.content,
               datediff('day', DATE '1970-01-01',
                        coalesce(c.claimed_on, CAST(a.published_at AS DATE))) AS said,
               datediff('day', DATE '1970-01-01',
                        CAST(coalesce(a.published_at, a.first_seen_at) AS DATE)) AS reported
        FROM claims c JOIN articles a USING (article_id)
        WHERE {rows_with(con, "claims", "article_id", article_ids, "c")}
          AND {rows_with(con, "articles", "article_id", article_ids, "a")}
          AND c.claim_cluster_id IS NULL AND a.duplicate_of IS NULL
        """
    ).fetchall()
    if not rows:
        return 0
    new_terms = {r[0]: claim_terms(r[1]) for r in rows}
    reported = {r[0]: r[3] for r in rows}
    CLAIM_TERMS.add(con, pa.table({
        "claim_id": pa.array([r[0] for r in rows], pa.string()),
        "terms": pa.array([sorted(new_terms[r[0]]) for r in rows], pa.list_(pa.string())),
        "day": pa.array([r[3] for r in rows], pa.int32()),
    }))
    stored, pairs, sizes = _stored_candidates(con, new_terms, reported)
    items = [ClaimItem(cid, new_terms[cid], (_NO_DAY if said is None else said,), None)
             for cid, _, said, _ in rows]
    items += [
        ClaimItem(cid, frozenset(terms or ()), (_NO_DAY if day is None else day,), cluster)
        for cid, cluster, day, terms in stored
    ]
    before = {cid: cluster for cid, cluster, _, _ in stored}
    after = cluster_claims(items, cluster_sizes=sizes, pair_limit=COMMON_TERM_MAX,
                           stored_pairs=pairs)
    fresh = {cid: after[cid] for cid in new_terms}
    # A stored cluster merged into another takes all its members along, not
    # only those compared here.
    renamed = {before[cid]: cluster for cid, cluster in after.items()
               if cid in before and before[cid] != cluster}
    for table, key in (("claims", "claim_cluster_id"), (CLAIM_TERMS.lists, "cluster_id")):
        update_column(con, table, "claim_id", key, fresh)
        update_column(con, table, key, key, renamed)
    moved = sum(sizes.get(old, 0) for old in renamed)
    touch_clusters(con, [*fresh.values(), *renamed, *renamed.values()])
    return len(fresh) + moved


def touch_clusters(con: duckdb.DuckDBPyConnection, clusters: list[str] | str) -> None:
    """Note clusters whose members this derive pass changed (ids, or a query
    selecting them): `summarize_clusters` brings their summaries up to date."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS derive_touched_clusters (id VARCHAR)")
    if isinstance(clusters, str):
        con.execute(f"INSERT INTO derive_touched_clusters SELECT * FROM ({clusters}) "
                    "WHERE claim_cluster_id IS NOT NULL")
    elif clusters:
        with id_table(con, "touched_now", clusters):
            con.execute("INSERT INTO derive_touched_clusters SELECT id FROM touched_now")


def forget_claims(con: duckdb.DuckDBPyConnection, claim_ids: list[str]) -> None:
    """Claims deleted from the warehouse (their article was re-processed): out of
    the term index, and their clusters' summaries recomputed now, since the
    derive pass that follows may run on another connection."""
    if not claim_ids:
        return
    clusters = [r[0] for r in con.execute(
        f"SELECT DISTINCT cluster_id FROM {CLAIM_TERMS.lists} "
        f"WHERE claim_id IN ({literal_list(claim_ids)}) AND cluster_id IS NOT NULL").fetchall()]
    CLAIM_TERMS.remove(con, claim_ids)
    touch_clusters(con, clusters)
    summarize_clusters(con)


# The timeline columns CLUSTER_SUMMARY and CONTRADICTION_SIDES read.
_SUMMARIZED = "cluster_id, speaker, stance, day, content, claim_id, article_id"


def summarize_clusters(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the summary rows (`claim_cluster_stats`, what the view
    `claim_clusters` shows) of the clusters this pass touched; how many."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS derive_touched_clusters (id VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE cs_ids AS "
                "SELECT DISTINCT id FROM derive_touched_clusters WHERE id IS NOT NULL")
    touched = con.execute("SELECT count(*) FROM cs_ids").fetchone()[0]
    if touched:
        # One read of the touched clusters' claims for both tables.
        ids = [r[0] for r in con.execute("SELECT id FROM cs_ids").fetchall()]
        # The timeline's rows, not the view: its filter then reaches the scan
        # of claims instead of following a join of every claim.
        # Only what the summaries read: the timeline's article titles and URLs
        # would be read for every stored article (0.6 s -> 0.4 s at 1,000,000).
        con.execute(f"CREATE OR REPLACE TEMP TABLE cs_claims AS SELECT {_SUMMARIZED} FROM "
                    f"({TIMELINE_ROWS} AND c.claim_cluster_id IN ({literal_list(ids)}))")
        for table in ("claim_cluster_stats", "contradiction_sides"):
            con.execute(f"DELETE FROM {table} WHERE cluster_id IN (SELECT id FROM cs_ids)")
        con.execute("INSERT INTO claim_cluster_stats BY NAME "
                    f"{CLUSTER_SUMMARY.format(timeline='cs_claims')} GROUP BY cluster_id")
        con.execute(f"INSERT INTO contradiction_sides BY NAME "
                    f"{CONTRADICTION_SIDES.format(timeline='cs_claims')}")
        con.execute("DROP TABLE cs_claims")
    con.execute("DROP TABLE cs_ids")
    con.execute("DELETE FROM derive_touched_clusters")
    return touched


def summarize_all_clusters(con: duckdb.DuckDBPyConnection) -> None:
    """Every cluster's summary and contradiction sides, made anew (migrations,
    generated warehouses)."""
    for table in ("claim_cluster_stats", "contradiction_sides"):
        con.execute(f"DELETE FROM {table}")
    con.execute("INSERT INTO claim_cluster_stats BY NAME "
                f"{CLUSTER_SUMMARY.format(timeline='claim_timeline')} GROUP BY cluster_id")
    con.execute("INSERT INTO contradiction_sides BY NAME "
                f"{CONTRADICTION_SIDES.format(timeline='claim_timeline')}")


# One row per cluster: its label is its earliest claim's wording (ties by
# claim id), clusters have no other name; `contradicted` when one source
# asserts what another denies. Over `claim_timeline` (originals only).
CLUSTER_SUMMARY = """
SELECT
    cluster_id,
    arg_min(content, (coalesce(day, DATE '9999-12-31'), claim_id)) AS label,
    count(*) AS claims,
    count(DISTINCT speaker) AS speakers,
    count(DISTINCT article_id) AS articles,
    list(DISTINCT stance ORDER BY stance) AS stances,
    bool_or(stance = 'assert') AND bool_or(stance = 'deny') AS contradicted,
    min(day) AS first_day,
    max(day) AS last_day
FROM {timeline}
"""

# The asserting and denying claims of contradicted clusters (what the view
# `contradictions` pairs), over `claim_timeline` rows.
CONTRADICTION_SIDES = """
SELECT claim_id, cluster_id, article_id, speaker, stance, day, content
FROM {timeline}
WHERE stance IN ('assert', 'deny') AND cluster_id IN (
    SELECT cluster_id FROM {timeline} GROUP BY cluster_id
    HAVING bool_or(stance = 'assert') AND bool_or(stance = 'deny'))
"""


def _stored_candidates(
    con: duckdb.DuckDBPyConnection, new_terms: dict[str, frozenset[str]],
    reported: dict[str, int | None],
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]], dict[str, int]]:
    """Stored clustered claims reported within WINDOW_DAYS of a new claim that
    share rare stems with it, in the CANDIDATE_CLUSTERS clusters sharing the
    most with it: (claim_id, cluster, day, terms) each, the (new, stored)
    pairs, and the sizes of their clusters. Whether they share enough stems
    in all is `dice`'s to say."""
    total = con.execute(f"SELECT count(*) FROM {CLAIM_TERMS.lists}").fetchone()[0]
    limit = common_term_limit(total, COMMON_TERM_MAX)
    counted = {t for terms in new_terms.values() for t in terms}
    held = dict(con.execute(
        f"SELECT term, n FROM {CLAIM_TERMS.df} WHERE term IN ({literal_list(counted)})"
    ).fetchall())
    rare = [(cid, t) for cid, terms in new_terms.items() for t in terms
            if held.get(t, 0) <= limit and reported.get(cid) is not None]
    if not rare:
        return [], [], {}
    days = [reported[cid] for cid, _ in rare]
    new_rare = pa.table({"a": pa.array([c for c, _ in rare], pa.string()),
                         "term": pa.array([t for _, t in rare], pa.string()),
                         "day": pa.array(days, pa.int32())})
    # Both index tables are in day order: the bounds skip the rest unread.
    window = f"BETWEEN {min(days) - WINDOW_DAYS} AND {max(days) + WINDOW_DAYS}"
    with registered(con, "cl_new_rare", new_rare), id_table(con, "cl_new", new_terms):
        rows = con.execute(
            f"""
            WITH cand AS MATERIALIZED (
                SELECT n.a, o.claim_id AS b, count(*) AS shared
                FROM cl_new_rare n JOIN {CLAIM_TERMS.rare} o ON o.term = n.term
                WHERE o.day {window} AND abs(o.day - n.day) <= {WINDOW_DAYS}
                  AND o.claim_id NOT IN (SELECT id FROM cl_new)
                GROUP BY ALL
            ),
            clustered AS MATERIALIZED (
                SELECT c.a, c.b, c.shared, l.cluster_id AS cluster
                FROM cand c JOIN {CLAIM_TERMS.lists} l ON l.claim_id = c.b
                WHERE l.day {window} AND l.cluster_id IS NOT NULL
            ),
            best AS MATERIALIZED (
                SELECT a, cluster FROM clustered GROUP BY a, cluster
                QUALIFY row_number() OVER (PARTITION BY a ORDER BY sum(shared) DESC, cluster)
                        <= {CANDIDATE_CLUSTERS}
            ),
            chosen AS MATERIALIZED (
                SELECT x.b, any_value(x.cluster) AS cluster, list(x.a) AS news
                FROM clustered x JOIN best USING (a, cluster) GROUP BY x.b
            )
            -- Term lists are read for the chosen members only, not for every
            -- claim sharing a rare stem.
            SELECT ch.b, ch.cluster, l.day, l.terms, ch.news
            FROM chosen ch JOIN {CLAIM_TERMS.lists} l ON l.claim_id = ch.b
            WHERE l.day {window}
            """
        ).fetchall()
    stored = [(b, cluster, day, terms) for b, cluster, day, terms, _ in rows]
    pairs = [(a, b) for b, _, _, _, news in rows for a in news]
    touched = {cluster for _, cluster, _, _ in stored}
    with id_table(con, "cl_touched", touched):
        # The summaries are current: every pass ends with `summarize_clusters`.
        sizes = dict(con.execute(
            "SELECT s.cluster_id, s.claims FROM claim_cluster_stats s "
            "JOIN cl_touched t ON t.id = s.cluster_id").fetchall())
    return stored, pairs, sizes

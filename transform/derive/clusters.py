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
and with the stored claims that share a rare stem with them (never with
every member of a stored cluster), and a stored cluster counts with its
full size, so a newcomer joins it when its mean similarity over all the
cluster's members reaches the threshold. Settled pairs of stored claims
are not compared again: two stored clusters merge only through the new
claims between them. Thresholds were set on the development gold claims
(`data/claims/gold_dev.jsonl`).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from claimwire.transform.derive.terms import content_terms, rare_terms, replace_terms, term_limit
from claimwire.warehouse.idsets import id_table, update_column

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
# whatever the warehouse size, and at most CANDIDATES_PER_CLAIM stored claims
# (those sharing the most stems) are compared with one new claim.
COMMON_TERM_MAX = 2000
CANDIDATES_PER_CLAIM = 200


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
    term_sets: Sequence[frozenset[str]], limit: int | None = None
) -> set[tuple[int, int]]:
    """Index pairs (i < j) sharing at least one term held by at most `limit` sets.

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
        for x, i in enumerate(members):
            pairs.update((i, j) for j in members[x + 1 :])
    return pairs


def _similarities(items: Sequence[ClaimItem]) -> dict[tuple[int, int], float]:
    """The non-zero Dice similarities {(i, j): s} (i < j) among candidate pairs;
    pairs of two stored claims were settled before and are not compared."""
    out: dict[tuple[int, int], float] = {}
    for i, j in candidate_pairs([it.terms for it in items]):
        if items[i].cluster is not None and items[j].cluster is not None:
            continue
        s = dice(items[i].terms, items[j].terms)
        if s > 0.0:
            out[i, j] = s
    return out


def cluster_claims(
    items: Sequence[ClaimItem],
    min_similarity: float = MIN_SIMILARITY,
    cluster_sizes: dict[str, int] | None = None,
) -> dict[str, str]:
    """{claim_id: cluster_id} for every item, stored clusters kept whole.

    `cluster_sizes` gives a stored cluster's size when not all its members are
    among `items` (the absent ones count as dissimilar to every newcomer).

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
    for (i, j), s in _similarities(items).items():
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


def assign_claim_clusters(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Cluster the unclustered claims of these (original) articles; return how
    many claims changed cluster. The stored clusters they may join are those
    with a member sharing enough stems."""
    with id_table(con, "cl_articles", article_ids):
        rows = con.execute(
            """
            SELECT c.claim_id, c.content,
                   coalesce(c.claimed_on, CAST(a.published_at AS DATE)) AS day
            FROM claims c JOIN articles a USING (article_id)
            WHERE c.article_id IN (SELECT id FROM cl_articles)
              AND c.claim_cluster_id IS NULL AND a.duplicate_of IS NULL
            """
        ).fetchall()
    if not rows:
        return 0
    new_terms = {r[0]: claim_terms(r[1]) for r in rows}
    with id_table(con, "cl_new", sorted(new_terms)):
        replace_terms(con, "claim_terms", "claim_id", "cl_new", pa.table({
            "claim_id": pa.array([c for c, t in new_terms.items() for _ in t], pa.string()),
            "term": pa.array([x for t in new_terms.values() for x in sorted(t)], pa.string()),
        }))
        stored, sizes = _stored_candidates(con)
    items = [ClaimItem(cid, new_terms[cid], (day or date.max,), None) for cid, _, day in rows]
    items += [
        ClaimItem(cid, frozenset(terms or ()), (day or date.max,), cluster)
        for cid, cluster, day, terms in stored
    ]
    before = {cid: cluster for cid, cluster, _, _ in stored}
    assigned = {
        cid: cluster
        for cid, cluster in cluster_claims(items, cluster_sizes=sizes).items()
        if before.get(cid) != cluster
    }
    update_column(con, "claims", "claim_id", "claim_cluster_id", assigned)
    return len(assigned)


def _stored_candidates(
    con: duckdb.DuckDBPyConnection,
) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """Stored clustered claims sharing a rare stem and MIN_SHARED stems in all
    with a new claim (`cl_new`), the CANDIDATES_PER_CLAIM nearest per new claim:
    (claim_id, cluster, day, terms) each, and the sizes of their clusters."""
    total = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    limit = common_term_limit(total, COMMON_TERM_MAX)
    with rare_terms(con, "claim_terms", "claim_id", "cl_new", limit) as rare:
        stored = con.execute(
            f"""
            -- MATERIALIZED fences keep the planner from joining claim_terms
            -- with itself on term alone before both sides are narrowed (it
            -- did, once the tables had statistics: 16 s and 1 GB for 15,000
            -- claims).
            WITH new_rare AS MATERIALIZED (
                SELECT n.claim_id, n.term FROM claim_terms n SEMI JOIN {rare} r ON r.term = n.term
                WHERE n.claim_id IN (SELECT id FROM cl_new)
            ),
            cand AS MATERIALIZED (
                SELECT DISTINCT n.claim_id AS a, o.claim_id AS b
                FROM new_rare n
                JOIN claim_terms o ON o.term = n.term AND o.claim_id <> n.claim_id
                WHERE o.claim_id NOT IN (SELECT id FROM cl_new)
            ),
            cand_terms AS MATERIALIZED (
                SELECT c.a, c.b, x.term FROM cand c JOIN claim_terms x ON x.claim_id = c.a
            ),
            near AS (
                SELECT c.a, c.b, count(*) AS shared
                FROM cand_terms c
                JOIN claim_terms y ON y.claim_id = c.b AND y.term = c.term
                GROUP BY c.a, c.b
                HAVING count(*) >= ?
            ),
            nearest AS MATERIALIZED (
                SELECT DISTINCT b AS claim_id FROM near
                QUALIFY row_number() OVER (PARTITION BY a ORDER BY shared DESC, b) <= ?
            )
            SELECT c.claim_id, c.claim_cluster_id,
                   coalesce(c.claimed_on, CAST(a.published_at AS DATE)),
                   list(t.term) FILTER (WHERE t.term IS NOT NULL)
            FROM nearest k
            JOIN claims c ON c.claim_id = k.claim_id AND c.claim_cluster_id IS NOT NULL
            JOIN articles a ON a.article_id = c.article_id
            LEFT JOIN claim_terms t ON t.claim_id = c.claim_id
            GROUP BY ALL
            """,
            [MIN_SHARED, CANDIDATES_PER_CLAIM],
        ).fetchall()
    touched = sorted({cluster for _, cluster, _, _ in stored})
    with id_table(con, "cl_touched", touched):
        sizes = dict(con.execute(
            "SELECT claim_cluster_id, count(*) FROM claims "
            "WHERE claim_cluster_id IN (SELECT id FROM cl_touched) GROUP BY 1"
        ).fetchall())
    return stored, sizes

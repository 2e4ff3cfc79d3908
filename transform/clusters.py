"""Claim clusters: claims that state the same proposition, whoever says it.

A claim is reduced to the set of its content-word stems (the speaker and
the reporting verb are not part of it, so "X denies P" and "Y says P" look
the same). Clusters are built by average-link agglomeration: two groups
merge while the mean Dice similarity over all their cross pairs is at least
the threshold. Averaging over members, unlike linking through the single
nearest claim, keeps a story's many related claims from chaining into one
cluster about everything, and the result does not depend on input order.
Stored clusters are never split: a load starts from them and only merges.
Thresholds were set on the development gold claims
(`data/claims/gold_dev.jsonl`).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from claimwire.transform.terms import content_terms

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


def common_term_limit(n_items: int) -> int:
    """Terms held by more than this many of `n_items` claims propose no pairs."""
    return max(COMMON_TERM_MIN, int(n_items * COMMON_TERM_SHARE))


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
    """The non-zero Dice similarities {(i, j): s} (i < j) among candidate pairs."""
    out: dict[tuple[int, int], float] = {}
    for i, j in candidate_pairs([it.terms for it in items]):
        s = dice(items[i].terms, items[j].terms)
        if s > 0.0:
            out[i, j] = s
    return out


def cluster_claims(
    items: Sequence[ClaimItem], min_similarity: float = MIN_SIMILARITY
) -> dict[str, str]:
    """{claim_id: cluster_id} for every item, stored clusters kept whole.

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

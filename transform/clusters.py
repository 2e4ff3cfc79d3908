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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from claimwire.transform.terms import content_terms

MIN_SIMILARITY = 0.5
# Two shared stems at least: one common word ("war") is never a proposition.
MIN_SHARED = 2


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


def _similarities(items: Sequence[ClaimItem]) -> np.ndarray:
    n = len(items)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = dice(items[i].terms, items[j].terms)
    return out


def cluster_claims(
    items: Sequence[ClaimItem], min_similarity: float = MIN_SIMILARITY
) -> dict[str, str]:
    """{claim_id: cluster_id} for every item, stored clusters kept whole.

    A merged group keeps the id of its stored cluster with the earliest
    statement; a group with no stored cluster is named after its earliest claim.
    """
    items = sorted(items, key=lambda it: (it.order, it.claim_id))
    groups: list[list[int]] = []
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.cluster is not None and item.cluster in index:
            groups[index[item.cluster]].append(i)
        else:
            if item.cluster is not None:
                index[item.cluster] = len(groups)
            groups.append([i])
    pair = _similarities(items)
    # Sum of pair similarities between groups; merging adds rows and columns.
    member = np.zeros((len(groups), len(items)))
    for g, rows in enumerate(groups):
        member[g, rows] = 1.0
    sums = member @ pair @ member.T
    sizes = member.sum(axis=1)
    alive = np.ones(len(groups), dtype=bool)
    while alive.sum() > 1:
        mean = sums / np.outer(sizes, sizes)
        mean[~alive, :] = -1.0
        mean[:, ~alive] = -1.0
        np.fill_diagonal(mean, -1.0)
        x, y = np.unravel_index(int(np.argmax(mean)), mean.shape)
        if mean[x, y] < min_similarity:
            break
        x, y = min(x, y), max(x, y)
        groups[x] += groups[y]
        sums[x, :] += sums[y, :]
        sums[:, x] += sums[:, y]
        sizes[x] += sizes[y]
        alive[y] = False
    out: dict[str, str] = {}
    for g in np.flatnonzero(alive):
        members = sorted(groups[g])  # items are in (order, claim_id) order
        stored = [items[i].cluster for i in members if items[i].cluster is not None]
        name = stored[0] if stored else cluster_id(items[members[0]].claim_id)
        for i in members:
            out[items[i].claim_id] = name
    return out

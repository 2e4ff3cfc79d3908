"""Near duplicates: the rule (MinHash similarity over word shingles, found through
LSH band keys) and the index kept in the warehouse that applies it.

Each article's MinHash signature and LSH band keys are stored once; a load
only fingerprints its own articles and finds candidates by joining their
band keys with the stored ones (a hash join on a posting list, never a
comparison with every article), so a copy arriving runs after its original
is still found without rebuilding anything. Copies are looked for among
articles published within `window_days` (a `[dedup]` setting, 90 by default)
of each other: each band key carries its article's day, so a night reads the
keys of the days around its articles, not those of the whole warehouse.

Copies form groups; every member points at the group's earliest article
(published, else first seen), never at another copy. A late-arriving older
article takes the group over. Claims of copies are deleted: a syndicated
story's claims are counted once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from claimwire.transform.derive import minhash
from claimwire.transform.derive.clusters import CLAIM_TERMS, touch_clusters
from claimwire.warehouse.idsets import (
    id_table,
    insert_arrow,
    literal_list,
    registered,
    rows_with,
)
from claimwire.warehouse.staging import utcnow

METHOD = "minhash"
_LATEST = datetime.max


# Syndicated copies follow their original within days; looking only among
# articles published this close keeps a night's lookup to the band keys of
# those days instead of every stored article's.
DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class NearDupSettings:
    threshold: float = minhash.DEFAULT_THRESHOLD
    num_perm: int = minhash.DEFAULT_NUM_PERM
    shingle_size: int = minhash.DEFAULT_SHINGLE_SIZE
    window_days: int = DEFAULT_WINDOW_DAYS


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[str]]:
        out: dict[str, list[str]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in out.values()]


def _order_key(row: tuple[Any, ...]) -> tuple[datetime, datetime, str]:
    article_id, published_at, first_seen_at = row[0], row[1], row[2]
    return (published_at or first_seen_at or _LATEST, first_seen_at or _LATEST, article_id)


# A band bucket shared by more articles than this pairs each newcomer with
# its first members only (by id), not with all of them: a bucket that big
# holds copies of one story, which the first members already connect, and
# all-pairs would grow with the square of the copies (syndicated wire
# stories reach hundreds).
BUCKET_FANOUT = 8


def _fingerprint(
    con: duckdb.DuckDBPyConnection,
    ids_view: str,
    settings: NearDupSettings,
    known: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Index the articles listed in `ids_view`, replacing their rows in the index.

    Signatures in `known` (made by the transform workers with these
    settings) are used as they are; the others are computed from the text.
    """
    params = minhash.lsh_params(settings.threshold, settings.num_perm)
    con.execute("CREATE OR REPLACE TEMP TABLE nd_keys (band_key BIGINT, day INTEGER)")
    ids = [r[0] for r in con.execute(f"SELECT id FROM {ids_view}").fetchall()]
    known = known or {}
    sigs = {aid: known[aid] for aid in ids if aid in known}
    missing = [aid for aid in ids if aid not in sigs]
    if missing:
        for article_id, text in con.execute(
            "SELECT article_id, text FROM articles "
            f"WHERE {rows_with(con, 'articles', 'article_id', missing)}"
        ).fetchall():
            sigs[article_id] = minhash.signature(
                text or "", settings.num_perm, settings.shingle_size)
    if not sigs:
        return sigs
    indexed = con.execute(
        f"SELECT count(*) FROM article_signatures WHERE article_id IN (SELECT id FROM {ids_view})"
    ).fetchone()[0]
    # Only re-processed articles have old rows; skipping the delete otherwise
    # spares a scan of the whole band-key table on every load.
    if indexed:
        for table in ("article_signatures", "article_band_keys"):
            con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT id FROM {ids_view})")
    order = list(sigs)
    days = _days(con, ids_view)
    matrix = np.stack([sigs[aid] for aid in order])
    count = len(order)
    sig_table = pa.table(
        {
            "article_id": pa.array(order, pa.string()),
            "signature": pa.array([sigs[a].astype("<u4").tobytes() for a in order], pa.binary()),
            "num_perm": pa.array(np.full(count, settings.num_perm, np.int32)),
            "shingle_size": pa.array(np.full(count, settings.shingle_size, np.int32)),
            "bands": pa.array(np.full(count, params.bands, np.int32)),
            "rows": pa.array(np.full(count, params.rows, np.int32)),
        }
    )
    # A text without words is nobody's near-duplicate: it gets no band keys.
    worded = np.flatnonzero(~minhash.empty_rows(matrix))
    keys = minhash.band_keys_many(matrix[worded], params)
    owners = pa.array(np.repeat(worded, params.bands))
    key_table = pa.table(
        {
            "band_key": pa.array(keys.reshape(-1)),
            "article_id": pa.array(order, pa.string()).take(owners),
            "day": pa.array([days.get(aid) for aid in order], pa.int32()).take(owners),
        }
    )
    insert_arrow(con, "article_signatures", sig_table, mode=None)
    insert_arrow(con, "article_band_keys", key_table, mode=None)
    # The band keys just written, for `_candidates`: finding them again in the
    # stored index would scan every article's keys.
    with registered(con, "nd_written", key_table):
        con.execute("INSERT INTO nd_keys SELECT DISTINCT band_key, day FROM nd_written")
    return sigs


# An article's day (since 1970) of publication, else of first sighting, else
# today's, as SQL over `articles`: the day its band keys carry.
ARTICLE_DAY = ("datediff('day', DATE '1970-01-01', "
               "coalesce(published_at, first_seen_at, current_date))")


def _days(con: duckdb.DuckDBPyConnection, ids_view: str) -> dict[str, int]:
    """Each listed article's `ARTICLE_DAY`."""
    return dict(con.execute(
        f"SELECT article_id, {ARTICLE_DAY} FROM articles "
        f"WHERE article_id IN (SELECT id FROM {ids_view})").fetchall())


def _candidates(con: duckdb.DuckDBPyConnection, window_days: int) -> list[tuple[str, str]]:
    # Both sides come from the stored index, so pairs among this load's own
    # articles are found by the same join as pairs with older ones. Literal
    # day bounds: zone maps skip the row groups of other days unread.
    lo, hi = con.execute("SELECT min(day), max(day) FROM nd_keys").fetchone()
    if lo is None:
        return []
    return con.execute(
        f"""
        WITH members AS (
            SELECT k.band_key, k.article_id, k.day,
                   row_number() OVER (PARTITION BY k.band_key ORDER BY k.article_id) AS rank
            FROM article_band_keys k SEMI JOIN nd_keys t ON t.band_key = k.band_key
            WHERE k.day BETWEEN {lo - window_days} AND {hi + window_days}
        )
        SELECT DISTINCT least(n.article_id, o.article_id), greatest(n.article_id, o.article_id)
        FROM members n
        JOIN members o ON o.band_key = n.band_key AND o.article_id <> n.article_id
        WHERE n.article_id IN (SELECT id FROM nd_new) AND o.rank <= {BUCKET_FANOUT}
          AND abs(o.day - n.day) <= {window_days}
        """
    ).fetchall()


def _signatures(
    con: duckdb.DuckDBPyConnection, ids: Iterable[str], settings: NearDupSettings
) -> dict[str, np.ndarray]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = con.execute(
        "SELECT article_id, signature FROM article_signatures "
        f"WHERE article_id IN ({literal_list(wanted)}) AND num_perm = ? AND shingle_size = ?",
        [settings.num_perm, settings.shingle_size],
    ).fetchall()
    return {aid: np.frombuffer(blob, dtype="<u4") for aid, blob in rows}


def _articles(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    rows = con.execute(
        "SELECT article_id, published_at, first_seen_at, duplicate_of FROM articles "
        f"WHERE article_id IN ({literal_list(ids)})"
    ).fetchall()
    return {r[0]: r for r in rows}


def mark_near_duplicates(
    con: duckdb.DuckDBPyConnection,
    article_ids: list[str],
    settings: NearDupSettings,
    known: dict[str, np.ndarray] | None = None,
) -> int:
    """Index the given (new or re-processed) articles and link their copies.

    `known` holds signatures already made with `settings`. Returns how many
    articles are copies now that were not before.
    """
    ids = sorted(set(article_ids))
    if not ids:
        return 0
    refresh_stale_index(con, settings)
    with id_table(con, "nd_new", ids):
        return _mark(con, ids, settings, known)


def refresh_stale_index(con: duckdb.DuckDBPyConnection, settings: NearDupSettings) -> int:
    """Re-sign articles indexed under other MinHash/LSH settings; return how many.

    Band keys made with another threshold (so other bands x rows) or another
    MinHash shape never meet the current ones: after a settings change every
    stored article is fingerprinted again, once, so older originals stay
    findable. Their duplicate links are kept as they were.
    """
    params = minhash.lsh_params(settings.threshold, settings.num_perm)
    stale = [
        r[0]
        for r in con.execute(
            "SELECT article_id FROM article_signatures WHERE num_perm IS DISTINCT FROM ? "
            "OR shingle_size IS DISTINCT FROM ? OR bands IS DISTINCT FROM ? "
            "OR rows IS DISTINCT FROM ?",
            [settings.num_perm, settings.shingle_size, params.bands, params.rows],
        ).fetchall()
    ]
    if stale:
        with id_table(con, "nd_stale", stale):
            _fingerprint(con, "nd_stale", settings)
    return len(stale)


def _pair_similarities(
    pairs: Sequence[tuple[str, str]], sigs: dict[str, np.ndarray]
) -> np.ndarray:
    """Estimated Jaccard of each pair, all at once; both ids must be in `sigs`."""
    if not pairs:
        return np.empty(0, dtype=np.float64)
    order = sorted({x for pair in pairs for x in pair})
    row = {aid: i for i, aid in enumerate(order)}
    matrix = np.stack([sigs[aid] for aid in order])
    left = np.fromiter((row[a] for a, _ in pairs), np.int64, len(pairs))
    right = np.fromiter((row[b] for _, b in pairs), np.int64, len(pairs))
    return minhash.similarities(matrix, left, right)


def _similar_pairs(
    pairs: list[tuple[str, str]], sigs: dict[str, np.ndarray], threshold: float
) -> list[tuple[str, str]]:
    usable = [(a, b) for a, b in pairs if a in sigs and b in sigs]
    keep = np.flatnonzero(_pair_similarities(usable, sigs) >= threshold)
    return [usable[i] for i in keep.tolist()]


def _mark(
    con: duckdb.DuckDBPyConnection,
    ids: list[str],
    settings: NearDupSettings,
    known: dict[str, np.ndarray] | None,
) -> int:
    sigs = _fingerprint(con, "nd_new", settings, known)
    pairs = _candidates(con, settings.window_days)
    sigs.update(_signatures(con, {x for p in pairs for x in p} - sigs.keys(), settings))
    edges = _similar_pairs(pairs, sigs, settings.threshold)
    new = set(ids)
    info = _articles(con, {x for e in edges for x in e})
    # Copies before this call, to count only new ones (dependents were copies too).
    before = {a for a, row in info.items() if row[3] is not None} | {
        r[0] for r in con.execute(
            "SELECT article_id FROM articles "
            "WHERE article_id IN (SELECT id FROM nd_new) AND duplicate_of IS NOT NULL"
        ).fetchall()
    }
    # A re-processed article's old link is decided afresh below.
    con.execute(
        "UPDATE articles SET duplicate_of = NULL "
        "WHERE article_id IN (SELECT id FROM nd_new) AND duplicate_of IS NOT NULL"
    )
    con.execute("DELETE FROM article_duplicates WHERE article_id IN (SELECT id FROM nd_new)")

    def root(article_id: str) -> str:
        if article_id in new:
            return article_id
        return info[article_id][3] or article_id

    groups = _UnionFind()
    for a, b in edges:
        groups.union(root(a), root(b))
    components = [nodes for nodes in groups.groups() if len(nodes) > 1]
    all_nodes = sorted({x for nodes in components for x in nodes})
    dependents: dict[str, list[str]] = {}
    with id_table(con, "nd_nodes", all_nodes):
        found = con.execute(
            "SELECT article_id, duplicate_of FROM articles "
            "WHERE duplicate_of IN (SELECT id FROM nd_nodes)"
        ).fetchall()
    for copy, original in found:
        dependents.setdefault(original, []).append(copy)
    details = _articles(con, all_nodes + [d for ds in dependents.values() for d in ds])
    links: dict[str, str] = {}
    for nodes in components:
        members = set(nodes).union(*(dependents.get(n, []) for n in nodes))
        original = min((details[m] for m in members), key=_order_key)[0]
        for member in members - {original}:
            links[member] = original
    if not links:
        return 0
    _write_links(con, links, settings, sigs)
    was_copy = before.union(*dependents.values())
    return len(set(links) - was_copy)


def _write_links(
    con: duckdb.DuckDBPyConnection, links: dict[str, str], settings: NearDupSettings,
    read: dict[str, np.ndarray],
) -> None:
    """Store the links; `read` holds signatures already read (only copies
    linked before, found through their originals, are read here)."""
    linked = set(links) | set(links.values())
    sigs = {aid: read[aid] for aid in linked if aid in read}
    sigs.update(_signatures(con, linked - sigs.keys(), settings))
    now = utcnow()
    signed = [(a, o) for a, o in links.items() if a in sigs and o in sigs]
    known = dict(zip(signed, _pair_similarities(signed, sigs).tolist(), strict=True))
    similarity = [known.get(link) for link in links.items()]
    table = pa.table(
        {
            "article_id": pa.array(list(links), pa.string()),
            "duplicate_of": pa.array(list(links.values()), pa.string()),
            "similarity": pa.array(similarity, pa.float64()),
            "method": pa.array([METHOD] * len(links), pa.string()),
            "detected_at": pa.array([now] * len(links), pa.timestamp("us")),
        }
    )
    originals = sorted(set(links.values()))
    copies = list(links)
    with registered(con, "staged_links", table):
        con.execute(
            "UPDATE articles SET duplicate_of = s.duplicate_of FROM staged_links s "
            "WHERE articles.article_id = s.article_id"
        )
        with id_table(con, "nd_originals", originals):
            con.execute(
                "UPDATE articles SET duplicate_of = NULL "
                "WHERE article_id IN (SELECT id FROM nd_originals) AND duplicate_of IS NOT NULL"
            )
            con.execute(
                "DELETE FROM article_duplicates WHERE article_id IN "
                "(SELECT id FROM nd_originals UNION ALL SELECT article_id FROM staged_links)"
            )
        con.execute("INSERT INTO article_duplicates BY NAME SELECT * FROM staged_links")
    # Claims are kept for originals only. The copies' claims are read once, by
    # key within their rowid range (mostly the night's own rows): a join with
    # `claims` would scan every stored claim, once per statement.
    of_copies = rows_with(con, "claims", "article_id", copies)
    dropped = con.execute(f"SELECT claim_id, claim_cluster_id FROM claims WHERE {of_copies}"
                          ).fetchall()
    if not dropped:
        return
    claim_ids = [claim_id for claim_id, _ in dropped]
    con.execute(f"DELETE FROM claim_mentions WHERE claim_id IN ({literal_list(claim_ids)})")
    touch_clusters(con, [cluster for _, cluster in dropped if cluster is not None])
    CLAIM_TERMS.remove(con, claim_ids)
    con.execute(f"DELETE FROM claims WHERE {of_copies}")

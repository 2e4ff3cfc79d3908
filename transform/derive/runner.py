"""Working off the derive queue: near duplicates, stories, claim clusters, search
index and views for every article the loader queued.

The loader only inserts; in its transaction it also queues the articles it
wrote in `derive_queue` (with the MinHash signature the transform workers
made). `derive_pending` then works the queue off in chunks, each chunk one
transaction that runs the steps and removes the chunk's queue rows, so a
crash leaves every article either derived or still queued: the next load or
`claimwire derive` finishes it. The search index and the views are rebuilt
once per pass, in the transaction of the last chunk, so an empty queue means
an index in step with the articles.

The steps run in this order because each reads the previous one's result:
stories skip copies, clusters skip claims of copies, the search index lists
originals.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import duckdb

from claimwire.config import DedupSettings
from claimwire.counts import RunCounts
from claimwire.failpoints import failpoint
from claimwire.transform.derive import minhash, search
from claimwire.transform.derive.clusters import assign_claim_clusters
from claimwire.transform.derive.near_duplicates import NearDupSettings, mark_near_duplicates
from claimwire.transform.derive.stories import assign_stories
from claimwire.warehouse import views
from claimwire.warehouse.db import rollback
from claimwire.warehouse.idsets import id_table
from claimwire.warehouse.queries import derive_queue_size

# Articles per derive transaction: bounds the memory of one pass over a long
# backfill while keeping the per-transaction work (and the one search index
# rebuild) well amortised.
CHUNK_ARTICLES = 10_000
# DuckDB's buffer limit while deriving. The story and cluster candidate
# joins fill whatever they are given (measured: RSS of about 350 MB + the
# limit + up to 450 MB DuckDB does not count), and they spill to disk past
# it at little cost (10,000 articles: 31-38 s at 512 MB against 37 s at 1 GB).
MEMORY_LIMIT = "512MB"


def near_dup_settings(dedup: DedupSettings | None) -> NearDupSettings:
    if dedup is None:
        return NearDupSettings()
    return NearDupSettings(
        threshold=dedup.near_duplicate_threshold,
        num_perm=dedup.num_perm,
        shingle_size=dedup.shingle_size,
    )


StepTimes = dict[str, float]


def derive_pending(
    con: duckdb.DuckDBPyConnection,
    dedup: DedupSettings | None = None,
    *,
    chunk_articles: int = CHUNK_ARTICLES,
    on_chunk: Callable[[int, int], None] | None = None,
    step_seconds: StepTimes | None = None,
) -> RunCounts:
    """Derive everything the queue holds; return counts (near_duplicates,
    stories_new, claims_clustered, articles_derived, ...).

    `on_chunk(done, total)` reports progress; `step_seconds` collects the time
    each step took (for the benchmark).
    """
    settings = near_dup_settings(dedup)
    total = derive_queue_size(con)
    if not total:
        return RunCounts()
    previous_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    try:
        return _work_off(con, settings, total, chunk_articles, on_chunk, step_seconds)
    finally:
        con.execute(f"SET memory_limit = '{previous_limit}'")


def _work_off(
    con: duckdb.DuckDBPyConnection,
    settings: NearDupSettings,
    total: int,
    chunk_articles: int,
    on_chunk: Callable[[int, int], None] | None,
    step_seconds: StepTimes | None,
) -> RunCounts:
    counts = RunCounts()
    times = step_seconds if step_seconds is not None else {}
    done = 0
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            rows = con.execute(
                "SELECT article_id, minhash, minhash_shingle_size FROM derive_queue "
                "ORDER BY queued_at, article_id LIMIT ?",
                [chunk_articles],
            ).fetchall()
            last = len(rows) >= derive_queue_size(con)
            ids = [r[0] for r in rows]
            known = {
                aid: minhash.signature_from_bytes(blob)
                for aid, blob, shingle in rows
                if blob is not None and shingle == settings.shingle_size
                and len(blob) == 4 * settings.num_perm
            }
            with _timed(times, "near_duplicates"):
                counts.near_duplicates += mark_near_duplicates(con, ids, settings, known)
            with _timed(times, "stories"):
                counts.stories_new += assign_stories(con, ids)
            with _timed(times, "clusters"):
                counts.claims_clustered += assign_claim_clusters(con, ids)
            with id_table(con, "derived_ids", ids) as name:
                con.execute(f"DELETE FROM derive_queue WHERE article_id IN (SELECT id FROM {name})")
            if last:
                with _timed(times, "search_index"):
                    _rebuild_search(con, counts)
                with _timed(times, "views"):
                    views.create_views(con)
            failpoint("derive_in_transaction")
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise
        done += len(ids)
        counts.articles_derived += len(ids)
        if on_chunk is not None:
            on_chunk(done, max(total, done))
        if last:
            break
    return counts


@contextlib.contextmanager
def _timed(times: StepTimes, name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        times[name] = times.get(name, 0.0) + time.perf_counter() - start


def _rebuild_search(con: duckdb.DuckDBPyConnection, counts: RunCounts) -> None:
    try:
        search.rebuild_index(con)
    except search.SearchUnavailable:
        # Search is optional: a warehouse without the extension still loads.
        counts.search_index_skipped += 1


"""Working off the derive queue: near duplicates, stories, claim clusters,
speakers and the search index for every article the loader queued.

The loader only inserts; in its transaction it also queues the articles it
wrote in `derive_queue` (with the MinHash signature the transform workers
made). `derive_pending` then works the queue off in chunks, each chunk one
transaction that runs the steps, updates the search index for its articles
and removes its queue rows, so a crash leaves every article either derived
or still queued: the next load or `claimwire derive` finishes it.

A chunk that fails is rolled back and split until the articles that fail
are alone; each failure is counted on the article with its cause
(`derive_queue.attempts`, `last_error`), and an article that failed
MAX_ATTEMPTS passes is set aside (`set_aside_at`) so that later nights derive
their own articles; `claimwire derive --retry` takes them up again. A failure
no article causes (a full disk, no memory) ends the pass at once with its
cause in one line (`DeriveError`).

The steps run in this order because each reads the previous one's result:
stories skip copies, clusters skip claims of copies, the search index lists
originals.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

import duckdb

from claimwire.config import DedupSettings
from claimwire.counts import RunCounts
from claimwire.errors import DeriveError
from claimwire.failpoints import failpoint
from claimwire.transform.derive import minhash, search
from claimwire.transform.derive.clusters import assign_claim_clusters, summarize_clusters
from claimwire.transform.derive.near_duplicates import NearDupSettings, mark_near_duplicates
from claimwire.transform.derive.speakers import assign_speakers
from claimwire.transform.derive.stories import assign_stories
from claimwire.warehouse import views
from claimwire.warehouse.idsets import id_table
from claimwire.warehouse.queries import derive_queue_size
from claimwire.warehouse.staging import utcnow

log = logging.getLogger(__name__)

# Articles per derive transaction: bounds the memory of one pass over a long
# backfill while keeping the per-transaction work well amortised.
CHUNK_ARTICLES = 10_000
# Failed passes before an article is set aside (see the module docstring).
MAX_ATTEMPTS = 3
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
        window_days=dedup.window_days,
    )


StepTimes = dict[str, float]


def derive_pending(
    con: duckdb.DuckDBPyConnection,
    dedup: DedupSettings | None = None,
    *,
    chunk_articles: int = CHUNK_ARTICLES,
    on_chunk: Callable[[int, int], None] | None = None,
    step_seconds: StepTimes | None = None,
    retry: bool = False,
) -> RunCounts:
    """Derive everything the queue holds (but what was set aside, unless `retry`);
    return counts (near_duplicates, stories_new, claims_clustered,
    articles_derived, derive_failed, ...).

    `on_chunk(done, total)` reports progress; `step_seconds` collects the time
    each step took (for the benchmark).
    """
    if retry:
        con.execute("UPDATE derive_queue SET set_aside_at = NULL, attempts = 0, last_error = NULL "
                    "WHERE set_aside_at IS NOT NULL")
    total = derive_queue_size(con)
    if not total:
        return RunCounts()
    previous_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    try:
        pass_ = _Pass(con, near_dup_settings(dedup), step_seconds)
        done = 0
        while rows := _next_chunk(con, chunk_articles, pass_.failed):
            pass_.derive_or_isolate(rows)
            done += len(rows)
            if on_chunk is not None:
                on_chunk(done, max(total, done))
        if pass_.counts.articles_derived:
            views.create_views(con)
        return pass_.counts
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET memory_limit = '{previous_limit}'")


# A failure no article causes: splitting the chunk would only repeat it.
_SYSTEMIC = (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.FatalException, OSError,
             MemoryError)
Row = tuple[str, bytes | None, int | None]


def _next_chunk(con: duckdb.DuckDBPyConnection, size: int, failed: set[str]) -> list[Row]:
    rows = con.execute(
        "SELECT article_id, minhash, minhash_shingle_size FROM derive_queue "
        "WHERE set_aside_at IS NULL ORDER BY queued_at, article_id LIMIT ?",
        [size + len(failed)],
    ).fetchall()
    # Articles that failed in this pass stay queued for the next one.
    return [r for r in rows if r[0] not in failed][:size]


def _cause(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


class _Pass:
    def __init__(
        self, con: duckdb.DuckDBPyConnection, settings: NearDupSettings,
        step_seconds: StepTimes | None,
    ) -> None:
        self.con = con
        self.settings = settings
        self.times = step_seconds if step_seconds is not None else {}
        self.counts = RunCounts()
        self.failed: set[str] = set()

    def derive_or_isolate(self, rows: list[Row]) -> None:
        """Derive `rows` in one transaction; on failure, halves, down to the
        articles that fail alone."""
        try:
            self._derive(rows)
            return
        except Exception as exc:  # noqa: BLE001 - a bad article, isolated below
            # A full disk surfaces as a failed COMMIT (TransactionException), not as an I/O error.
            if isinstance(exc, _SYSTEMIC) or "No space left on device" in str(exc):
                self._record_failure(rows, _cause(exc))
                raise DeriveError(
                    f"derive stopped on {len(rows)} article(s): {_cause(exc)}") from exc
            if len(rows) == 1:
                self._record_failure(rows, _cause(exc))
                return
        half = len(rows) // 2
        self.derive_or_isolate(rows[:half])
        self.derive_or_isolate(rows[half:])

    def _derive(self, rows: list[Row]) -> None:
        con, settings, counts, times = self.con, self.settings, RunCounts(), self.times
        ids = [r[0] for r in rows]
        known = {
            aid: minhash.signature_from_bytes(blob)
            for aid, blob, shingle in rows
            if blob is not None and shingle == settings.shingle_size
            and len(blob) == 4 * settings.num_perm
        }
        con.execute("BEGIN TRANSACTION")
        try:
            with _timed(times, "near_duplicates"):
                counts.near_duplicates += mark_near_duplicates(con, ids, settings, known)
            with _timed(times, "stories"):
                counts.stories_new += assign_stories(con, ids)
            with _timed(times, "clusters"):
                counts.claims_clustered += assign_claim_clusters(con, ids)
            with _timed(times, "speakers"):
                counts.speakers_changed += assign_speakers(con, ids)
            with _timed(times, "cluster_summaries"):
                summarize_clusters(con)
            with _timed(times, "search_index"):
                if not search.index_articles(con, ids):
                    counts.search_index_skipped += 1
            with id_table(con, "derived_ids", ids) as name:
                con.execute(f"DELETE FROM derive_queue WHERE article_id IN (SELECT id FROM {name})")
            failpoint("derive_in_transaction")
            con.execute("COMMIT")
        except BaseException:
            # A failed statement may have ended the transaction already; the
            # error that matters is the one being raised, not the rollback's.
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        counts.articles_derived += len(ids)
        self.counts.add(counts)

    def _record_failure(self, rows: list[Row], cause: str) -> None:
        ids = [r[0] for r in rows]
        self.failed.update(ids)
        self.counts.derive_failed += len(ids)
        log.warning("derive failed on %d article(s): %s", len(ids), cause)
        with contextlib.suppress(duckdb.Error), id_table(self.con, "failed_ids", ids):
            self.con.execute(
                "UPDATE derive_queue SET attempts = coalesce(attempts, 0) + 1, last_error = ?, "
                "set_aside_at = CASE WHEN coalesce(attempts, 0) + 1 >= ? THEN ? END "
                "WHERE article_id IN (SELECT id FROM failed_ids)",
                [cause, MAX_ATTEMPTS, utcnow()],
            )


@contextlib.contextmanager
def _timed(times: StepTimes, name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        times[name] = times.get(name, 0.0) + time.perf_counter() - start

"""Transforming pages while the rest of a poll is still being fetched.

Politeness keeps a night's fetch slow on purpose (a gap between requests to
one host), while the pages already fetched could be extracted. A polling run
therefore hands each page to worker processes as soon as it is archived
(`EarlyTransform`, the poll's `FetchListener`), in small chunks, and the
workers extract it and find its claims while the fetch goes on.

Nothing about how work is handed on changes: a result is only computed
early, never staged early. Once the poll batches are loaded, `stage` writes
the results of the documents the warehouse now holds as pending, exactly as
the plan would list them, as transform batches (in the plan's document
order); anything else (a document whose poll batch was quarantined, a chunk
whose worker failed) is simply left pending and goes through the ordinary
transform plan. So a run killed at any point leaves what it left before, and
the same documents give the same rows.
"""

from __future__ import annotations

from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.pipeline.planning import MIN_PARALLEL_DOCUMENTS, TRANSFORM_SHARD_SIZE
from claimwire.pipeline.timings import Timings
from claimwire.pipeline.workers import stage_transform, transform_pool, transform_rows
from claimwire.records import DocumentRow, PendingDocument
from claimwire.warehouse import schema
from claimwire.warehouse.staging import rows_to_arrow

if TYPE_CHECKING:
    from claimwire.transform.documents import TransformResult

# Documents per early chunk: small, so the workers start soon after the first
# pages arrive and finish close together, large enough to batch spaCy well.
CHUNK_DOCUMENTS = 8
# Beyond this many documents the rest wait for the ordinary plan: early
# results are held in this process until the poll is loaded.
MAX_EARLY_DOCUMENTS = 4000


class EarlyTransform:
    """A polling run's `FetchListener`: transforms fetched pages in workers.

    Active once a poll shard expects at least MIN_PARALLEL_DOCUMENTS new
    pages and the config allows more than one worker (fewer pages are not
    worth starting processes for: they go through the plan, in this
    process). Starts the worker pool then, unless the run brought a warm one.
    """

    def __init__(self, config: Config, timings: Timings,
                 pool: ProcessPoolExecutor | None = None) -> None:
        self.config = config
        self.timings = timings
        self.pool = pool
        self._buffer: list[PendingDocument] = []
        self._submitted: list[tuple[list[PendingDocument], Future[TransformResult]]] = []
        self._count = 0
        self._active = False

    # -- FetchListener

    def expect(self, pages: int) -> None:
        if self._active or self.config.worker_count <= 1 or pages < MIN_PARALLEL_DOCUMENTS:
            return
        if self.pool is None:
            self.pool = transform_pool(self.config, on_warm=self._warm)
        self._active = True
        self.timings.workers = self.config.worker_count

    def document(self, doc: DocumentRow) -> None:
        if not self._active or self._count >= MAX_EARLY_DOCUMENTS:
            return
        self._buffer.append(as_pending(doc))
        self._count += 1
        if len(self._buffer) >= CHUNK_DOCUMENTS:
            self.flush()

    def fetched(self, waits: dict[str, float]) -> None:
        self.flush()
        self.timings.add_all(waits)

    # -- the rest

    def flush(self) -> None:
        """Hand the pages buffered so far to the workers."""
        if self._buffer and self.pool is not None:
            chunk, self._buffer = self._buffer, []
            self._submitted.append(
                (chunk, self.pool.submit(transform_rows, self.config, chunk)))

    def _warm(self, seconds: float) -> None:
        self.timings.beside["worker start"] = seconds

    def stage(self, pending: list[PendingDocument], *, run_id: str) -> list[str]:
        """Wait for the early results and stage those whose documents are all
        stored as `pending` with the very row they were computed from (what
        the plan would hand on), as transform batches in the plan's order;
        their dirs. Other chunks, and those whose worker failed, are dropped:
        their documents stay pending for the plan."""
        stored = {doc.doc_id: doc.to_json() for doc in pending}
        results: list[TransformResult] = []
        for chunk, future in self._submitted:
            try:
                result = future.result()
            except Exception:  # the plan transforms these again and reports what fails
                continue
            if all(stored.get(d.doc_id) == d.to_json() for d in chunk):
                results.append(result)
                self.timings.add_all(result.seconds)
        self._submitted = []
        if not results:
            return []
        return [stage_transform(self.config, part, run_id=run_id) for part in combine(results)]


def as_pending(doc: DocumentRow) -> PendingDocument:
    """The row the warehouse will hand the transform plan for this document
    (timestamps stored as naive UTC, through a plan file's JSON)."""
    stored = rows_to_arrow(schema.documents, [doc]).to_pylist()[0]
    names = PendingDocument.__dataclass_fields__
    return PendingDocument.from_json(
        PendingDocument(**{k: v for k, v in stored.items() if k in names}).to_json())


def combine(results: list[TransformResult]) -> list[TransformResult]:
    """The results' rows in document-id order (the plan's), cut into shards
    of at most TRANSFORM_SHARD_SIZE documents; the first carries the counts."""
    from claimwire.transform.documents import TransformResult

    tables = {name: _concat([r.tables[name] for r in results if name in r.tables])
              for name in ("articles", "claims", "claim_mentions", "doc_status")}
    ordered = sorted(set(tables["doc_status"]["doc_id"].to_pylist()))
    counts = RunCounts()
    for r in results:
        counts.add(r.counts)
    parts = []
    for first in range(0, len(ordered), TRANSFORM_SHARD_SIZE):
        ids = pa.array(ordered[first : first + TRANSFORM_SHARD_SIZE], pa.string())
        articles = _rows_of(tables["articles"], "doc_id", ids)
        claims = _rows_of(tables["claims"], "article_id", articles["article_id"])
        parts.append(TransformResult(
            tables={
                "articles": articles,
                "claims": claims,
                "claim_mentions": _rows_of(tables["claim_mentions"], "claim_id",
                                           claims["claim_id"]),
                "doc_status": _rows_of(tables["doc_status"], "doc_id", ids),
            },
            counts=counts if first == 0 else RunCounts(),
        ))
    return parts


def _concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables, promote_options="default")


def _rows_of(table: pa.Table, column: str, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Rows of `table` whose `column` is in `keys`, ordered as `keys` (then as
    they were, for rows sharing a key)."""
    position = pc.index_in(table[column], value_set=keys)
    table = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    table = table.append_column("__key", position).filter(pc.is_valid(position))
    table = table.sort_by([("__key", "ascending"), ("__row", "ascending")])
    return table.drop_columns(["__key", "__row"])

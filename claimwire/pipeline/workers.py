"""The transform stage: shards of raw documents turned into staged article,
claim and status tables, in worker processes that keep the spaCy model warm."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context, parent_process
from typing import TYPE_CHECKING

from claimwire.config import Config
from claimwire.failpoints import failpoint
from claimwire.processes import die_with, ignore_interrupts, stop_pool
from claimwire.warehouse.staging import BatchWriter

if TYPE_CHECKING:
    from claimwire.records import PendingDocument
    from claimwire.transform.documents import TransformResult

# spaCy's string store only grows: a worker is replaced after this many shards.
SHARDS_PER_WORKER_LIFE = 6


def transform_shard(config: Config, plan_path: str, *, run_id: str) -> str:
    """Extract, sign, hash and find claims for a shard's documents; return a staged batch dir."""
    from claimwire.pipeline.planning import read_transform_plan

    return stage_transform(config, transform_rows(config, read_transform_plan(plan_path)),
                           run_id=run_id)


def transform_rows(config: Config, docs: list[PendingDocument]) -> TransformResult:
    """Extract, sign, hash and find claims for these documents; the tables, unstaged.

    In a worker process its CPU seconds so far (start-up included) go to
    `seconds` as "cpu:<pid>", for the run's timings."""
    from claimwire.transform.documents import transform_documents

    result = transform_documents(config, docs)
    if parent_process() is not None:
        result.seconds[f"cpu:{os.getpid()}"] = time.process_time()
    return result


def stage_transform(config: Config, result: TransformResult, *, run_id: str) -> str:
    """A transform's tables as a staged batch (its counts and seconds in the
    manifest's info); the batch dir."""
    writer = BatchWriter(config.staging_location, "transform", run_id)
    for name, data in result.tables.items():
        writer.add(name, data)
    writer.info = {**result.counts.to_dict(), "seconds": result.seconds}
    batch = writer.write()
    failpoint("transform_staged")
    return batch


def warm_worker(model: str, run_pid: int | None = None) -> None:
    """Load what a transform needs (extractor, spaCy model) into this process,
    which ends when the run `run_pid` does."""
    if run_pid is not None:
        die_with(run_pid)
    ignore_interrupts()
    from claimwire.transform.documents import extractor_version
    from claimwire.transform.nlp import load_nlp

    extractor_version()
    load_nlp(model)


def transform_pool(
    config: Config, on_warm: Callable[[float], None] | None = None
) -> ProcessPoolExecutor:
    """Worker processes for the transform stage, already holding the spaCy model.

    Started before polling, their start-up (about a second each: a fresh
    interpreter and the model) overlaps the network-bound poll. Fresh
    interpreters (forkserver) because forking a process that holds HTTP
    threads is unsafe.
    """
    pool = ProcessPoolExecutor(
        max_workers=config.worker_count,
        mp_context=get_context("forkserver"),
        initializer=warm_worker,
        initargs=(config.claims.model, os.getpid()),
    )
    # Submitting no-ops makes the executor start every worker now; each
    # completes once a worker is warm. `on_warm(seconds)` after the last.
    started = time.perf_counter()
    warmups = [pool.submit(int) for _ in range(config.worker_count)]
    if on_warm is not None:
        def warmed(_: Future[int]) -> None:
            if all(f.done() for f in warmups):
                on_warm(time.perf_counter() - started)

        for future in warmups:
            future.add_done_callback(warmed)
    return pool


def transform_batches(
    config: Config,
    plans: list[str],
    run_id: str,
    progress: Callable[[int], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[list[str]]:
    """Every plan through `transform_shard`, in this process when one worker is
    enough, else in worker processes (`pool`, if warm ones were started).

    Yields the staged batch dirs of the shards finished since the last yield
    (in plan order within each yield), so the caller can load finished shards
    while slow ones still run. `progress(1)` after each shard. If the caller
    stops early or an error (or Ctrl-C, SIGTERM) ends it, the workers are
    killed rather than waited for.
    """
    for ready in _transformed(config, plans, run_id, progress, pool):
        yield [batch for _, batch in ready]


def transform_in_workers(
    config: Config,
    plans: list[str],
    run_id: str,
    progress: Callable[[int], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> list[str]:
    """Every plan through `transform_shard` (see `transform_batches`); the staged
    batch dirs in plan order."""
    done = [pair for ready in _transformed(config, plans, run_id, progress, pool)
            for pair in ready]
    return [batch for _, batch in sorted(done)]


def _transformed(
    config: Config,
    plans: list[str],
    run_id: str,
    progress: Callable[[int], None] | None,
    pool: ProcessPoolExecutor | None,
) -> Iterator[list[tuple[int, str]]]:
    """(plan index, batch dir) of the shards finished since the last yield."""
    workers = min(config.worker_count, len(plans))
    if workers <= 1:
        for index, plan in enumerate(plans):
            batch = transform_shard(config, plan, run_id=run_id)
            if progress:
                progress(1)
            yield [(index, batch)]
        return
    # Workers are replaced after a few shards each so a long run's memory stays
    # flat. (max_tasks_per_child can hang on Python 3.11: the pool is renewed.)
    chunk = workers * SHARDS_PER_WORKER_LIFE
    for first in range(0, len(plans), chunk):
        current = pool if (first == 0 and pool is not None) else transform_pool(config)
        try:
            pending: dict[Future[str], int] = {
                current.submit(transform_shard, config, plans[index], run_id=run_id): index
                for index in range(first, min(first + chunk, len(plans)))}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                ready = sorted((pending.pop(future), future.result()) for future in done)
                if progress:
                    for _ in ready:
                        progress(1)
                yield ready
        except BaseException:
            stop_pool(current)
            raise
        # The caller's warm pool too: its workers have done their share.
        if current is not pool or first + chunk < len(plans):
            current.shutdown()

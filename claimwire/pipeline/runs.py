"""Runs: a whole ingest or backfill in this process, stage after stage.

    run_ingest:   plan_poll -> poll_shard* -> load ┐
    run_backfill: sources -> acquire (each unit)  -> load ┘
        -> plan_transform -> transform_shard* (worker processes) -> load each
           finished shard while the others run -> derive -> record the run

A polling run with enough new pages transforms them while it still fetches
(`overlap.EarlyTransform`: worker processes started when the poll knows how
many pages it will fetch); their results are staged once the poll is loaded,
and the plan then holds only what is still pending. Both end in the same
tail (`_transform_load_derive`). Each stage's wall time goes to the run's
`Timings` (printed after the summary). The Airflow DAGs call
the same stage functions as tasks instead. Before anything else a run clears
what killed runs left (stale plans, dead writers' temporary batches) and
quarantines staged batches an OS crash damaged, so their items are fetched
again by this very run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.errors import NoFeedsError
from claimwire.failpoints import failpoint
from claimwire.pipeline.loading import (
    batch_counts,
    batch_seconds,
    check_staged,
    derive_reporting,
    leftover_batches,
    load_staged,
    record_run,
)
from claimwire.pipeline.overlap import EarlyTransform
from claimwire.pipeline.planning import (
    feed_states,
    pending_rows,
    plan_poll,
    plan_rows,
    plan_transform,
    remove_plans,
)
from claimwire.pipeline.polling import poll_shard
from claimwire.pipeline.sources import BackfillSource, acquire
from claimwire.pipeline.timings import Timings
from claimwire.pipeline.workers import transform_batches, transform_pool
from claimwire.processes import stop_pool
from claimwire.warehouse.db import open_warehouse
from claimwire.warehouse.staging import complete_batches, remove_stale, utcnow
from claimwire.window import Window

# Enough feeds to expect more documents than one process should handle: the
# workers start (and load their model) while the network is busy.
WARM_POOL_MIN_FEEDS = 10

Say = Callable[[str], None]


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunSummary:
    run_id: str
    kind: str
    started_at: datetime
    ended_at: datetime | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    window: Window | None = None
    status: str = "running"
    timings: Timings = field(default_factory=Timings)

    def get(self, key: str) -> int:
        return self.counts.get(key)

    def row(self) -> dict[str, Any]:
        """The run's `runs` row."""
        c = self.counts
        start, end = self.window.naive() if self.window else (None, None)
        return {
            "run_id": self.run_id, "kind": self.kind, "started_at": self.started_at,
            "ended_at": self.ended_at, "status": self.status,
            "window_start": start, "window_end": end,
            "feeds_polled": c.feeds_polled, "feeds_not_modified": c.feeds_not_modified,
            "feeds_failed": c.feeds_failed, "items_new": c.items_new,
            "pages_fetched": c.pages_fetched, "pages_failed": c.pages_failed,
            "articles_loaded": c.articles_loaded, "duplicates": c.duplicates,
            "claims_loaded": c.claims_loaded, "errors": c.errors,
        }


def _quiet(message: str) -> None:
    pass


def _prepare(config: Config, say: Say) -> int:
    """Create or migrate the warehouse, clear what killed runs left behind, and
    quarantine staged batches that cannot be trusted (returns how many)."""
    with open_warehouse(config.warehouse, wait_seconds=config.lock_timeout):
        pass  # creates or migrates the schema before any planning reads it
    removed = remove_stale(config.staging_location)
    if removed:
        say(f"removed {removed} stale plan file(s) and unfinished batch(es) of killed runs")
    return check_staged(config)


def run_ingest(
    config: Config,
    *,
    feed_urls: list[str] | None = None,
    report: Say | None = None,
    kind: str = "ingest",
    timings: Timings | None = None,
) -> RunSummary:
    """Poll, fetch, extract, dedup, find claims and load: the whole run in this
    process. `timings` (a command's, with its start-up) records where the time went."""
    say = report or _quiet
    summary = RunSummary(run_id=new_run_id(kind), kind=kind, started_at=utcnow(),
                         timings=timings or Timings())
    timings = summary.timings
    deadline = time.monotonic() + config.polling.fetch_budget
    with timings.stage("prepare"):
        summary.counts.batches_quarantined += _prepare(config, say)
        states = feed_states(config, feed_urls)
    if not states:
        raise NoFeedsError(
            "no feeds to poll: add [[feeds]] to claimwire.toml, import an OPML file with "
            "`claimwire feeds import`, or pass --feed URL"
        )
    leftovers = len(complete_batches(config.staging_location))
    if leftovers:
        say(f"found {leftovers} staged batch(es) from an interrupted run; loading them too")
    if leftover_batches(config, "poll"):
        # Before polling: a left-over batch that cannot be loaded is quarantined
        # now, and this very poll fetches its items again.
        with timings.stage("load"):
            summary.counts.add(load_staged(config, [], run_id=summary.run_id, leftovers="poll",
                                           derive_after=False))
    plans = plan_poll(config, states=states)
    early = EarlyTransform(config, timings, pool=transform_pool(config) if (
        config.worker_count > 1 and len(states) >= WARM_POOL_MIN_FEEDS) else None)
    try:
        done = 0

        def on_feed(url: str, result: str) -> None:
            nonlocal done
            done += 1
            say(f"[poll {done}/{len(states)}] {url}: {result}")

        with timings.stage("fetch"):
            batches = [poll_shard(config, plan, run_id=summary.run_id, on_feed=on_feed,
                                  deadline=deadline, listener=early)
                       for plan in plans]
        summary.counts.add(batch_counts(batches))
        with timings.stage("load"):
            summary.counts.add(load_staged(config, batches, run_id=summary.run_id,
                                           leftovers="poll"))
        if summary.get("feeds_deferred") or summary.get("pages_deferred"):
            say(f"fetch budget of {config.polling.fetch_budget:g} s spent: "
                f"{summary.get('feeds_deferred')} feed(s) and {summary.get('pages_deferred')} "
                "page(s) left for the next run")
        with timings.stage("transform"):
            ready = early.stage(pending_rows(config), run_id=summary.run_id)
        if ready:
            counts = batch_counts(ready)
            summary.counts.add(counts)
            say(f"[transform] {counts.documents_transformed} document(s) transformed while "
                "fetching")
            with timings.stage("load"):
                summary.counts.add(load_staged(config, ready, run_id=summary.run_id,
                                               derive_after=False))
        _transform_load_derive(config, summary, say, pool=early.pool, leftovers="transform")
    except BaseException:
        if early.pool is not None:
            stop_pool(early.pool)  # a stopped run does not wait for its workers
            early.pool = None
        raise
    finally:
        remove_plans(plans)
        if early.pool is not None:
            early.pool.shutdown(cancel_futures=True)
    timings.close()  # the workers' exit too
    return summary


def run_backfill(
    config: Config,
    window: Window,
    sources: list[BackfillSource],
    *,
    report: Say | None = None,
    timings: Timings | None = None,
) -> RunSummary:
    """Acquire what each source holds for the window, then (re)process exactly that window.

    With no sources, only the re-processing: documents already in the raw
    archive go through extraction, dedup and claims again (a replay). Each
    source is checkpointed once its batch is staged, so an interrupted
    backfill resumes where it stopped; derived rows of the window are
    replaced, never doubled.
    """
    from claimwire.ingest.backfill_state import BackfillCheckpoint, checkpoint_key

    say = report or _quiet
    summary = RunSummary(run_id=new_run_id("backfill"), kind="backfill", started_at=utcnow(),
                         window=window, timings=timings or Timings())
    timings = summary.timings
    with timings.stage("prepare"):
        summary.counts.batches_quarantined += _prepare(config, say)
    units = [source.unit for source in sources]
    checkpoint = BackfillCheckpoint.load(config.staging_path / "checkpoints",
                                         checkpoint_key(window, units))
    batches = []
    for index, source in enumerate(sources, 1):
        if checkpoint.done(source.unit):
            say(f"[{index}/{len(sources)}] {source.unit}: done in an earlier, interrupted run")
            continue
        with timings.stage("fetch"):
            batches.append(acquire(config, [source], window, run_id=summary.run_id,
                                   report=lambda unit, line: say(f"[{unit}] {line}")))
        checkpoint.mark(source.unit)
        failpoint("backfill_unit_done")
        say(f"[{index}/{len(sources)}] {source.unit}: staged")
    summary.counts.add(batch_counts(batches))
    with timings.stage("load"):
        summary.counts.add(load_staged(config, batches, run_id=summary.run_id, leftovers="all"))
    finished = _transform_load_derive(config, summary, say)
    checkpoint.clear()
    return finished


def _transform_load_derive(
    config: Config,
    summary: RunSummary,
    say: Say,
    *,
    pool: ProcessPoolExecutor | None = None,
    leftovers: str | None = None,
) -> RunSummary:
    """The tail every run shares: transform what is pending (or, for a window,
    everything published in it), load each shard as it finishes, derive,
    record the run."""
    timings = summary.timings
    if leftovers and leftover_batches(config, leftovers):
        # Loaded first, so their documents are no longer pending and are not redone.
        with timings.stage("load"):
            summary.counts.add(load_staged(config, [], run_id=summary.run_id,
                                           leftovers=leftovers, derive_after=False))
    transform_started = time.perf_counter()
    loading = 0.0
    plans = plan_transform(config, window=summary.window)
    try:
        documents = plan_rows(plans)
        if documents:
            published = ""
            if summary.window is not None:
                last_day = summary.window.end - timedelta(seconds=1)
                published = f" published {summary.window.start:%Y-%m-%d} .. {last_day:%Y-%m-%d}"
            say(f"[transform] {documents} document(s){published} in {len(plans)} shard(s)")
        finished = 0

        def on_shard(n: int) -> None:
            nonlocal finished
            finished += n
            say(f"[transform {finished}/{len(plans)} shards]")

        if plans and config.worker_count > 1:
            timings.workers = max(timings.workers, min(config.worker_count, len(plans)))
        for ready in transform_batches(config, plans, summary.run_id, on_shard, pool):
            counts = batch_counts(ready)
            summary.counts.add(counts)
            for batch in ready:  # one by one: a worker's CPU is reported as a running total
                timings.add_all(batch_seconds([batch]))
            load_started = time.perf_counter()
            summary.counts.add(load_staged(config, ready, run_id=summary.run_id,
                                           derive_after=False))
            loading += time.perf_counter() - load_started
            if len(plans) > 1:
                say(f"[load] {counts.articles_extracted} article(s) of {len(ready)} finished "
                    "shard(s) loaded")
        timings.add("load", loading)
        timings.add("transform", time.perf_counter() - transform_started - loading)
        with timings.stage("derive"):
            summary.counts.add(derive_reporting(config, say))
    finally:
        remove_plans(plans)
    summary.ended_at = utcnow()
    summary.status = "completed"
    record_run(config, summary.row())
    timings.close()
    return summary

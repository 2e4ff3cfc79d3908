"""Polling: a shard's feeds polled, their new items' pages fetched into the raw
archive, and what was acquired staged as one "poll" batch for the loader.

Never opens the warehouse, so any number of shards poll in parallel. A poll
shard with a window (a backfill run under Airflow) walks each feed's archive
instead (`sources.ArchivedFeed`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Protocol

from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.failpoints import failpoint
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.feeds import FeedItem
from claimwire.ingest.fetch import commit_records, fetch_new_pages, is_known
from claimwire.ingest.http import HttpClient
from claimwire.ingest.poll import PollOutcome, item_row, poll_feed
from claimwire.pipeline import retries
from claimwire.pipeline.planning import read_plan_retries, read_poll_plan
from claimwire.records import DocumentRow, FeedState, FetchRow, ItemRow, PageRetry
from claimwire.warehouse import schema
from claimwire.warehouse.staging import BatchWriter, rows_to_arrow, utcnow
from claimwire.window import Window

# What became of one feed: (feed URL, one-line result), for progress lines.
FeedReport = Callable[[str, str], None]



class FetchListener(Protocol):
    """Told what a poll fetches while it fetches (`overlap.EarlyTransform`)."""

    def expect(self, pages: int) -> None:
        """Before the page fetches: how many new pages there are to fetch."""

    def document(self, doc: DocumentRow) -> None:
        """A page now in the raw archive (called while the others are fetched)."""

    def fetched(self, waits: dict[str, float]) -> None:
        """After the shard's fetches: seconds its requests waited (`HttpClient.waits`)."""


_RESULT_COUNTS = {
    "not_modified": "feeds_not_modified", "unchanged": "feeds_unchanged", "empty": "feeds_empty",
    "failed": "feeds_failed", "disabled": "feeds_disabled", "backing_off": "feeds_backing_off",
}


@dataclass
class Acquired:
    """What a poll (or a backfill source) acquired, to be staged as one poll batch."""

    run_id: str
    feeds: list[FeedState] = field(default_factory=list)
    # (listed in, item): items of feeds or sitemaps whose pages are to be fetched
    items: list[tuple[str, FeedItem]] = field(default_factory=list)
    fetches: list[FetchRow] = field(default_factory=list)
    # pages already in hand (a WARC file), archived as they were read
    documents: list[DocumentRow] = field(default_factory=list)
    counts: RunCounts = field(default_factory=RunCounts)
    # Seconds a source may spend parsing one feed document (`[polling] parse_timeout`).
    parse_timeout: float | None = None
    # Pages whose fetch failed in earlier runs (`pipeline.retries`), from the plan.
    retries: list[PageRetry] = field(default_factory=list)
    # Lines from a unit still at work (a CC-NEWS file takes minutes); `acquire` sets it.
    say: Callable[[str], None] = field(default=lambda line: None, repr=False)


def stage_acquired(
    config: Config,
    client: HttpClient,
    archive: RawArchive,
    acquired: Acquired,
    *,
    deadline: float | None = None,
    listener: FetchListener | None = None,
) -> str:
    """Fetch the pages of the items not seen before (none started after
    `deadline`), stage everything as a poll batch, then mark the fetched items
    known; return the batch directory. `listener` hears of each page fetched."""
    seen_now = utcnow()
    items: list[ItemRow] = [item_row(source, item, seen_now) for source, item in acquired.items]
    new = [(source, item) for source, item in acquired.items
           if not is_known(archive, source, item)]
    new, retried, settled = retries.with_retries(archive, acquired.retries, new, seen_now)
    if listener is not None:
        listener.expect(len(new))
    fetched = fetch_new_pages(client, archive, new, run_id=acquired.run_id, deadline=deadline,
                              on_document=listener.document if listener else None)
    counts = acquired.counts
    counts.pages_retried += retried
    counts.items_seen += len(acquired.items)
    counts.items_new += len({item.canonical_url for _, item in new}) + len(acquired.documents)
    counts.pages_fetched += len(fetched.documents) + len(acquired.documents)
    counts.pages_failed += fetched.failed
    counts.pages_deferred += fetched.deferred
    if fetched.deferred_feeds:
        # Unconditional next time: a 304 or an unchanged body would hide the
        # items left unfetched until the feed changes.
        acquired.feeds = [replace(f, etag=None, last_modified=None, body_sha256=None)
                          if f.feed_url in fetched.deferred_feeds else f
                          for f in acquired.feeds]
    writer = BatchWriter(config.staging_location, "poll", acquired.run_id)
    writer.add("feeds", rows_to_arrow(schema.feeds, acquired.feeds))
    writer.add("feed_items", rows_to_arrow(schema.feed_items, items))
    writer.add("fetches", rows_to_arrow(schema.fetches, acquired.fetches + fetched.fetches))
    writer.add("documents",
               rows_to_arrow(schema.documents, acquired.documents + fetched.documents))
    writer.add("page_retries", rows_to_arrow(schema.page_retries, retries.outcome_rows(
        acquired.retries, fetched, settled, seen_now, config.polling,
        {f.feed_url for f in acquired.feeds})))
    writer.info = counts.to_dict()
    writer.records = [key for key, _ in fetched.records]
    writer.feed_urls = sorted({f.feed_url for f in acquired.feeds})
    batch = writer.write()
    failpoint("poll_staged")
    # Only now that the batch is safe on disk may the items count as known.
    commit_records(archive, fetched.records)
    failpoint("records_committed")
    return batch


def poll_shard(
    config: Config,
    plan_path: str,
    *,
    run_id: str,
    window: Window | None = None,
    on_feed: FeedReport | None = None,
    deadline: float | None = None,
    listener: FetchListener | None = None,
) -> str:
    """Poll the shard's feeds, fetch new items into the raw archive; return a staged batch dir.

    Nothing network-bound starts after `deadline` (`time.monotonic()`; by
    default `[polling] fetch_budget` seconds from now): feeds not polled keep
    their state, pages not fetched stay new, both for the next run.

    With a window (a backfill, or an Airflow run for a past interval) each
    feed's RFC 5005 archive chain is walked back into the window instead, and
    only items published in the window are acquired.

    `listener` (a polling run's, not a window's) hears of the page fetches as
    they happen, so their transform can start before the shard is staged.
    """
    feeds = read_poll_plan(plan_path)
    if window is not None:
        from claimwire.pipeline.sources import ArchivedFeed, acquire

        sources = [ArchivedFeed(f.feed_url) for f in feeds if not f.disabled]
        return acquire(config, sources, window, run_id=run_id,
                       report=(lambda unit, line: on_feed(unit, line)) if on_feed else None)
    if deadline is None:
        deadline = time.monotonic() + config.polling.fetch_budget
    archive = RawArchive(config.raw_archive_location)
    acquired = Acquired(run_id, retries=read_plan_retries(plan_path))
    with HttpClient(config.http) as client:
        def poll_one(feed: FeedState) -> PollOutcome:
            if time.monotonic() >= deadline:
                return PollOutcome(feed.feed_url, "deferred", feed, None)
            return poll_feed(client, feed, run_id=run_id,
                             max_items=config.polling.max_items_per_feed,
                             max_failures=config.polling.max_failures,
                             backoff_hours=config.polling.failure_backoff_hours,
                             parse_timeout=config.polling.parse_timeout)

        workers = max(1, min(len(feeds), config.http.max_connections))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(poll_one, feeds))
        for outcome in outcomes:
            _take(acquired, outcome)
            if on_feed:
                on_feed(outcome.feed_url, outcome.result if not outcome.error
                        else f"{outcome.result} ({outcome.error})")
        try:
            return stage_acquired(config, client, archive, acquired, deadline=deadline,
                                  listener=listener)
        finally:
            if listener is not None:
                listener.fetched(client.waits())


def _take(acquired: Acquired, outcome: PollOutcome) -> None:
    if outcome.result == "deferred":
        acquired.counts.feeds_deferred += 1  # its stored state stays as it was
        return
    acquired.feeds.append(outcome.state)
    if outcome.moved_from:
        acquired.feeds.append(outcome.moved_from)
    if outcome.fetch:
        acquired.fetches.append(outcome.fetch)
    counts = acquired.counts
    if outcome.result not in ("disabled", "backing_off"):
        counts.feeds_polled += 1
    if outcome.result in _RESULT_COUNTS:
        setattr(counts, _RESULT_COUNTS[outcome.result],
                getattr(counts, _RESULT_COUNTS[outcome.result]) + 1)
    acquired.items += [(outcome.feed_url, item) for item in outcome.items]
    outcome.state.items_seen = int(outcome.state.items_seen or 0) + len(outcome.items)

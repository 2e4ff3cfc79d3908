"""Item pages whose fetch failed, fetched again by later polls of their feed.

An item whose page failed is not recorded as known, so a feed that lists it
again gets it fetched again; but a feed answering 304 (or an unchanged body)
lists nothing. The failed pages are therefore kept in `page_retries`: the
planner puts a shard's pending retries in its plan file, the poll shard
fetches those that are due (even when their feed is unchanged), and stages
each outcome: a new attempt count and time for the next try (backing off:
`[polling] failure_backoff_hours`, doubled per attempt, at most a week; after
`[polling] max_failures` attempts the page is given up), or "settled".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from claimwire.config import FeedPollSettings
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.feeds import FeedItem
from claimwire.ingest.fetch import FetchBatch, is_known
from claimwire.records import PageRetry

MAX_WAIT_HOURS = 24 * 7


def as_item(retry: PageRetry) -> FeedItem:
    return FeedItem(guid=retry.guid or retry.canonical_url, link=retry.link or retry.canonical_url,
                    canonical_url=retry.canonical_url, title=retry.title,
                    published_at=retry.published_at, summary=retry.summary, author=retry.author)


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def split_due(
    retries: Iterable[PageRetry], now: datetime
) -> tuple[list[PageRetry], set[str]]:
    """(retries due now, canonical URLs of those still waiting out their back-off)."""
    due, waiting = [], set()
    for retry in retries:
        if retry.next_attempt_at is None:
            continue  # given up
        if _naive(retry.next_attempt_at) <= _naive(now):
            due.append(retry)
        else:
            waiting.add(retry.canonical_url)
    return due, waiting


def next_attempt(attempts: int, now: datetime, settings: FeedPollSettings) -> datetime | None:
    """When a page that failed `attempts` times is tried again; None: given up."""
    if attempts >= settings.max_failures:
        return None
    hours = min(settings.failure_backoff_hours * 2 ** (attempts - 1), MAX_WAIT_HOURS)
    return _naive(now) + timedelta(hours=hours)


def outcome_rows(
    retries: list[PageRetry],
    fetched: FetchBatch,
    settled: Iterable[str],
    now: datetime,
    settings: FeedPollSettings,
    polled: set[str],
) -> list[PageRetry]:
    """The `page_retries` rows a poll stages: each failed page of the `polled`
    feeds with one more attempt, and (attempts 0) each retried page now fetched
    or known. (A backfill polls no feed: its sources are simply read again.)"""
    before = {r.canonical_url: r for r in retries}
    rows = []
    for feed_url, item, error in fetched.failures:
        if feed_url not in polled:
            continue
        attempts = (before[item.canonical_url].attempts if item.canonical_url in before else 0) + 1
        rows.append(PageRetry(
            canonical_url=item.canonical_url, feed_url=feed_url, guid=item.guid, link=item.link,
            title=item.title, published_at=item.published_at, summary=item.summary,
            author=item.author, attempts=attempts, last_error=error, last_attempt_at=_naive(now),
            next_attempt_at=next_attempt(attempts, now, settings)))
    failed = {item.canonical_url for _, item, _ in fetched.failures}
    done = {d.canonical_url for d in fetched.documents} | set(settled)
    rows += [PageRetry(canonical_url=url, feed_url=before[url].feed_url)
             for url in sorted(done & set(before) - failed)]
    return rows


def with_retries(
    archive: RawArchive,
    retries: list[PageRetry],
    new: list[tuple[str, FeedItem]],
    now: datetime,
) -> tuple[list[tuple[str, FeedItem]], int, list[str]]:
    """The pages a poll fetches: its new items (less those whose page is waiting
    out a back-off) and the retries due; how many of those are retries; and the
    retried pages that are known by now (fetched through another feed)."""
    due, waiting = split_due(retries, now)
    wanted = [(feed, item) for feed, item in new if item.canonical_url not in waiting]
    listed = {item.canonical_url for _, item in wanted}
    settled, extra = [], []
    for retry in due:
        item = as_item(retry)
        if is_known(archive, retry.feed_url, item):
            settled.append(retry.canonical_url)
        elif retry.canonical_url not in listed:
            extra.append((retry.feed_url, item))
    return wanted + extra, len(extra), settled

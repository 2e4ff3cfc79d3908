"""Polling one feed: conditional GET, change detection, items, feed state.

A poll returns data (the new feed state, the fetch row, the items); it never
touches the warehouse, so any number of polls can run in parallel tasks.
Backfills do not poll: they walk a feed's archive (`ingest.archived_feeds`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from claimwire.ingest.feeds import (
    FeedItem,
    FeedParseError,
    ParsedFeed,
    parse_feed,
    parse_feed_bounded,
)
from claimwire.ingest.http import FetchResult, HttpClient
from claimwire.ingest.urls import url_key
from claimwire.records import FeedState, FetchRow, ItemRow

MAX_BACKOFF_HOURS = 24 * 7
BACKOFF_AFTER = 3


@dataclass
class PollOutcome:
    feed_url: str
    result: str  # new_items, unchanged, not_modified, failed, disabled, backing_off
    state: FeedState
    fetch: FetchRow | None
    items: list[FeedItem] = field(default_factory=list)
    error: str | None = None
    # The state of the feed's old URL when it moved permanently this poll.
    moved_from: FeedState | None = None


def fetch_row(result: FetchResult, *, kind: str, run_id: str, attempt_key: str) -> FetchRow:
    return FetchRow(
        fetch_id=hashlib.sha256(f"{run_id}|{kind}|{attempt_key}".encode()).hexdigest()[:32],
        run_id=run_id,
        kind=kind,
        url=result.url,
        final_url=result.final_url,
        status=result.status,
        content_type=result.content_type,
        bytes=len(result.body) if result.body is not None else None,
        sha256=hashlib.sha256(result.body).hexdigest() if result.body is not None else None,
        fetched_at=result.fetched_at,
        elapsed_s=result.elapsed,
        error=result.error,
    )


def item_id(feed_url: str, guid: str) -> str:
    return url_key(f"{feed_url}\n{guid}")


def item_row(source: str, item: FeedItem, seen_at: datetime) -> ItemRow:
    """A `feed_items` row: `source` is the feed (or sitemap) the item was listed in."""
    return ItemRow(
        item_id=item_id(source, item.guid), feed_url=source, guid=item.guid, link=item.link,
        canonical_url=item.canonical_url, title=item.title, published_at=item.published_at,
        summary=item.summary, author=item.author, first_seen_at=seen_at,
    )


def poll_feed(
    client: HttpClient,
    feed: FeedState,
    *,
    run_id: str,
    max_items: int = 500,
    max_failures: int = 10,
    backoff_hours: float = 1.0,
    parse_timeout: float | None = None,
) -> PollOutcome:
    """Poll one feed described by its stored state. With `parse_timeout`, the
    document is parsed in a helper process given that many seconds."""
    url = feed.feed_url
    state = replace(feed)
    if feed.disabled:
        return PollOutcome(url, "disabled", state, None)
    if _backing_off(feed, backoff_hours, now=datetime.now(UTC)):
        return PollOutcome(url, "backing_off", state, None)
    result = client.get(url, accept="feed", conditional=(feed.etag, feed.last_modified))
    if result.error and result.error.startswith("bad_content_type"):
        from claimwire.ingest.discover import feed_hint

        result.error = feed_hint(client, url, result.error)  # a homepage: name its feeds
    fetch = fetch_row(result, kind="feed", run_id=run_id, attempt_key=url)
    state.last_polled_at = result.fetched_at
    state.last_status = result.status
    if result.error is None and not result.not_modified:
        state.etag = result.headers.get("etag") or state.etag
        state.last_modified = result.headers.get("last-modified") or state.last_modified

    moved_from = None
    if result.ok and result.permanent_url and result.permanent_url != url:
        moved_from = replace(state, moved_to=result.permanent_url, disabled=True,
                             disabled_reason=f"moved permanently to {result.permanent_url}")
        state = replace(state, feed_url=result.permanent_url, moved_to=None)
        url = result.permanent_url
    outcome = _poll_result(state, fetch, result, feed, url, max_items, max_failures,
                           parse_timeout)
    outcome.moved_from = moved_from
    return outcome


def _poll_result(
    state: FeedState,
    fetch: FetchRow,
    result: FetchResult,
    feed: FeedState,
    url: str,
    max_items: int,
    max_failures: int,
    parse_timeout: float | None = None,
) -> PollOutcome:
    if result.not_modified:
        return _ok(state, fetch, "not_modified")
    if not result.ok or result.body is None:
        return _failed(state, fetch, result.error or f"http_status: {result.status}", max_failures,
                       gone=result.status == 410)

    body_sha = hashlib.sha256(result.body).hexdigest()
    if body_sha == feed.body_sha256:
        return _ok(state, fetch, "unchanged")
    try:
        parsed = read_feed(result, url, max_items=max_items, parse_timeout=parse_timeout)
    except FeedParseError as exc:
        return _failed(state, fetch, f"feed_parse: {exc}", max_failures)
    state.body_sha256 = body_sha
    state.title = parsed.title or state.title
    state.kind = parsed.kind
    # A changed document without items (a feed never seen before, or emptied) is
    # "empty": "unchanged" is for a document seen before.
    outcome = _ok(state, fetch, "new_items" if parsed.items else "empty")
    outcome.items = parsed.items
    # A malformed feed that still yielded items is recorded, not fatal.
    if parsed.problem:
        outcome.error = parsed.problem
        state.last_error = parsed.problem
    return outcome


def read_feed(
    result: FetchResult, url: str, *, max_items: int = 500, parse_timeout: float | None = None
) -> ParsedFeed:
    """The fetched feed document parsed, in a helper process when given a time budget."""
    assert result.body is not None
    base = result.final_url or url
    if parse_timeout is None:
        return parse_feed(result.body, base, content_type=result.content_type,
                          max_items=max_items)
    return parse_feed_bounded(result.body, base, content_type=result.content_type,
                              max_items=max_items, timeout=parse_timeout)


def next_due(feed: FeedState, backoff_hours: float) -> datetime | None:
    """When a failing feed may be polled again (UTC), or None: at the next run."""
    failures = int(feed.consecutive_failures or 0)
    last = feed.last_polled_at
    # One or two failures are retried at the next run: most are passing
    # outages or a setting the user has just fixed.
    if failures < BACKOFF_AFTER or not isinstance(last, datetime) or backoff_hours <= 0:
        return None
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    wait = min(backoff_hours * 2 ** (failures - BACKOFF_AFTER), MAX_BACKOFF_HOURS)
    return last + timedelta(hours=wait)


def _backing_off(feed: FeedState, backoff_hours: float, *, now: datetime) -> bool:
    due = next_due(feed, backoff_hours)
    return due is not None and now < due


def _ok(state: FeedState, fetch: FetchRow, result: str) -> PollOutcome:
    state.consecutive_failures = 0
    state.last_result = result
    state.last_error = None
    return PollOutcome(state.feed_url, result, state, fetch)


def _failed(
    state: FeedState,
    fetch: FetchRow,
    error: str,
    max_failures: int,
    *,
    gone: bool = False,
) -> PollOutcome:
    failures = int(state.consecutive_failures or 0) + 1
    state.consecutive_failures = failures
    state.last_result = "failed"
    state.last_error = error
    if gone:
        state.disabled = True
        state.disabled_reason = "410 Gone"
    elif failures >= max_failures:
        state.disabled = True
        state.disabled_reason = f"{failures} consecutive failures; last: {error}"
    return PollOutcome(state.feed_url, "failed", state, fetch, error=error)

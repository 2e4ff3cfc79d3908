"""Fetching new items' pages into the raw archive.

An item is new when neither its canonical URL nor its (feed, GUID) pair has
a record in the archive. Records are written only after the batch that lists
the documents is safely staged (see `commit_records`), so a crash in between
costs a re-fetch, never a lost document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from claimwire.ingest.archive import RawArchive
from claimwire.ingest.feeds import FeedItem
from claimwire.ingest.http import DEFERRED, HttpClient
from claimwire.ingest.poll import fetch_row, item_id
from claimwire.ingest.urls import url_key
from claimwire.records import DocumentRow, FetchRow


@dataclass
class FetchBatch:
    fetches: list[FetchRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    # (key, record) to mark in the archive once the batch is staged
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: int = 0
    # (feed_url, item, error) of each page whose fetch failed
    failures: list[tuple[str, FeedItem, str]] = field(default_factory=list)
    # pages not fetched because the run's fetch budget was spent, by the feed listing them
    deferred: int = 0
    deferred_feeds: set[str] = field(default_factory=set)


def url_record_key(canonical_url: str) -> str:
    return "url:" + url_key(canonical_url)


def guid_record_key(feed_url: str, guid: str) -> str:
    return "guid:" + item_id(feed_url, guid)


def is_known(archive: RawArchive, feed_url: str, item: FeedItem) -> bool:
    return (
        archive.url_record(url_key(url_record_key(item.canonical_url))) is not None
        or archive.url_record(url_key(guid_record_key(feed_url, item.guid))) is not None
    )


def fetch_new_pages(
    client: HttpClient,
    archive: RawArchive,
    items: Iterable[tuple[str, FeedItem]],
    *,
    run_id: str,
    deadline: float | None = None,
) -> FetchBatch:
    """Fetch each (feed_url, item) page once; return fetch rows and pending documents.

    No fetch starts after `deadline` (`time.monotonic()`); the items left stay
    unknown, so a later run fetches them."""
    batch = FetchBatch()
    by_url: dict[str, tuple[str, FeedItem]] = {}
    for feed_url, item in items:
        # The same article reached through two feeds (or two tracking links)
        # is fetched once.
        by_url.setdefault(item.canonical_url, (feed_url, item))
    link_of = {item.link or url: url for url, (_, item) in by_url.items()}
    for result in client.get_many(list(link_of), accept="page", deadline=deadline):
        canonical = link_of.get(result.url, result.url)
        feed_url, item = by_url[canonical]
        if result.error == DEFERRED:
            batch.deferred += 1
            batch.deferred_feeds.add(feed_url)
            continue
        batch.fetches.append(fetch_row(result, kind="page", run_id=run_id, attempt_key=canonical))
        if not result.ok or result.body is None:
            batch.failed += 1
            batch.failures.append((feed_url, item, result.error or f"http_status: {result.status}"))
            continue
        digest = archive.put(result.body)
        batch.documents.append(
            DocumentRow(
                doc_id=url_key(canonical),
                url=item.link or canonical,
                canonical_url=canonical,
                final_url=result.final_url,
                feed_url=feed_url,
                guid=item.guid,
                raw_sha256=digest,
                content_type=result.content_type,
                charset=result.charset,
                published_at=item.published_at,
                item_title=item.title,
                fetched_at=result.fetched_at,
            )
        )
        record = {"url": canonical, "sha256": digest, "fetched_at": str(result.fetched_at)}
        batch.records.append((url_key(url_record_key(canonical)), record))
        batch.records.append((url_key(guid_record_key(feed_url, item.guid)), record))
    return batch


def commit_records(archive: RawArchive, records: Iterable[tuple[str, dict[str, Any]]]) -> None:
    for key, record in records:
        archive.record_url(key, record)

"""The rows that travel between stages, as small dataclasses.

Each mirrors a warehouse table (or the part of one a stage hands on), so it
can be staged with `warehouse.staging.rows_to_arrow` and written to a plan
file as JSON (`to_json` / `from_json`, timestamps as ISO text).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Self


class _Row:
    """JSON round trip for the dataclasses below."""

    def to_json(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in asdict(self).items()}  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        values = {}
        for f in fields(cls):  # type: ignore[arg-type]
            value = data.get(f.name)
            if isinstance(value, str) and "datetime" in str(f.type):
                value = datetime.fromisoformat(value)
            if f.name in data:
                values[f.name] = value
        return cls(**values)


@dataclass
class FeedState(_Row):
    """A feed and what its polls so far learnt (a `feeds` row)."""

    feed_url: str
    name: str | None = None
    tags: str | None = None
    title: str | None = None
    kind: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    last_polled_at: datetime | None = None
    last_status: int | None = None
    last_result: str | None = None
    last_error: str | None = None
    items_seen: int | None = None
    consecutive_failures: int = 0
    disabled: bool = False
    disabled_reason: str | None = None
    moved_to: str | None = None
    added_at: datetime | None = None
    listed: bool | None = None  # in the warehouse's feed list (see warehouse.schema.feeds)


@dataclass
class ItemRow(_Row):
    """An item listed in a feed or sitemap (a `feed_items` row)."""

    item_id: str
    feed_url: str
    guid: str
    link: str | None
    canonical_url: str | None
    title: str | None
    published_at: datetime | None
    summary: str | None
    author: str | None
    first_seen_at: datetime | None


@dataclass
class FetchRow(_Row):
    """One HTTP fetch, successful or not (a `fetches` row)."""

    fetch_id: str
    run_id: str
    kind: str
    url: str
    final_url: str | None
    status: int | None
    content_type: str | None
    bytes: int | None
    sha256: str | None
    fetched_at: datetime | None
    elapsed_s: float | None
    error: str | None


@dataclass
class PendingDocument(_Row):
    """What a transform shard needs of one stored document (a plan file's row)."""

    doc_id: str
    url: str
    canonical_url: str
    final_url: str | None
    feed_url: str | None
    guid: str | None
    raw_sha256: str
    charset: str | None
    published_at: datetime | None
    fetched_at: datetime | None
    item_title: str | None = None


@dataclass
class DocumentRow(PendingDocument):
    """A raw document acquired into the archive, pending its transform (a `documents` row)."""

    content_type: str | None = None
    status: str = "pending"


@dataclass
class PageRetry(_Row):
    """An item page whose fetch failed, to be fetched again (a `page_retries` row).

    `attempts` 0 in a staged batch means "settled": the loader removes the row."""

    canonical_url: str
    feed_url: str
    guid: str | None = None
    link: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    author: str | None = None
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None

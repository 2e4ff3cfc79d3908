"""What a run did, counted: one typed record that every stage adds to.

Stages return a `RunCounts`; staged batches carry theirs in the manifest as
a plain dict (`to_dict`), read back with `from_dict`, which ignores names it
does not know, so batches staged by another version still load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass
class RunCounts:
    # polling and backfill sources
    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feeds_unchanged: int = 0
    feeds_empty: int = 0  # a changed (or first) document without items
    feeds_failed: int = 0
    feeds_disabled: int = 0
    feeds_backing_off: int = 0
    feeds_deferred: int = 0  # not polled: the run's fetch budget was spent
    items_seen: int = 0
    items_new: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_deferred: int = 0  # not fetched: the run's fetch budget was spent
    pages_retried: int = 0  # pages whose fetch failed before, tried again
    sitemap_documents: int = 0
    warc_records: int = 0
    warc_damaged: int = 0
    warc_failed: int = 0  # WARC files a server would not give (CC-NEWS)
    # transform
    documents_transformed: int = 0
    articles_extracted: int = 0
    extraction_failed: int = 0
    claims_found: int = 0
    claims_skipped: int = 0  # articles too long or too slow for the claim stage
    # load
    batches: int = 0
    batches_incomplete: int = 0
    batches_quarantined: int = 0  # staged batches that could not be loaded, moved aside
    feeds_added: int = 0
    feed_items_new: int = 0
    fetches: int = 0
    documents_new: int = 0
    documents_failed: int = 0
    exact_duplicates: int = 0
    articles_loaded: int = 0
    articles_replaced: int = 0
    claims_loaded: int = 0
    # derive
    articles_derived: int = 0
    near_duplicates: int = 0
    stories_new: int = 0
    claims_clustered: int = 0
    speakers_changed: int = 0
    search_index_skipped: int = 0
    derive_failed: int = 0

    def add(self, other: RunCounts | Mapping[str, Any]) -> RunCounts:
        """Add `other`'s counts to these (in place); returns self."""
        values = other.to_dict() if isinstance(other, RunCounts) else RunCounts.from_dict(other)
        if isinstance(values, RunCounts):
            values = values.to_dict()
        for name, value in values.items():
            setattr(self, name, getattr(self, name) + value)
        return self

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(**self.to_dict()).add(other)

    def get(self, name: str) -> int:
        return int(getattr(self, name, 0))

    def to_dict(self) -> dict[str, int]:
        """The non-zero counts by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> RunCounts:
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in (values or {}).items()
                      if k in known and isinstance(v, int | float)})

    @property
    def duplicates(self) -> int:
        return self.exact_duplicates + self.near_duplicates

    @property
    def errors(self) -> int:
        return (self.feeds_failed + self.pages_failed + self.documents_failed
                + self.warc_failed + self.batches_quarantined)

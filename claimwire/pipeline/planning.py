"""Planning: a run's work cut into shards, each written to a plan file.

A plan file holds one shard's rows (feed states to poll, documents to
transform) as JSON, so an Airflow task anywhere can pick it up by path, or
by URL when the staging area is on an object store (`[storage] url`).
Planners only read the warehouse.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from claimwire import storage
from claimwire.config import Config
from claimwire.records import FeedState, PageRetry, PendingDocument
from claimwire.warehouse import queries
from claimwire.warehouse.backends import NoLakeYet
from claimwire.warehouse.db import reading
from claimwire.warehouse.staging import utcnow, write_json_atomic
from claimwire.window import Window

MAX_SHARDS = 1000  # below Airflow's max_map_length (1024)
TRANSFORM_SHARD_SIZE = 200
# Below this many documents one process transforms them all: starting worker
# processes (each loads the spaCy model) costs more than they take.
MIN_PARALLEL_DOCUMENTS = 40

T = TypeVar("T")


def shard(items: list[T], size: int) -> list[list[T]]:
    """`items` in runs of `size`, or larger runs when there would be over MAX_SHARDS."""
    size = max(1, size)
    if math.ceil(len(items) / size) > MAX_SHARDS:
        size = math.ceil(len(items) / MAX_SHARDS)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _write_plans(config: Config, kind: str, key: str, shards: list[list[Any]]) -> list[str]:
    tag = uuid.uuid4().hex[:10]
    paths = []
    for index, rows in enumerate(shards):
        path = storage.join(config.staging_location, "plans", f"{kind}-{tag}-{index:04d}.json")
        write_json_atomic(path, {key: [row.to_json() for row in rows]})
        paths.append(str(path))
    return paths


def _read_plan(plan_path: str, key: str) -> list[dict[str, Any]]:
    return json.loads(storage.read_bytes(plan_path))[key]


def remove_plans(plan_paths: Iterable[str]) -> None:
    for path in plan_paths:
        storage.delete(path)


def _stored(config: Config, query: Callable[[duckdb.DuckDBPyConnection], list[T]]) -> list[T]:
    """`query` on the warehouse, or nothing when there is no warehouse (or table) yet."""
    if config.backend == "duckdb" and not config.warehouse_path.exists():
        return []
    # A planner is part of a run, which waits as long as a run's writes do.
    try:
        with reading(config.warehouse, wait_seconds=config.lock_timeout) as con:
            try:
                return query(con)
            except (duckdb.CatalogException, duckdb.BinderException):  # not yet migrated
                return []
    except NoLakeYet:  # a DuckLake no loader has created yet
        return []


# ---------------------------------------------------------------- polling


def stored_feed_states(config: Config) -> list[FeedState]:
    """Every feed stored in the warehouse, listed or not (none without a warehouse)."""
    return _stored(config, queries.stored_feeds)


def feed_states(config: Config, feed_urls: list[str] | None = None) -> list[FeedState]:
    """The feeds to poll with their stored state: the config's and those listed in
    the warehouse (added or imported), or exactly `feed_urls` (which does not list
    them: a feed polled once is not polled again unless listed)."""
    stored = {f.feed_url: f for f in _stored(config, queries.stored_feeds)}
    configured = {f.url: f for f in config.feeds}
    listed = [url for url, f in stored.items() if f.listed]
    wanted = list(dict.fromkeys(feed_urls)) if feed_urls else [*configured, *listed]
    states = []
    for url in dict.fromkeys(_follow_moves(u, stored) for u in wanted):
        state = stored.get(url) or FeedState(feed_url=url, added_at=utcnow())
        if url in configured:
            state.name = configured[url].name or state.name
            state.tags = ",".join(configured[url].tags) or state.tags
        states.append(state)
    return states


def _follow_moves(url: str, stored: dict[str, FeedState]) -> str:
    """The URL a feed now lives at, after permanent redirects seen earlier."""
    for _ in range(10):
        state = stored.get(url)
        if state is None or not state.moved_to or state.moved_to == url:
            break
        url = state.moved_to
    return url


def plan_poll(
    config: Config,
    *,
    feed_urls: list[str] | None = None,
    shard_size: int | None = None,
    states: list[FeedState] | None = None,
) -> list[str]:
    """One plan file per shard of feeds (the given `states`, else `feed_states`); their paths."""
    if states is None:
        states = feed_states(config, feed_urls)
    paths = _write_plans(
        config, "poll", "feeds", shard(states, shard_size or config.airflow.feeds_per_shard))
    _add_retries(config, paths)
    return paths


def _add_retries(config: Config, plan_paths: list[str]) -> None:
    """Each plan gets the pending page retries of its feeds (`pipeline.retries`)."""
    if not plan_paths:
        return
    pending = _stored(config, queries.page_retries)
    if not pending:
        return
    by_feed: dict[str, list[dict[str, Any]]] = {}
    for row in pending:
        by_feed.setdefault(row["feed_url"], []).append(PageRetry(**row).to_json())
    for path in plan_paths:
        plan = json.loads(storage.read_bytes(path))
        mine = [r for f in plan["feeds"] for r in by_feed.get(f["feed_url"], [])]
        if mine:
            write_json_atomic(path if storage.is_url(path) else Path(path),
                              {**plan, "retries": mine})


def read_poll_plan(plan_path: str) -> list[FeedState]:
    return [FeedState.from_json(row) for row in _read_plan(plan_path, "feeds")]


def read_plan_retries(plan_path: str) -> list[PageRetry]:
    """The page retries a poll plan carries (none in plans of older versions)."""
    rows = json.loads(storage.read_bytes(plan_path)).get("retries") or []
    return [PageRetry.from_json(row) for row in rows]


# ---------------------------------------------------------------- transform


def transform_shard_size(total: int, workers: int) -> int:
    """Documents per transform shard: one share per worker, at most TRANSFORM_SHARD_SIZE."""
    if total < MIN_PARALLEL_DOCUMENTS:
        return MIN_PARALLEL_DOCUMENTS
    return max(1, min(TRANSFORM_SHARD_SIZE, math.ceil(total / workers)))


def plan_transform(
    config: Config, *, window: Window | None = None, shard_size: int | None = None
) -> list[str]:
    """Pending raw documents (or all documents published in the window) as shard plans."""
    naive = window.naive() if window is not None else None
    rows = _stored(config, lambda con: queries.pending_documents(con, naive))
    size = shard_size or transform_shard_size(len(rows), config.worker_count)
    return _write_plans(config, "transform", "documents", shard(rows, size))


def pending_rows(config: Config) -> list[PendingDocument]:
    """The documents waiting for their transform, as `plan_transform` would list them."""
    return _stored(config, lambda con: queries.pending_documents(con, None))


def read_transform_plan(plan_path: str) -> list[PendingDocument]:
    return [PendingDocument.from_json(row) for row in _read_plan(plan_path, "documents")]


def plan_rows(plan_paths: Iterable[str]) -> int:
    """How many rows (feeds or documents) the plans hold together."""
    return sum(len(next(iter(json.loads(storage.read_bytes(p)).values()))) for p in plan_paths)

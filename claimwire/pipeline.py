"""The one place that composes the stages.

Every stage function takes the Config and plain, serialisable arguments
(str paths, dicts), so the CLI (`run_ingest`) and the Airflow tasks call the
same code. Only `load_staged` opens the warehouse for writing; planning
functions open it read-only; shard functions never open it. Shards hand
their output to the loader as staged batch directories (warehouse.staging).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from claimwire.config import Config
from claimwire.failpoints import failpoint
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.fetch import commit_records, fetch_new_pages, is_known
from claimwire.ingest.http import HttpClient
from claimwire.ingest.poll import fetch_row, item_id, poll_feed
from claimwire.ingest.urls import url_key
from claimwire.warehouse import derive, schema
from claimwire.warehouse.db import connect, open_warehouse
from claimwire.warehouse.load import load_batches
from claimwire.warehouse.staging import (
    BatchWriter,
    complete_batches,
    read_manifest,
    remove_batch,
    rows_to_arrow,
    utcnow,
    write_json_atomic,
)
from claimwire.window import Window

MAX_SHARDS = 1000  # below Airflow's max_map_length (1024)
TRANSFORM_SHARD_SIZE = 200
MIN_PARALLEL_DOCUMENTS = 40
WARM_POOL_MIN_FEEDS = 10
SHARDS_PER_WORKER_LIFE = 6
# Staged articles per load transaction. A group's Arrow tables take about
# 10 KB an article in the loader (text, claims, mentions); DuckDB spills past
# its memory limit. Fewer, larger transactions are much cheaper: DuckDB
# writes a large transaction's rows straight to the file, while many small
# ones go through the WAL and are written again at the next checkpoint
# (measured on 10,000 articles: one transaction 2.1 s, five 4.2 s).
LOAD_GROUP_ARTICLES = 20_000


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _plans_dir(config: Config) -> Path:
    return config.staging_path / "plans"


def _write_plans(config: Config, kind: str, key: str, shards: list[list[Any]]) -> list[str]:
    tag = uuid.uuid4().hex[:10]
    paths = []
    for index, shard in enumerate(shards):
        path = _plans_dir(config) / f"{kind}-{tag}-{index:04d}.json"
        write_json_atomic(path, {key: shard})
        paths.append(str(path))
    return paths


def _shard(items: list[Any], size: int) -> list[list[Any]]:
    size = max(1, size)
    if math.ceil(len(items) / size) > MAX_SHARDS:
        size = math.ceil(len(items) / MAX_SHARDS)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _read_rows(config: Config, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    if not config.warehouse_path.exists():
        return []
    con = connect(config.warehouse_path, read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except Exception as exc:  # a warehouse without tables yet
        if "does not exist" in str(exc):
            return []
        raise
    finally:
        con.close()


# ---------------------------------------------------------------- polling


def feed_states(config: Config, feed_urls: list[str] | None = None) -> list[dict[str, Any]]:
    """The feeds to poll with their stored state: the config's, the imported
    ones in the warehouse, or exactly `feed_urls`."""
    stored = {row["feed_url"]: row for row in _read_rows(config, "SELECT * FROM feeds")}
    configured = {f.url: f for f in config.feeds}
    wanted = list(dict.fromkeys(feed_urls)) if feed_urls else [*configured, *stored]
    states = []
    for url in dict.fromkeys(_follow_moves(u, stored) for u in wanted):
        state = dict(stored.get(url) or {"feed_url": url, "added_at": utcnow()})
        if url in configured:
            state["name"] = configured[url].name or state.get("name")
            state["tags"] = ",".join(configured[url].tags) or state.get("tags")
        states.append(state)
    return states


def _follow_moves(url: str, stored: dict[str, dict[str, Any]]) -> str:
    """The URL a feed now lives at, after permanent redirects seen earlier."""
    for _ in range(10):
        moved = (stored.get(url) or {}).get("moved_to")
        if not moved or moved == url:
            break
        url = moved
    return url


def plan_poll(
    config: Config,
    *,
    feed_urls: list[str] | None = None,
    shard_size: int | None = None,
    states: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Read feeds and their poll state (unless given); write one plan file per
    shard; return their paths."""
    if states is None:
        states = feed_states(config, feed_urls)
    return _write_plans(
        config, "poll", "feeds", _shard(states, shard_size or config.airflow.feeds_per_shard)
    )


def _load_plan(plan_path: str) -> dict[str, Any]:
    return json.loads(Path(plan_path).read_text())


def _parse_times(row: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    for name in columns:
        if isinstance(row.get(name), str):
            row[name] = datetime.fromisoformat(row[name])
    return row


_FEED_TIMES = ("last_polled_at", "added_at")


def poll_shard(
    config: Config,
    plan_path: str,
    *,
    run_id: str,
    window: Window | None = None,
    on_feed: Callable[[str, str], None] | None = None,
) -> str:
    """Poll the shard's feeds, fetch new items into the raw archive; return a staged batch dir.

    With a window (a backfill, or an Airflow run for a past interval) each
    feed's RFC 5005 archive chain is walked back into the window instead, and
    only items published in the window are acquired.
    """
    feeds = [_parse_times(f, _FEED_TIMES) for f in _load_plan(plan_path)["feeds"]]
    if window is not None:
        return _walk_shard(config, feeds, run_id=run_id, window=window, on_feed=on_feed)
    archive = RawArchive(config.raw_archive_dir)
    states, items_rows, fetch_rows = [], [], []
    new_items = []
    info = {"feeds_polled": 0, "feeds_not_modified": 0, "feeds_unchanged": 0,
            "feeds_failed": 0, "feeds_disabled": 0, "feeds_backing_off": 0,
            "items_seen": 0, "items_new": 0}
    with HttpClient(config.http) as client:
        def poll_one(feed: dict[str, Any]) -> Any:
            return poll_feed(client, feed, run_id=run_id, window=window,
                             max_items=config.polling.max_items_per_feed,
                             max_failures=config.polling.max_failures,
                             backoff_hours=config.polling.failure_backoff_hours)

        workers = max(1, min(len(feeds), config.http.max_connections))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(poll_one, feeds))
        seen_now = utcnow()
        for outcome in outcomes:
            states.append(outcome.state)
            if outcome.moved_from:
                states.append(outcome.moved_from)
            if outcome.fetch:
                fetch_rows.append(outcome.fetch)
            key = {"not_modified": "feeds_not_modified", "unchanged": "feeds_unchanged",
                   "failed": "feeds_failed", "disabled": "feeds_disabled",
                   "backing_off": "feeds_backing_off"}.get(outcome.result)
            if outcome.result not in ("disabled", "backing_off"):
                info["feeds_polled"] += 1
            if key:
                info[key] += 1
            for item in outcome.items:
                info["items_seen"] += 1
                items_rows.append(_item_row(outcome.feed_url, item, seen_now))
                if not is_known(archive, outcome.feed_url, item):
                    new_items.append((outcome.feed_url, item))
            state_count = len(outcome.items)
            outcome.state["items_seen"] = int(outcome.state.get("items_seen") or 0) + state_count
            if on_feed:
                on_feed(outcome.feed_url, outcome.result if not outcome.error
                        else f"{outcome.result} ({outcome.error})")
        info["items_new"] = len({item.canonical_url for _, item in new_items})
        fetched = fetch_new_pages(client, archive, new_items, run_id=run_id)
    info["pages_fetched"] = len(fetched.documents)
    info["pages_failed"] = fetched.failed
    for state in states:
        state.setdefault("consecutive_failures", 0)
        state.setdefault("disabled", False)
    return _write_poll_batch(config, run_id, archive, feeds=states, items=items_rows,
                             fetches=fetch_rows, fetched=fetched, info=info)


def _write_poll_batch(
    config: Config,
    run_id: str,
    archive: RawArchive,
    *,
    feeds: list[dict[str, Any]],
    items: list[dict[str, Any]],
    fetches: list[dict[str, Any]],
    fetched: Any,
    info: dict[str, int],
) -> str:
    """Stage what a poll acquired, then mark its items known in the archive."""
    writer = BatchWriter(config.staging_path, "poll", run_id)
    writer.add("feeds", rows_to_arrow(schema.feeds, feeds))
    writer.add("feed_items", rows_to_arrow(schema.feed_items, items))
    writer.add("fetches", rows_to_arrow(schema.fetches, fetches + fetched.fetches))
    writer.add("documents", rows_to_arrow(schema.documents, fetched.documents))
    writer.info = info
    batch = writer.write()
    failpoint("poll_staged")
    # Only now that the batch is safe on disk may the items count as known.
    commit_records(archive, fetched.records)
    failpoint("records_committed")
    return batch


def _walk_shard(
    config: Config,
    feeds: list[dict[str, Any]],
    *,
    run_id: str,
    window: Window,
    on_feed: Callable[[str, str], None] | None,
) -> str:
    from claimwire.ingest.archived_feeds import walk_feed_archives

    archive = RawArchive(config.raw_archive_dir)
    items: list[tuple[str, Any]] = []
    fetches: list[Any] = []
    failed = 0
    with HttpClient(config.http) as client:
        for feed in feeds:
            if feed.get("disabled"):
                continue
            walk = walk_feed_archives(client, feed["feed_url"], window)
            items += [(feed["feed_url"], item) for item in walk.items]
            fetches += walk.fetches
            failed += int(bool(walk.errors) and not walk.items)
            if on_feed:
                on_feed(feed["feed_url"], f"{len(walk.items)} item(s) in range from "
                        f"{walk.documents} document(s)"
                        + (f"; {walk.errors[0]}" if walk.errors else ""))
        return _stage_acquired(
            config, run_id, fetch_results=fetches, fetch_kind="feed", items=items,
            client=client, archive=archive,
            info={"feeds_polled": len(feeds), "feeds_failed": failed},
        )


# ---------------------------------------------------------------- transform

_DOC_TIMES = ("published_at", "fetched_at")


def plan_transform(
    config: Config, *, window: Window | None = None, shard_size: int | None = None
) -> list[str]:
    """Pending raw documents (or all documents published in the window) as shard plans."""
    columns = "d.doc_id, d.url, d.canonical_url, d.final_url, d.feed_url, d.guid, " \
              "d.raw_sha256, d.charset, d.published_at, d.fetched_at, d.item_title"
    if window is None:
        rows = _read_rows(
            config,
            f"SELECT {columns} FROM documents d WHERE d.status = 'pending' ORDER BY d.doc_id",
        )
    else:
        start, end = window.naive()
        rows = _read_rows(
            config,
            f"SELECT {columns} FROM documents d LEFT JOIN articles a ON a.doc_id = d.doc_id "
            "WHERE coalesce(d.published_at, a.published_at) >= ? "
            "AND coalesce(d.published_at, a.published_at) < ? ORDER BY d.doc_id",
            [start, end],
        )
    for row in rows:
        for name in _DOC_TIMES:
            if isinstance(row.get(name), datetime):
                row[name] = row[name].isoformat()
    size = shard_size or transform_shard_size(len(rows), config.worker_count)
    return _write_plans(config, "transform", "documents", _shard(rows, size))


def transform_shard(config: Config, plan_path: str, *, run_id: str) -> str:
    """Extract, hash and find claims for a shard's documents; return a staged batch dir."""
    from claimwire.transform.documents import transform_documents

    docs = [_parse_times(d, _DOC_TIMES) for d in _load_plan(plan_path)["documents"]]
    result = transform_documents(config, docs)
    writer = BatchWriter(config.staging_path, "transform", run_id)
    for name, data in result.tables.items():
        writer.add(name, data)
    writer.info = result.info
    batch = writer.write()
    failpoint("transform_staged")
    return batch


# ---------------------------------------------------------------- loading


def load_staged(
    config: Config,
    batch_dirs: list[str],
    *,
    run_id: str,
    leftovers: str | None = None,
    derive_after: bool = True,
) -> dict[str, int]:
    """The only writer: merge staged batches into the warehouse, then derive.

    `leftovers` ("poll", "transform" or "all") also loads, first, the complete
    batches of that kind an interrupted run left in the staging area: their
    items already count as known, so only loading them lands their documents.
    A batch a concurrent run staged may be loaded early: loads are idempotent
    and skip batches that are gone. With `derive_after`, the articles the
    loads queued (and any an interrupted run left queued) then go through
    `derive_staged`.
    """
    batch_dirs = [b for b in batch_dirs if b]
    if leftovers:
        batch_dirs = [b for b in _leftover_batches(config, leftovers) if b not in batch_dirs] \
            + batch_dirs
    counts: dict[str, int] = {}
    with open_warehouse(config.warehouse_path) as con:
        for group in _load_groups(batch_dirs):
            _add(counts, load_batches(con, group))
        failpoint("load_committed")
        for batch in batch_dirs:
            remove_batch(batch)
        if derive_after:
            # On the same connection: after a poll load the queue is empty and
            # this costs one count.
            _add(counts, derive.derive_pending(con, config.dedup))
    return counts


def derive_staged(
    config: Config, on_chunk: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Near duplicates, stories, claim clusters and the search index for every
    loaded article still queued (see `warehouse.derive`)."""
    with open_warehouse(config.warehouse_path) as con:
        return derive.derive_pending(con, config.dedup, on_chunk=on_chunk)


def derive_reporting(config: Config, say: Callable[[str], None]) -> dict[str, int]:
    """`derive_staged`, telling `say` how far it got after each chunk."""

    def on_chunk(done: int, total: int) -> None:
        say(f"[derive {done}/{total} articles] near duplicates, stories, clusters, search index")

    return derive_staged(config, on_chunk)


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        counts[key] = counts.get(key, 0) + value


def _leftover_batches(config: Config, kind: str) -> list[str]:
    found = complete_batches(config.staging_path)
    if kind == "all":
        return found
    # Run records travel with the poll side: they only ever come last in a run.
    poll_side = kind != "transform"
    return [b for b in found
            if ((read_manifest(b) or {}).get("kind") != "transform") == poll_side]


def _load_groups(batch_dirs: list[str]) -> list[list[str]]:
    """Batches in groups of at most LOAD_GROUP_ARTICLES staged articles.

    Each group is one transaction: memory stays bounded on a large backlog,
    and as every load is idempotent, a crash between groups only means the
    loaded groups' batches are loaded again, to the same rows.
    """
    groups: list[list[str]] = [[]]
    size = 0
    for batch in batch_dirs:
        rows = ((read_manifest(batch) or {}).get("rows") or {}).get("articles", 0)
        if groups[-1] and size + rows > LOAD_GROUP_ARTICLES:
            groups.append([])
            size = 0
        groups[-1].append(batch)
        size += rows
    return [g for g in groups if g]


def record_run(config: Config, run: dict[str, Any]) -> None:
    writer = BatchWriter(config.staging_path, "run", run["run_id"])
    writer.add("runs", rows_to_arrow(schema.runs, [run]))
    load_staged(config, [writer.write()], run_id=run["run_id"])


# ---------------------------------------------------------------- in-process run


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    ended_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    window: Window | None = None
    status: str = "running"

    def get(self, key: str) -> int:
        return int(self.counts.get(key, 0))


def _sum_info(batches: list[str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for batch in batches:
        manifest = read_manifest(batch) or {}
        for key, value in (manifest.get("info") or {}).items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    return totals


def _warm_worker(model: str) -> None:
    from claimwire.transform.documents import extractor_version
    from claimwire.transform.nlp import load_nlp

    extractor_version()
    load_nlp(model)


def transform_pool(config: Config) -> ProcessPoolExecutor:
    """Worker processes for the transform stage, already holding the spaCy model.

    Started before polling, their start-up (about a second each: a fresh
    interpreter and the model) overlaps the network-bound poll. Fresh
    interpreters (forkserver) because forking a process that holds HTTP
    threads is unsafe.
    """
    pool = ProcessPoolExecutor(
        max_workers=config.worker_count,
        mp_context=get_context("forkserver"),
        initializer=_warm_worker,
        initargs=(config.claims.model,),
    )
    # Submitting no-ops makes the executor start every worker now.
    for _ in range(config.worker_count):
        pool.submit(int)
    return pool


def _transform_in_workers(
    config: Config,
    plans: list[str],
    run_id: str,
    progress: Callable[[int], None] | None,
    pool: ProcessPoolExecutor | None = None,
) -> list[str]:
    workers = min(config.worker_count, len(plans))
    if workers <= 1:
        out = []
        for plan in plans:
            out.append(transform_shard(config, plan, run_id=run_id))
            if progress:
                progress(1)
        return out
    # spaCy's string store only grows, so workers are replaced after a few
    # shards each: a long run's memory stays flat. (max_tasks_per_child can
    # hang on Python 3.11, so the pool itself is renewed.)
    chunk = workers * SHARDS_PER_WORKER_LIFE
    out: list[str] = []
    for first in range(0, len(plans), chunk):
        current = pool if (first == 0 and pool is not None) else transform_pool(config)
        try:
            futures = [current.submit(transform_shard, config, plan, run_id=run_id)
                       for plan in plans[first : first + chunk]]
            for future in futures:
                out.append(future.result())
                if progress:
                    progress(1)
        finally:
            # The caller's warm pool too: its workers have done their share.
            if current is not pool or first + chunk < len(plans):
                current.shutdown()
    return out


class NoFeedsError(RuntimeError):
    pass


def run_ingest(
    config: Config,
    *,
    feed_urls: list[str] | None = None,
    window: Window | None = None,
    report: Callable[[str], None] | None = None,
    kind: str = "ingest",
) -> RunSummary:
    """Poll, fetch, extract, dedup, find claims and load: the whole run in this process."""
    say = report or (lambda message: None)
    summary = RunSummary(run_id=new_run_id(kind), started_at=utcnow(), window=window)
    with open_warehouse(config.warehouse_path):
        pass  # creates or migrates the schema before any planning reads it
    states = feed_states(config, feed_urls)
    if not states:
        raise NoFeedsError(
            "no feeds to poll: add [[feeds]] to claimwire.toml, import an OPML file with "
            "`claimwire feeds import`, or pass --feed URL"
        )
    leftovers = len(complete_batches(config.staging_path))
    if leftovers:
        say(f"found {leftovers} staged batch(es) from an interrupted run; loading them too")
    plans = plan_poll(config, states=states)
    # Enough feeds to expect more documents than one process should handle:
    # warm the workers while the network is busy.
    pool = transform_pool(config) if (
        config.worker_count > 1 and len(states) >= WARM_POOL_MIN_FEEDS) else None
    try:
        return _finish_ingest(config, summary, states, plans, window, say, kind, pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _finish_ingest(
    config: Config,
    summary: RunSummary,
    states: list[dict[str, Any]],
    plans: list[str],
    window: Window | None,
    say: Callable[[str], None],
    kind: str,
    pool: ProcessPoolExecutor | None,
) -> RunSummary:
    done = 0

    def on_feed(url: str, result: str) -> None:
        nonlocal done
        done += 1
        say(f"[poll {done}/{len(states)}] {url}: {result}")

    poll_batches = [
        poll_shard(config, plan, run_id=summary.run_id, window=window, on_feed=on_feed)
        for plan in plans
    ]
    summary.counts.update(_sum_info(poll_batches))
    summary.counts.update(
        {f"load_{k}": v for k, v in
         load_staged(config, poll_batches, run_id=summary.run_id, leftovers="poll").items()}
    )
    transform_plans = plan_transform(config, window=window)
    pending = sum(len(_load_plan(p)["documents"]) for p in transform_plans)
    if pending:
        say(f"[transform] {pending} document(s) in {len(transform_plans)} shard(s)")
    finished = 0

    def on_shard(n: int) -> None:
        nonlocal finished
        finished += n
        say(f"[transform {finished}/{len(transform_plans)} shards]")

    transform_batches = _transform_in_workers(
        config, transform_plans, summary.run_id, on_shard, pool)
    summary.counts.update(_sum_info(transform_batches))
    loaded = load_staged(config, transform_batches, run_id=summary.run_id, leftovers="transform",
                         derive_after=False)
    summary.counts.update(loaded)
    summary.counts.update(derive_reporting(config, say))
    for plan in plans + transform_plans:
        Path(plan).unlink(missing_ok=True)
    summary.ended_at = utcnow()
    summary.status = "completed"
    record_run(config, _run_row(summary, kind))
    return summary


def transform_shard_size(total: int, workers: int) -> int:
    """Documents per transform shard: one share per worker, at most TRANSFORM_SHARD_SIZE."""
    if total < MIN_PARALLEL_DOCUMENTS:
        # Starting worker processes (each loads the spaCy model) costs more
        # than a handful of documents take in this one.
        return MIN_PARALLEL_DOCUMENTS
    return max(1, min(TRANSFORM_SHARD_SIZE, math.ceil(total / workers)))


def _run_row(summary: RunSummary, kind: str) -> dict[str, Any]:
    c = summary.counts
    window = summary.window.naive() if summary.window else (None, None)
    errors = c.get("feeds_failed", 0) + c.get("pages_failed", 0) + c.get("documents_failed", 0)
    return {
        "run_id": summary.run_id, "kind": kind, "started_at": summary.started_at,
        "ended_at": summary.ended_at, "status": summary.status,
        "window_start": window[0], "window_end": window[1],
        "feeds_polled": c.get("feeds_polled", 0),
        "feeds_not_modified": c.get("feeds_not_modified", 0),
        "feeds_failed": c.get("feeds_failed", 0), "items_new": c.get("items_new", 0),
        "pages_fetched": c.get("pages_fetched", 0), "pages_failed": c.get("pages_failed", 0),
        "articles_loaded": c.get("articles_loaded", 0),
        "duplicates": c.get("exact_duplicates", 0) + c.get("near_duplicates", 0),
        "claims_loaded": c.get("claims_loaded", 0), "errors": errors,
    }



# ---------------------------------------------------------------- backfill sources


def _item_row(source: str, item: Any, seen_at: datetime) -> dict[str, Any]:
    """A `feed_items` row: `source` is the feed (or sitemap) the item was listed in."""
    return {
        "item_id": item_id(source, item.guid), "feed_url": source, "guid": item.guid,
        "link": item.link, "canonical_url": item.canonical_url, "title": item.title,
        "published_at": item.published_at, "summary": item.summary, "author": item.author,
        "first_seen_at": seen_at,
    }


def _stage_acquired(
    config: Config,
    run_id: str,
    *,
    fetch_results: list[Any],
    fetch_kind: str,
    items: list[tuple[str, Any]],
    client: HttpClient,
    archive: RawArchive,
    feed_rows: list[dict[str, Any]] | None = None,
    info: dict[str, int] | None = None,
) -> str:
    """Fetch the pages of items found by an archive walk and stage one poll batch."""
    seen_now = utcnow()
    items_rows = [_item_row(source, item, seen_now) for source, item in items]
    new = [(source, item) for source, item in items if not is_known(archive, source, item)]
    fetched = fetch_new_pages(client, archive, new, run_id=run_id)
    rows = [fetch_row(r, kind=fetch_kind, run_id=run_id, attempt_key=r.url)
            for r in fetch_results]
    info = dict(info or {}, items_seen=len(items),
                items_new=len({i.canonical_url for _, i in new}),
                pages_fetched=len(fetched.documents), pages_failed=fetched.failed)
    return _write_poll_batch(config, run_id, archive, feeds=feed_rows or [], items=items_rows,
                             fetches=rows, fetched=fetched, info=info)


def archived_feed_shard(
    config: Config, feed_url: str, *, run_id: str, window: Window,
    report: Callable[[str], None] | None = None,
) -> str:
    """RFC 5005: walk one feed's archive documents back into the window; stage its items."""
    def on_feed(url: str, result: str) -> None:
        if report:
            report(f"[archive] {url}: {result}")

    return _walk_shard(config, [{"feed_url": feed_url}], run_id=run_id, window=window,
                       on_feed=on_feed)


def sitemap_shard(
    config: Config, sitemap_url: str, *, run_id: str, window: Window,
    report: Callable[[str], None] | None = None,
) -> str:
    """Sitemap indexes, plain and news sitemaps: stage the entries dated in the window."""
    from claimwire.ingest.feeds import FeedItem
    from claimwire.ingest.sitemaps import walk_sitemaps

    archive = RawArchive(config.raw_archive_dir)
    with HttpClient(config.http) as client:
        walk = walk_sitemaps(client, sitemap_url, window)
        if report:
            report(f"[sitemap] {sitemap_url}: {walk.documents} document(s), "
                   f"{len(walk.entries)} entr(ies) in range, {walk.undated} undated skipped"
                   + (f", {len(walk.errors)} error(s)" if walk.errors else ""))
        items = [
            (sitemap_url, FeedItem(guid=e.canonical_url, link=e.url, canonical_url=e.canonical_url,
                                   title=e.title, published_at=e.published_at, summary=None,
                                   author=None))
            for e in walk.entries
        ]
        return _stage_acquired(
            config, run_id, fetch_results=walk.fetches, fetch_kind="sitemap", items=items,
            client=client, archive=archive, info={"sitemap_documents": walk.documents},
        )


def warc_shard(
    config: Config, path: str, *, run_id: str, window: Window,
    report: Callable[[str], None] | None = None,
) -> str:
    """WARC/WARC.gz response records published in the window, straight into the archive."""
    from claimwire.ingest.warc import WarcStats, read_warc_pages

    archive = RawArchive(config.raw_archive_dir)
    stats = WarcStats()
    documents = []
    for page in read_warc_pages([Path(path)], window, stats=stats):
        digest = archive.put(page.body)
        documents.append({
            "doc_id": url_key(page.canonical_url), "url": page.url,
            "canonical_url": page.canonical_url, "final_url": page.url,
            "feed_url": f"warc:{Path(path).name}", "guid": page.url, "raw_sha256": digest,
            "content_type": page.content_type, "charset": page.charset,
            "published_at": page.date,
            "fetched_at": page.record_date, "status": "pending",
        })
    if report:
        report(f"[warc] {path}: {stats.records} record(s), {len(documents)} page(s) in range, "
               f"{stats.damaged} damaged")
    writer = BatchWriter(config.staging_path, "poll", run_id)
    writer.add("documents", rows_to_arrow(schema.documents, documents))
    writer.info = {"pages_fetched": len(documents), "items_new": len(documents),
                   "warc_records": stats.records, "warc_damaged": stats.damaged}
    return writer.write()


@dataclass(frozen=True)
class BackfillSources:
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    warcs: tuple[str, ...] = ()
    replay: bool = False

    def units(self) -> list[str]:
        from claimwire.ingest.warc import warc_files

        files = [str(p) for p in warc_files([Path(w) for w in self.warcs])] if self.warcs else []
        return ([f"feed:{u}" for u in self.feeds] + [f"sitemap:{u}" for u in self.sitemaps]
                + [f"warc:{p}" for p in files])


def run_backfill(
    config: Config,
    window: Window,
    sources: BackfillSources,
    *,
    report: Callable[[str], None] | None = None,
) -> RunSummary:
    """Acquire what each source holds for the window, then (re)process exactly that window.

    Each source unit (a feed's archive chain, a sitemap, a WARC file) is
    checkpointed once its batch is staged, so an interrupted backfill resumes
    where it stopped; derived rows of the window are replaced, never doubled.
    """
    from claimwire.ingest.backfill_state import BackfillCheckpoint, checkpoint_key

    say = report or (lambda message: None)
    summary = RunSummary(run_id=new_run_id("backfill"), started_at=utcnow(), window=window)
    with open_warehouse(config.warehouse_path):
        pass
    units = sources.units()
    checkpoint = BackfillCheckpoint.load(config.staging_path / "checkpoints",
                                         checkpoint_key(window, units))
    acquired = []
    for index, unit in enumerate(units, 1):
        if checkpoint.done(unit):
            say(f"[{index}/{len(units)}] {unit}: done in an earlier, interrupted run")
            continue
        kind, _, target = unit.partition(":")
        shard = {"feed": archived_feed_shard, "sitemap": sitemap_shard, "warc": warc_shard}[kind]
        acquired.append(shard(config, target, run_id=summary.run_id, window=window, report=say))
        checkpoint.mark(unit)
        failpoint("backfill_unit_done")
        say(f"[{index}/{len(units)}] {unit}: staged")
    summary.counts.update(_sum_info(acquired))
    loaded = load_staged(config, acquired, run_id=summary.run_id, leftovers="all")
    summary.counts.update({f"load_{k}": v for k, v in loaded.items()})
    plans = plan_transform(config, window=window)
    if plans:
        say(f"[transform] {sum(len(_load_plan(p)['documents']) for p in plans)} document(s) "
            f"published {window.start:%Y-%m-%d} .. {window.end - timedelta(seconds=1):%Y-%m-%d}")
    batches = _transform_in_workers(config, plans, summary.run_id, None)
    summary.counts.update(_sum_info(batches))
    summary.counts.update(load_staged(config, batches, run_id=summary.run_id, derive_after=False))
    summary.counts.update(derive_reporting(config, say))
    for plan in plans:
        Path(plan).unlink(missing_ok=True)
    checkpoint.clear()
    summary.ended_at = utcnow()
    summary.status = "completed"
    record_run(config, _run_row(summary, "backfill"))
    return summary

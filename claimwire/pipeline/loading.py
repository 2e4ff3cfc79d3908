"""Loading: staged batches into the warehouse through the one writer, then the
derive step over what was loaded.

Every write to the warehouse goes through `load_staged`: poll and transform
batches, run records, feeds imported from OPML. Loads are idempotent (natural
keys), so a batch loaded twice, or a crash between a load and the removal of
its batches, leaves the same rows.

A batch that cannot be loaded (a file an OS crash cut short or lost, data
the warehouse refuses) is quarantined, never retried forever nor dropped in
silence: it is moved to `<staging>/quarantine/` with its reason, the run
reports it, and what it would have settled is undone so its items are
fetched again (their raw-archive records removed, its feeds polled in full
next time). Its documents' transforms are simply redone: they stay pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pyarrow as pa

from claimwire import storage
from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.failpoints import failpoint
from claimwire.storage.batches import staged_batches
from claimwire.warehouse import schema
from claimwire.warehouse.backends import retry_conflicts
from claimwire.warehouse.db import open_warehouse
from claimwire.warehouse.idsets import registered
from claimwire.warehouse.staging import (
    MANIFEST,
    BatchWriter,
    complete_batches,
    quarantine_batch,
    read_manifest,
    remove_batch,
    rows_to_arrow,
    verify_batch,
)

log = logging.getLogger(__name__)

# Staged articles per load transaction. A group's Arrow tables take about
# 10 KB an article in the loader (text, claims, mentions); DuckDB spills past
# its memory limit. Fewer, larger transactions are much cheaper: DuckDB
# writes a large transaction's rows straight to the file, while many small
# ones go through the WAL and are written again at the next checkpoint
# (measured on 10,000 articles: one transaction 2.1 s, five 4.2 s).
LOAD_GROUP_ARTICLES = 20_000

# (articles done, articles in all), after each derive chunk
DeriveProgress = Callable[[int, int], None]

# What a batch's own contents make a load fail with (the data, not the
# machine: a full disk or a lost connection is not the batch's fault and
# must not quarantine it).
BATCH_FAULTS = (
    duckdb.DataError, duckdb.IntegrityError, duckdb.BinderException,
    duckdb.InvalidInputException, duckdb.InvalidTypeException, duckdb.CatalogException,
    pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowKeyError, pa.ArrowIndexError,
    pa.ArrowNotImplementedError, pa.ArrowSerializationError, KeyError, TypeError, ValueError,
)


def load_staged(
    config: Config,
    batch_dirs: list[str],
    *,
    run_id: str,
    leftovers: str | None = None,
    derive_after: bool = True,
) -> RunCounts:
    """The only writer: merge staged batches into the warehouse, then derive.

    `leftovers` ("poll", "transform" or "all") also loads, first, the complete
    batches of that kind an interrupted run left in the staging area: their
    items already count as known, so only loading them lands their documents.
    A batch a concurrent run staged may be loaded early: loads are idempotent
    and skip batches that are gone. With `derive_after`, the articles the
    loads queued (and any an interrupted run left queued) then go through the
    derive step. Batches that cannot be loaded are quarantined (see the
    module docstring), each with a logged warning.
    """
    from claimwire.transform.derive.runner import derive_pending

    batch_dirs = [b for b in batch_dirs if b]
    counts = RunCounts()
    with open_warehouse(config.warehouse, wait_seconds=config.lock_timeout) as con:
        # Chosen and checked while holding the write lock: no other loader is
        # loading (and removing) them meanwhile.
        if leftovers:
            batch_dirs = [b for b in leftover_batches(config, leftovers)
                          if b not in batch_dirs] + batch_dirs
        failed = [(b, reason) for b in batch_dirs if (reason := verify_batch(b))]
        bad = {b for b, _ in failed}
        loaded = [b for b in batch_dirs if b not in bad]
        for group in _load_groups(loaded):
            failed += _load_group(con, group, counts)
        failpoint("load_committed")
        bad = {b for b, _ in failed}
        for batch in loaded:
            if batch not in bad:
                remove_batch(batch)
        if failed:
            counts.batches_quarantined += quarantine(config, con, failed)
        if derive_after:
            # On the same connection: after a poll load the queue is empty and
            # this costs one count.
            counts.add(derive_pending(con, config.dedup))
    return counts


def _load_group(
    con: duckdb.DuckDBPyConnection, group: list[str], counts: RunCounts
) -> list[tuple[str, str]]:
    """Load a group in one transaction; when its data makes that fail, each
    batch on its own, to find the ones at fault. Returns (batch, reason) of those."""
    from claimwire.warehouse.load import load_batches

    try:
        # On a DuckLake a commit can lose a conflict to another client: the
        # load is idempotent, so it is simply done again.
        counts.add(retry_conflicts(lambda: load_batches(con, group)))
        return []
    except BATCH_FAULTS as exc:
        if len(group) == 1:
            return [(group[0], _one_line(exc))]
    failed = []
    for batch in group:
        try:
            counts.add(load_batches(con, [batch]))
        except BATCH_FAULTS as exc:
            failed.append((batch, _one_line(exc)))
    return failed


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def quarantine(
    config: Config,
    con: duckdb.DuckDBPyConnection,
    failed: list[tuple[str, str]],
) -> int:
    """Move batches that cannot be loaded aside and undo what they settled:
    their items' raw-archive records (so the items are fetched again) and the
    validators of their feeds (so the next poll reads them in full)."""
    from claimwire.ingest.archive import RawArchive

    archive = RawArchive(config.raw_archive_location)
    feeds: set[str] = set()
    for batch, reason in failed:
        manifest = read_manifest(batch) or {}
        for key in manifest.get("records") or []:
            archive.forget_url(str(key))
        feeds.update(str(url) for url in manifest.get("feed_urls") or [])
        where = quarantine_batch(config.staging_location, batch, reason)
        message = (f"quarantined staged batch {storage.name(where)} ({reason}); "
                   f"moved to {storage.parent(where)}")
        # A warning, not progress: shown even by a quiet run, and in Airflow's task log.
        log.warning(message)
    if feeds:
        with registered(con, "reset_feeds", pa.table({"feed_url": sorted(feeds)})):
            con.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, body_sha256 = NULL "
                        "WHERE feed_url IN (SELECT feed_url FROM reset_feeds)")
    return len(failed)


def check_staged(config: Config) -> int:
    """Quarantine the staged batches an OS crash damaged, before a run polls,
    so this run already fetches their items again; returns how many."""
    if not _staged_dirs(config):
        return 0
    with open_warehouse(config.warehouse, wait_seconds=config.lock_timeout) as con:
        failed = [(b, reason) for b in _staged_dirs(config) if (reason := verify_batch(b))]
        return quarantine(config, con, failed) if failed else 0


def _staged_dirs(config: Config) -> list[str]:
    """Batch directories with a manifest file, readable or not."""
    if storage.is_url(config.staging_location):
        return staged_batches(str(config.staging_location))
    root = config.staging_path
    if not root.is_dir():
        return []
    return [str(entry) for entry in sorted(root.iterdir())
            if not entry.name.startswith(".") and (entry / MANIFEST).is_file()]


def derive_staged(
    config: Config, on_chunk: DeriveProgress | None = None, *, retry: bool = False
) -> RunCounts:
    """Near duplicates, stories, claim clusters, speakers and the search index
    for every loaded article still queued (see `transform.derive`); with
    `retry`, those set aside after failing too often as well."""
    from claimwire.transform.derive.runner import derive_pending

    with open_warehouse(config.warehouse, wait_seconds=config.lock_timeout) as con:
        return derive_pending(con, config.dedup, on_chunk=on_chunk, retry=retry)


def derive_reporting(
    config: Config, say: Callable[[str], None], *, retry: bool = False
) -> RunCounts:
    """`derive_staged`, telling `say` how far it got after each chunk."""

    def on_chunk(done: int, total: int) -> None:
        say(f"[derive {done}/{total} articles] near duplicates, stories, clusters, speakers, "
            "search index")

    return derive_staged(config, on_chunk, retry=retry)


def rebuild_search_index(config: Config, say: Callable[[str], None]) -> int:
    """The whole search index again, from the articles (see `transform.derive.search`)."""
    from claimwire.errors import UsageError
    from claimwire.transform.derive import search

    with open_warehouse(config.warehouse, wait_seconds=config.lock_timeout) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            indexed = search.rebuild_index(
                con, on_chunk=lambda done, total: say(f"[search index {done}/{total} articles]"))
        except search.SearchUnavailable as exc:
            con.execute("ROLLBACK")
            raise UsageError(str(exc)) from exc
        con.execute("COMMIT")
    return indexed


def batch_counts(batch_dirs: Iterable[str]) -> RunCounts:
    """What the shards that staged these batches counted, added up."""
    total = RunCounts()
    for batch in batch_dirs:
        total.add((read_manifest(batch) or {}).get("info") or {})
    return total


def batch_seconds(batch_dirs: Iterable[str]) -> dict[str, float]:
    """Seconds the shards that staged these batches spent, by stage, added up."""
    total: dict[str, float] = {}
    for batch in batch_dirs:
        seconds = ((read_manifest(batch) or {}).get("info") or {}).get("seconds") or {}
        for stage, value in seconds.items():
            if isinstance(value, int | float):
                total[stage] = total.get(stage, 0.0) + float(value)
    return total


def leftover_batches(config: Config, kind: str) -> list[str]:
    """Complete batches an interrupted run left: of the poll side, the transform
    side, or "all"."""
    found = complete_batches(config.staging_location)
    if kind == "all":
        return found
    # Run records and imported feeds travel with the poll side.
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
    """Write a run's row to the `runs` table (through the loader, as every write)."""
    writer = BatchWriter(config.staging_location, "run", run["run_id"])
    writer.add("runs", rows_to_arrow(schema.runs, [run]))
    load_staged(config, [writer.write()], run_id=run["run_id"], derive_after=False)


def edit_feeds(config: Config, edits: list[dict[str, Any]], *, run_id: str) -> int:
    """Apply feed-list edits (rows of the `feeds` table, NULL meaning "keep";
    see `warehouse.feed_edits`) through the loader; return how many feeds became listed."""
    writer = BatchWriter(config.staging_location, "feed_edits", run_id)
    writer.add("feeds", rows_to_arrow(schema.feeds, edits))
    return load_staged(config, [writer.write()], run_id=run_id, derive_after=False).feeds_added


def import_feeds(config: Config, feeds: list[dict[str, Any]], *, run_id: str) -> int:
    """Add feeds (rows of the `feeds` table) to the warehouse's feed list; feeds
    already stored keep their poll state. Returns how many were not listed before."""
    return edit_feeds(config, [{**row, "listed": True} for row in feeds], run_id=run_id)

"""Loading: staged batches into the warehouse through the one writer, then the
derive step over what was loaded.

Every write to the warehouse goes through `load_staged`: poll and transform
batches, run records, feeds imported from OPML. Loads are idempotent (natural
keys), so a batch loaded twice, or a crash between a load and the removal of
its batches, leaves the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.failpoints import failpoint
from claimwire.warehouse import schema
from claimwire.warehouse.db import open_warehouse
from claimwire.warehouse.staging import (
    BatchWriter,
    complete_batches,
    read_manifest,
    remove_batch,
    rows_to_arrow,
)

# Staged articles per load transaction. A group's Arrow tables take about
# 10 KB an article in the loader (text, claims, mentions); DuckDB spills past
# its memory limit. Fewer, larger transactions are much cheaper: DuckDB
# writes a large transaction's rows straight to the file, while many small
# ones go through the WAL and are written again at the next checkpoint
# (measured on 10,000 articles: one transaction 2.1 s, five 4.2 s).
LOAD_GROUP_ARTICLES = 20_000

# (articles done, articles in all), after each derive chunk
DeriveProgress = Callable[[int, int], None]


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
    derive step.
    """
    from claimwire.transform.derive.runner import derive_pending
    from claimwire.warehouse.load import load_batches

    batch_dirs = [b for b in batch_dirs if b]
    if leftovers:
        batch_dirs = [b for b in leftover_batches(config, leftovers) if b not in batch_dirs] \
            + batch_dirs
    counts = RunCounts()
    with open_warehouse(config.warehouse_path) as con:
        for group in _load_groups(batch_dirs):
            counts.add(load_batches(con, group))
        failpoint("load_committed")
        for batch in batch_dirs:
            remove_batch(batch)
        if derive_after:
            # On the same connection: after a poll load the queue is empty and
            # this costs one count.
            counts.add(derive_pending(con, config.dedup))
    return counts


def derive_staged(
    config: Config, on_chunk: DeriveProgress | None = None, *, retry: bool = False
) -> RunCounts:
    """Near duplicates, stories, claim clusters, speakers and the search index
    for every loaded article still queued (see `transform.derive`); with
    `retry`, those set aside after failing too often as well."""
    from claimwire.transform.derive.runner import derive_pending

    with open_warehouse(config.warehouse_path) as con:
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

    with open_warehouse(config.warehouse_path) as con:
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


def leftover_batches(config: Config, kind: str) -> list[str]:
    """Complete batches an interrupted run left: of the poll side, the transform
    side, or "all"."""
    found = complete_batches(config.staging_path)
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
    writer = BatchWriter(config.staging_path, "run", run["run_id"])
    writer.add("runs", rows_to_arrow(schema.runs, [run]))
    load_staged(config, [writer.write()], run_id=run["run_id"])


def import_feeds(config: Config, feeds: list[dict[str, Any]], *, run_id: str) -> int:
    """Add feeds (rows of the `feeds` table) to the warehouse's feed list; feeds
    already listed keep their state. Returns how many were new."""
    writer = BatchWriter(config.staging_path, "feeds", run_id)
    writer.add("feeds", rows_to_arrow(schema.feeds, feeds))
    return load_staged(config, [writer.write()], run_id=run_id).feeds_added

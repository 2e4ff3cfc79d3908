"""Post-load hooks: near duplicates, stories, claim clusters, search, views.

They run inside the load transaction (see `warehouse.load.POST_LOAD_HOOKS`),
in this order, because each step reads the previous one's result: stories
skip copies, clusters skip claims of copies, the search index lists
originals. `register()` installs them once; `configure()` hands them the
`[dedup]` settings (defaults apply until it is called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from claimwire.config import DedupSettings
from claimwire.warehouse import search, views
from claimwire.warehouse.grouping import assign_claim_clusters, assign_stories
from claimwire.warehouse.neardup_index import NearDupSettings, mark_near_duplicates

if TYPE_CHECKING:
    # Type only: `warehouse.load` imports this module to register the hooks.
    from claimwire.warehouse.load import LoadCounts

_settings = NearDupSettings()


def configure(dedup: DedupSettings) -> None:
    """Use the configured threshold and MinHash shape from now on."""
    global _settings
    _settings = NearDupSettings(
        threshold=dedup.near_duplicate_threshold,
        num_perm=dedup.num_perm,
        shingle_size=dedup.shingle_size,
    )


def near_duplicates_hook(
    con: duckdb.DuckDBPyConnection, written: list[str], counts: LoadCounts
) -> None:
    counts.add("near_duplicates", mark_near_duplicates(con, written, _settings))


def stories_hook(con: duckdb.DuckDBPyConnection, written: list[str], counts: LoadCounts) -> None:
    counts.add("stories_new", assign_stories(con, written))


def clusters_hook(con: duckdb.DuckDBPyConnection, written: list[str], counts: LoadCounts) -> None:
    counts.add("claims_clustered", assign_claim_clusters(con, written))


def search_index_hook(
    con: duckdb.DuckDBPyConnection, written: list[str], counts: LoadCounts
) -> None:
    if not written:
        return
    try:
        search.rebuild_index(con)
    except search.SearchUnavailable:
        # Search is optional: a warehouse without the extension still loads.
        counts.add("search_index_skipped", 1)


def views_hook(con: duckdb.DuckDBPyConnection, written: list[str], counts: LoadCounts) -> None:
    # Cheap and idempotent; keeps views in step with this code version.
    views.create_views(con)


HOOKS = (near_duplicates_hook, stories_hook, clusters_hook, search_index_hook, views_hook)


def register() -> None:
    """Append the hooks to the loader once (calling it again changes nothing)."""
    from claimwire.warehouse import load

    for hook in HOOKS:
        if hook not in load.POST_LOAD_HOOKS:
            load.POST_LOAD_HOOKS.append(hook)

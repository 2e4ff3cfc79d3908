"""Edits of the warehouse's feed list (add, remove, disable, enable, OPML
import), applied by the one writer (`warehouse.load.load_batches`).

A staged "feed_edits" batch holds `feeds` rows where only the columns an
edit sets are non-NULL: a feed not stored yet is inserted, a stored one keeps
its poll state and gets only the edited columns.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from claimwire.warehouse.backends import upsert
from claimwire.warehouse.idsets import registered

# Columns an edit may set; NULL in the staged row leaves the stored value.
EDITABLE = ("name", "tags", "listed", "disabled", "disabled_reason", "consecutive_failures")


def apply_feed_edits(con: duckdb.DuckDBPyConnection, data: pa.Table | None) -> int:
    """Apply the staged edits; return how many feeds became listed."""
    if data is None or data.num_rows == 0:
        return 0
    sets = {c: f"coalesce(excluded.{c}, feeds.{c})" for c in EDITABLE
            if c != "disabled_reason"}
    sets["disabled_reason"] = ("CASE WHEN excluded.disabled IS NULL THEN feeds.disabled_reason "
                               "ELSE excluded.disabled_reason END")
    with registered(con, "staged_feed_edits", data):
        newly = con.execute(
            "SELECT count(*) FROM staged_feed_edits e WHERE e.listed AND NOT EXISTS ("
            "SELECT 1 FROM feeds f WHERE f.feed_url = e.feed_url AND f.listed)").fetchone()[0]
        # ON CONFLICT on a DuckDB file, by key on a DuckLake (`warehouse.backends`).
        upsert(con, "feeds", "staged_feed_edits", ["feed_url"], sets)
    return int(newly)

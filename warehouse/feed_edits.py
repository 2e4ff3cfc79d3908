"""Edits of the warehouse's feed list (add, remove, disable, enable, OPML
import), applied by the one writer (`warehouse.load.load_batches`).

A staged "feed_edits" batch holds `feeds` rows where only the columns an
edit sets are non-NULL: a feed not stored yet is inserted, a stored one keeps
its poll state and gets only the edited columns.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from claimwire.warehouse.idsets import registered

# Columns an edit may set; NULL in the staged row leaves the stored value.
EDITABLE = ("name", "tags", "listed", "disabled", "disabled_reason", "consecutive_failures")


def apply_feed_edits(con: duckdb.DuckDBPyConnection, data: pa.Table | None) -> int:
    """Apply the staged edits; return how many feeds became listed."""
    if data is None or data.num_rows == 0:
        return 0
    sets = ", ".join(f"{c} = coalesce(excluded.{c}, feeds.{c})" for c in EDITABLE
                     if c != "disabled_reason")
    with registered(con, "staged_feed_edits", data):
        newly = con.execute(
            "SELECT count(*) FROM staged_feed_edits e WHERE e.listed AND NOT EXISTS ("
            "SELECT 1 FROM feeds f WHERE f.feed_url = e.feed_url AND f.listed)").fetchone()[0]
        con.execute(
            "INSERT INTO feeds BY NAME SELECT * FROM staged_feed_edits "
            f"ON CONFLICT (feed_url) DO UPDATE SET {sets}, disabled_reason = CASE WHEN "
            "excluded.disabled IS NULL THEN feeds.disabled_reason ELSE excluded.disabled_reason "
            "END")
    return int(newly)

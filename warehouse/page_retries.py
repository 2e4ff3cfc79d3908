"""Loading the page retries a poll staged (see `claimwire.pipeline.retries`)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from claimwire.warehouse.idsets import insert_arrow, registered


def load_page_retries(
    con: duckdb.DuckDBPyConnection, retries: pa.Table | None, documents: pa.Table | None
) -> None:
    """Failed pages replace their row; settled ones (attempts 0) and pages now
    fetched as documents lose it."""
    settled: list[str] = []
    if retries is not None and retries.num_rows:
        done = pc.equal(retries["attempts"], 0)
        settled += retries.filter(done)["canonical_url"].to_pylist()
        insert_arrow(con, "page_retries", retries.filter(pc.invert(done)))
    if documents is not None and documents.num_rows:
        settled += documents["canonical_url"].to_pylist()
    if settled:
        with registered(con, "settled_pages", pa.table({"canonical_url": settled})):
            con.execute("DELETE FROM page_retries WHERE canonical_url IN "
                        "(SELECT canonical_url FROM settled_pages)")

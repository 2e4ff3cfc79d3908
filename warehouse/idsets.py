"""Passing Arrow data to DuckDB: many ids to a query, rows to a table.

DuckDB's Python client converts a list bound to `= ANY(?)` element by
element at roughly 0.1 ms each (measured: 1.1 s for 10,000 ids), which made
list parameters the slowest part of a load. A registered Arrow column costs
almost nothing; queries read it as `IN (SELECT id FROM <name>)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import duckdb
import pyarrow as pa


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> Iterator[str]:
    """`data` readable as view `name` for the block's duration."""
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)


def literal_list(ids: Iterable[str]) -> str:
    """Ids as a literal SQL list, for `key IN (...)` on a table's primary key:
    DuckDB answers that through the key's index, where `IN (SELECT ...)` or a
    registered table would scan the whole table (a million articles' texts)."""
    return ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(set(ids))) or "NULL"


def id_table(
    con: duckdb.DuckDBPyConnection, name: str, ids: Iterable[str]
) -> contextlib.AbstractContextManager[str]:
    """Register `ids` as view `name` with one column `id` for the block's duration."""
    return registered(con, name, pa.table({"id": pa.array(sorted(set(ids)), pa.string())}))


def insert_arrow(
    con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | None,
    mode: str | None = "REPLACE",
) -> int:
    """`INSERT OR <mode> INTO table BY NAME` the rows of `data` (a plain INSERT
    when `mode` is None); return the rows written (with IGNORE: the new ones)."""
    if data is None or data.num_rows == 0:
        return 0
    from claimwire.warehouse import backends

    verb = f"INSERT OR {mode}" if mode else "INSERT"
    with registered(con, "staged_rows", data):
        if backends.on_lake(con):
            return backends.insert_rows(con, table, "staged_rows", primary_key(table), mode)
        return con.execute(
            f"{verb} INTO {table} BY NAME SELECT * FROM staged_rows").fetchone()[0]


def primary_key(table: str) -> list[str]:
    """The natural key of a warehouse table (its primary key in `warehouse.schema`)."""
    from claimwire.warehouse import schema

    return [c.name for c in schema.metadata.tables[table].primary_key.columns]


def update_column(
    con: duckdb.DuckDBPyConnection, table: str, key: str, column: str, values: dict[str, str]
) -> None:
    """Set `column` to `values[key]` in the rows whose `key` is in `values`."""
    if not values:
        return
    data = pa.table({"k": pa.array(list(values), pa.string()),
                     "v": pa.array(list(values.values()), pa.string())})
    with registered(con, "staged_values", data):
        con.execute(f"UPDATE {table} SET {column} = s.v FROM staged_values s "
                    f"WHERE {table}.{key} = s.k")

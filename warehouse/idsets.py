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

from claimwire.warehouse import schema


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> Iterator[str]:
    """`data` readable as view `name` for the block's duration."""
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)


def literal_list(ids: Iterable[str]) -> str:
    """Ids as a literal SQL list, for `key IN (...)`: DuckDB pushes it into the
    scan of the key's column (and answers it through a primary key's index),
    where `IN (SELECT ...)` is a join that reads every column it projects."""
    return ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(set(ids))) or "NULL"


def rows_with(
    con: duckdb.DuckDBPyConnection, table: str, column: str, ids: Iterable[str],
    alias: str | None = None,
) -> str:
    """A WHERE condition for the rows of `table` whose `column` is one of `ids`,
    bounded by those rows' rowid range. Keys without an index are found by a
    scan of their column alone (cheap); the bound keeps the scan of the other,
    wide columns (texts, term lists) to the row groups holding the rows, which
    for a night's articles and claims are the newest few."""
    listed = literal_list(ids)
    lo, hi = con.execute(
        f"SELECT min(rowid), max(rowid) FROM {table} WHERE {column} IN ({listed})").fetchone()
    if lo is None:
        return "false"
    at = f"{alias}." if alias else ""
    return f"{at}rowid BETWEEN {lo} AND {hi} AND {at}{column} IN ({listed})"


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
    when `mode` is None); return the rows written (with IGNORE: the new ones).
    On a table whose key is a natural key without an index (`schema.natural_key`)
    the same is done by hand: IGNORE keeps the stored row and a batch's first
    row of a key, REPLACE the batch's last."""
    if data is None or data.num_rows == 0:
        return 0
    key = _natural_key(table)
    if key is not None and mode in ("IGNORE", "REPLACE"):
        return _insert_by_key(con, table, data, key, mode)
    from claimwire.warehouse import backends

    verb = f"INSERT OR {mode}" if mode else "INSERT"
    with registered(con, "staged_rows", data):
        if backends.on_lake(con):
            return backends.insert_rows(con, table, "staged_rows", primary_key(table), mode)
        return con.execute(
            f"{verb} INTO {table} BY NAME SELECT * FROM staged_rows").fetchone()[0]


def primary_key(table: str) -> list[str]:
    """The key of a warehouse table (primary or natural, see `warehouse.schema`);
    [] for a table without one (rows are only ever appended to it)."""
    try:
        return list(schema.key_of(schema.metadata.tables[table]))
    except ValueError:
        return []


def _natural_key(table: str) -> tuple[str, ...] | None:
    definition = schema.metadata.tables.get(table)
    if definition is None or not any(c.info.get("natural_key") for c in definition.columns):
        return None
    return schema.key_of(definition)


def _insert_by_key(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table,
                   key: tuple[str, ...], mode: str) -> int:
    order = "DESC" if mode == "REPLACE" else "ASC"
    same = " AND ".join(f"t.{k} = s.{k}" for k in key)
    rows = data.append_column("batch_pos_", pa.array(range(data.num_rows), pa.int64()))
    with registered(con, "staged_rows", rows):
        if mode == "REPLACE":
            con.execute(f"DELETE FROM {table} t USING staged_rows s WHERE {same}")
        return con.execute(f"""
            INSERT INTO {table} BY NAME
            SELECT * EXCLUDE (batch_pos_) FROM staged_rows s
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})
            QUALIFY row_number() OVER (PARTITION BY {", ".join(key)}
                                       ORDER BY batch_pos_ {order}) = 1
            """).fetchone()[0]


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

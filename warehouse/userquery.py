"""A user's SQL (`claimwire sql`) against the warehouse: reading, and nothing else.

A read-only connection still lets DuckDB write files: `COPY ... TO`,
`EXPORT DATABASE`, `ATTACH ... (READ_WRITE)` of another file (or of the
warehouse itself through a hard link), and the file readers (`read_csv`,
`read_text`, `glob`, ...) read anything on the machine. Three locks, each
enough for what the others miss:

* only SELECT statements run (DESCRIBE, SHOW, SUMMARIZE and PRAGMA queries
  parse as SELECT; EXPLAIN does not, since `EXPLAIN ANALYZE COPY` copies);
* `enable_external_access` is off: no file but the warehouse's own, no
  ATTACH, no extension loading. DuckDB keeps the database file and its WAL
  in `allowed_paths` whatever that setting says, so a `COPY ... TO` the
  warehouse with `USE_TMP_FILE false` would still overwrite it: that is
  what the statement check is for;
* `lock_configuration` is on, so the query cannot turn either back.
"""

from __future__ import annotations

from typing import Any

import duckdb

# Statement types a user query may consist of.
ALLOWED = frozenset({duckdb.StatementType.SELECT})
# Applied in this order; the last one freezes the rest.
_LOCKDOWN = (
    "SET python_enable_replacements = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)


class QueryRefused(ValueError):
    """The query is not a read-only one; the message says why in one line."""


def check_statements(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """QueryRefused unless `sql` is one or more SELECT statements."""
    if not sql.strip():
        raise QueryRefused("empty query")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"SQL error: {str(exc).splitlines()[0]}") from exc
    if not statements:
        raise QueryRefused("empty query (only comments or semicolons)")
    for statement in statements:
        if statement.type not in ALLOWED:
            kind = statement.type.name.replace("_", " ")
            raise QueryRefused(
                f"only read-only queries (SELECT) are allowed, not {kind} statements")


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Make the connection unable to touch any file but the warehouse, for good."""
    for statement in _LOCKDOWN:
        con.execute(statement)


def run_user_query(
    con: duckdb.DuckDBPyConnection, sql: str
) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """(columns, rows) of a user's read-only query; None when it returns no rows
    at all. QueryRefused for anything but SELECT, duckdb.Error from the query."""
    check_statements(con, sql)
    lock_down(con)
    # One transaction: every statement reads the same snapshot, even on a
    # DuckLake that loaders commit to meanwhile.
    con.execute("BEGIN TRANSACTION")
    try:
        cursor = con.execute(sql)
        if cursor is None or cursor.description is None:
            return None
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        con.execute("ROLLBACK")

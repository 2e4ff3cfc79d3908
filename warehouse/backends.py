"""The DuckLake backend: the same warehouse (tables, views, migrations of
`warehouse.schema` and `warehouse.db`) with its catalog in PostgreSQL and its
data as Parquet files under a folder or an `s3://` prefix, so that workers on
several machines read and write it.

`[warehouse] backend = "ducklake"`, `catalog = "postgres:dbname=... host=..."`
and `data_path`. A connection is an in-memory DuckDB with the ducklake,
postgres_scanner and httpfs extensions loaded from their PyPI packages
(never downloaded), the lake attached and made the default database, so
every query of the project runs on it unchanged.

What DuckLake lacks, and what stands in for it here:

* No PRIMARY KEY or UNIQUE constraints, so no `INSERT OR IGNORE/REPLACE` and
  no `ON CONFLICT`: `insert_rows` and `upsert` do the same by natural key
  (the key columns of `warehouse.schema`) with an anti-join, or a DELETE /
  UPDATE first.
* No unique constraint means two concurrent transactions appending the same
  key would both commit. Writers therefore hold a PostgreSQL advisory lock
  on the catalog database for their write session (`writing`): loads and
  derives from any number of workers queue for it, commit one after another,
  and a commit that still meets DuckLake's conflict check (a catalog change
  by another client) is retried (`retry_conflicts`). Readers take no lock:
  each query reads the snapshot its transaction began with.
* Creating a DuckLake's catalog tables is not safe from two clients at once:
  the first attach and the migrations run under the same lock.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import duckdb

from claimwire.errors import WarehouseError

ALIAS = "lake"
EXTENSIONS = (
    ("duckdb_extension_ducklake", "ducklake"),
    ("duckdb_extension_postgres_scanner", "postgres_scanner"),
    ("duckdb_extension_httpfs", "httpfs"),
)
MEMORY_LIMIT = "1GB"
CONFLICT_RETRIES = 20

T = TypeVar("T")


class NoLakeYet(WarehouseError):
    """Reading a DuckLake whose catalog nobody has created yet."""


@dataclass(frozen=True)
class DuckLake:
    """Where a DuckLake warehouse is: its catalog and its data path."""

    catalog: str
    data_path: str
    endpoint: str | None = None

    def __str__(self) -> str:
        return f"ducklake:{self.catalog} (data {self.data_path})"

    @property
    def dsn(self) -> str:
        """The catalog's libpq connection string (after "postgres:")."""
        return self.catalog.split(":", 1)[1] if ":" in self.catalog else self.catalog


def is_lake(target: Any) -> bool:
    return isinstance(target, DuckLake)


def extension_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError(f"the DuckLake backend needs the {package} package: "
                             "pip install 'claimwire[scale]'")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise WarehouseError(f"{package} has no {name} extension for DuckDB "
                             f"{duckdb.__version__}: pip install '{package}=={duckdb.__version__}'")
    return path


def _s3_secret(con: duckdb.DuckDBPyConnection, lake: DuckLake) -> None:
    """httpfs credentials for an s3:// data path: AWS_* variables, the endpoint."""
    from claimwire import storage

    parts = [
        "TYPE s3",
        f"KEY_ID '{os.environ.get('AWS_ACCESS_KEY_ID', '')}'",
        f"SECRET '{os.environ.get('AWS_SECRET_ACCESS_KEY', '')}'",
        "REGION '" + (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                      or "us-east-1") + "'",
    ]
    endpoint = (lake.endpoint or storage.registered_endpoint(lake.data_path)
                or os.environ.get("AWS_ENDPOINT_URL"))
    if endpoint:
        where = urlsplit(endpoint)
        parts += [f"ENDPOINT '{where.netloc}'", "URL_STYLE 'path'",
                  f"USE_SSL {'true' if where.scheme == 'https' else 'false'}"]
    con.execute(f"CREATE OR REPLACE SECRET claimwire_s3 ({', '.join(parts)})")


def _attach(lake: DuckLake, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT,
                                             "autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    try:
        for package, name in EXTENSIONS:
            con.execute(f"LOAD '{extension_file(package, name).as_posix()}'")
        if lake.data_path.startswith("s3://"):
            _s3_secret(con, lake)
        options = [f"DATA_PATH '{lake.data_path}'"]
        if read_only:
            options.append("READ_ONLY")
        con.execute(f"ATTACH 'ducklake:{lake.catalog}' AS {ALIAS} ({', '.join(options)})")
        con.execute(f"USE {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        if read_only and "does not exist" in str(exc):
            raise NoLakeYet(f"no warehouse at {lake} yet: run `claimwire ingest` or `demo` "
                            "first") from exc
        raise WarehouseError(f"cannot open DuckLake warehouse {lake}: "
                             f"{str(exc).splitlines()[0]}") from exc
    except BaseException:
        con.close()
        raise
    return con


@contextlib.contextmanager
def advisory_lock(lake: DuckLake, name: str, wait_seconds: float) -> Iterator[None]:
    """A PostgreSQL advisory lock named `name` on the catalog's database."""
    try:
        import psycopg2
    except ImportError as exc:  # pragma: no cover - the scale extra is missing
        raise WarehouseError("the DuckLake backend needs psycopg2: "
                             "pip install 'claimwire[scale]'") from exc
    key = zlib.crc32(f"claimwire:{name}".encode())
    try:
        pg = psycopg2.connect(lake.dsn, connect_timeout=10)
    except psycopg2.Error as exc:
        raise WarehouseError(f"cannot reach DuckLake catalog {lake.catalog}: "
                             f"{str(exc).strip().splitlines()[0]}") from exc
    try:
        pg.autocommit = True
        with pg.cursor() as cur:
            cur.execute("SET lock_timeout = %s", [f"{max(1, int(wait_seconds * 1000))}ms"])
            try:
                cur.execute("SELECT pg_advisory_lock(%s)", [key])
            except psycopg2.errors.LockNotAvailable as exc:
                raise WarehouseError(f"DuckLake warehouse {lake} is being written by another "
                                     f"process; gave up after waiting {wait_seconds:.0f}s") \
                    from exc
        yield
    finally:
        pg.close()  # ends the session: the lock goes with it


def connect(lake: DuckLake, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return _attach(lake, read_only)


def is_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.TransactionException) or "conflict" in text


def retry_conflicts(work: Callable[[], T], attempts: int = CONFLICT_RETRIES) -> T:
    """`work()`, again after a short random wait when its commit lost a
    conflict to another writer (DuckLake's optimistic concurrency)."""
    for attempt in range(attempts):
        try:
            return work()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def on_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the connection's default database is a DuckLake."""
    row = con.execute("SELECT type FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


def _key_match(table: str, source: str, keys: Sequence[str]) -> str:
    return " AND ".join(f"{table}.{k} = {source}.{k}" for k in keys)


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, source: str, keys: Sequence[str],
    mode: str | None,
) -> int:
    """`INSERT OR <mode> INTO table BY NAME SELECT * FROM source` without a
    primary key: IGNORE adds the rows whose key is new (the first of equal
    ones), REPLACE deletes the stored rows of the incoming keys first (the
    last of equal ones wins), None inserts all. Returns the rows inserted."""
    if mode is None or not keys:
        return con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source}").fetchone()[0]
    partition = ", ".join(keys)
    where = ["cw_row = 1"]
    if mode.upper() == "REPLACE":
        con.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {source} s "
                    f"WHERE {_key_match(table, 's', keys)})")
        order = "DESC"
    else:
        order = "ASC"
        where.append(f"NOT EXISTS (SELECT 1 FROM {table} WHERE {_key_match(table, 'r', keys)})")
    return con.execute(f"""
        INSERT INTO {table} BY NAME
        SELECT * EXCLUDE (cw_row, cw_pos) FROM (
            SELECT *, row_number() OVER (PARTITION BY {partition}
                                         ORDER BY cw_pos {order}) AS cw_row
            FROM (SELECT *, row_number() OVER () AS cw_pos FROM {source})
        ) r WHERE {" AND ".join(where)}""").fetchone()[0]


def upsert(
    con: duckdb.DuckDBPyConnection, table: str, source: str, keys: Sequence[str],
    sets: dict[str, str],
) -> None:
    """`INSERT INTO table BY NAME SELECT * FROM source ON CONFLICT (keys) DO
    UPDATE SET col = expr` on either backend; `expr` may name `excluded.col`
    and `table.col` as in DuckDB's upsert."""
    assignments = ", ".join(f"{c} = {e}" for c, e in sets.items())
    if not on_lake(con):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source} "
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {assignments}")
        return
    con.execute(f"UPDATE {table} SET {assignments} FROM {source} AS excluded "
                f"WHERE {_key_match(table, 'excluded', keys)}")
    insert_rows(con, table, source, keys, "IGNORE")

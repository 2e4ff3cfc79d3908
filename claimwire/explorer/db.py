"""One short-lived read-only connection per request.

DuckDB lets no other process write while a reader holds the file, so the
explorer never keeps a connection across requests: a load waits at most for
the request in flight. While a load holds the lock, a request waits briefly
and then gives up with `WarehouseBusy`, which the app answers with a
"being updated, retry in a moment" page and a Retry-After header.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from claimwire.errors import WarehouseError
from claimwire.warehouse.db import connect

# Long enough to ride out the start or end of a load transaction, short
# enough that a person is told what is happening instead of staring at a spinner.
BUSY_WAIT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 10


class WarehouseBusy(RuntimeError):
    """A load holds the warehouse's write lock; try again shortly."""


class WarehouseMissing(RuntimeError):
    """There is no warehouse at the configured path (or it cannot be opened)."""


@contextlib.contextmanager
def reader(path: Path, wait_seconds: float | None = None
           ) -> Iterator[duckdb.DuckDBPyConnection]:
    waited_on_lock: list[str] = []
    try:
        con = connect(path, read_only=True,
                      wait_seconds=BUSY_WAIT_SECONDS if wait_seconds is None else wait_seconds,
                      on_wait=waited_on_lock.append)
    except WarehouseError as exc:
        # `connect` reports through on_wait only when it met the write lock.
        if waited_on_lock:
            raise WarehouseBusy(str(exc)) from exc
        raise WarehouseMissing(str(exc)) from exc
    try:
        yield con
    finally:
        con.close()

"""PostgreSQL for tests: the local server (127.0.0.1:5432, trust auth), one
uniquely named database per use, dropped after, so parallel test workers
never share one. Skips with a reason where no server answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

HOST = os.environ.get("CLAIMWIRE_TEST_PGHOST", "127.0.0.1")
USER = os.environ.get("CLAIMWIRE_TEST_PGUSER", "postgres")


def _admin():
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
    try:
        con = psycopg2.connect(host=HOST, user=USER, dbname="postgres", connect_timeout=3)
    except psycopg2.Error as exc:
        pytest.skip(f"no PostgreSQL server at {HOST}:5432 ({str(exc).strip()[:80]})")
    con.autocommit = True
    return con


@contextmanager
def fresh_database(prefix: str = "cw_test") -> Iterator[str]:
    """A new empty database; yields its libpq connection string."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield f"dbname={name} host={HOST} user={USER}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

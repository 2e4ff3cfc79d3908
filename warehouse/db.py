"""Opening the DuckDB warehouse, and bringing its schema up to date.

DuckDB allows one writing process at a time and no readers beside it in
other processes; every open here retries on the file lock for a while with a
clear message, so a `claimwire sql` during a load waits instead of failing,
and a load never fails because a reader was briefly open.

The same functions open a DuckLake warehouse (`warehouse.backends`) when
given its `DuckLake` target (`Config.warehouse`) instead of a file path:
the schema, views and migrations below serve both.
"""

from __future__ import annotations

import contextlib
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from duckdb_engine import Dialect
from sqlalchemy import Table
from sqlalchemy.schema import CreateTable

from claimwire.errors import WarehouseError
from claimwire.warehouse import backends, schema, views
from claimwire.warehouse.backends import DuckLake, is_lake

LOCK_WAIT_SECONDS = 60.0
# DuckDB would take 80% of the machine's memory for its buffers; loads and
# queries spill to disk past this instead, so a nightly run stays bounded.
MEMORY_LIMIT = "1GB"


# DuckDB's lock error names the holder: "... is held in /usr/bin/python3 (PID 123) ..."
_LOCK_HOLDER = re.compile(r"held in (.+?) \(PID (\d+)\)")


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def lock_holder(exc: Exception) -> str:
    """"PID 123 (/usr/bin/python3)" from DuckDB's lock error, or "another process"."""
    found = _LOCK_HOLDER.search(str(exc))
    return f"PID {found[2]} ({found[1]})" if found else "another process"


def connect(
    path: Path | DuckLake,
    *,
    read_only: bool = False,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; wait for a lock held by another process."""
    if is_lake(path):
        return backends.connect(path, read_only=read_only)
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path} yet: run `claimwire ingest` or `demo` first")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create {path.parent}: {exc.strerror}") from exc
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(
                str(path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT}
            )
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseError(
                    f"warehouse {path} is held by {lock_holder(exc)}; "
                    f"gave up after waiting {wait_seconds:.0f}s"
                ) from exc
            if not told:
                mode = "writing" if read_only else "using"
                message = (f"warehouse {path} is busy ({lock_holder(exc)} is {mode} it); "
                           f"waiting up to {wait_seconds:.0f}s...")
                (on_wait or (lambda m: print(m, file=sys.stderr)))(message)
                told = True
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc


@contextlib.contextmanager
def open_warehouse(
    path: Path | DuckLake, wait_seconds: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse for writing, created or migrated first; waits up to
    `wait_seconds` for another process to let go of the file (of a DuckLake:
    for the other writers, see `warehouse.backends`)."""
    if is_lake(path):
        with backends.advisory_lock(path, "write", wait_seconds):
            con = connect(path)
            try:
                migrate(con)
                yield con
            finally:
                con.close()
        return
    con = connect(path, wait_seconds=wait_seconds)
    try:
        migrate(con)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def reading(
    path: Path | DuckLake,
    on_wait: Callable[[str], None] | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only; waits (saying so through `on_wait`) up to
    `wait_seconds` while a load holds the lock; WarehouseError when there is no
    warehouse yet."""
    con = connect(path, read_only=True, on_wait=on_wait, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure without hiding it: when the failure already
    ended the transaction (a full disk does), ROLLBACK itself raises "no
    transaction is active", which would replace the real reason."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def table_ddl(table: Table, *, lake: bool = False) -> str:
    """CREATE TABLE IF NOT EXISTS for `table`; on a DuckLake without the
    primary key, which DuckLake has not (`warehouse.backends` keeps the keys)."""
    if not lake:
        return str(CreateTable(table, if_not_exists=True).compile(dialect=Dialect()))
    columns = ", ".join(
        f"{c.name} {c.type.compile(dialect=Dialect())}{'' if c.nullable else ' NOT NULL'}"
        for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({columns})"


def _create(*tables: Table) -> Callable[[duckdb.DuckDBPyConnection], None]:
    def apply(con: duckdb.DuckDBPyConnection) -> None:
        lake = backends.on_lake(con)
        for table in tables:
            con.execute(table_ddl(table, lake=lake))

    return apply


def _dedup_migration(con: duckdb.DuckDBPyConnection) -> None:
    # Near-duplicate index, story terms, claim terms; the views read claims.
    _create(
        schema.article_signatures,
        schema.article_band_keys,
        schema.article_duplicates,
        schema.article_terms,
        schema.claim_terms,
    )(con)


def _add_columns(table: Table, *names: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """Columns added to a table after it first shipped (a new warehouse gets them
    from its CREATE TABLE already)."""

    def apply(con: duckdb.DuckDBPyConnection) -> None:
        for name in names:
            kind = table.c[name].type.compile(dialect=Dialect())
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {name} {kind}")

    return apply


def _speakers_migration(con: duckdb.DuckDBPyConnection) -> None:
    _add_columns(schema.claims, "speaker_id", "speaker_aliases", "date_note")(con)
    _create(schema.speakers, schema.speaker_keys)(con)


def _incremental_derive_migration(con: duckdb.DuckDBPyConnection) -> None:
    from claimwire.transform.derive.clusters import CLAIM_TERMS
    from claimwire.transform.derive.stories import ARTICLE_TERMS

    _add_columns(schema.derive_queue, "attempts", "last_error", "set_aside_at")(con)
    _create(schema.article_term_lists, schema.article_terms_df, schema.article_rare_terms,
            schema.claim_term_lists, schema.claim_terms_df, schema.claim_rare_terms)(con)
    # The term rows of the first version become the term index, then go.
    day = "datediff('day', DATE '1970-01-01', {})"
    for index, old, when, source in (
        (ARTICLE_TERMS, "article_terms", "coalesce(a.published_at, a.first_seen_at)",
         "articles a"),
        (CLAIM_TERMS, "claim_terms", "CAST(coalesce(x.published_at, x.first_seen_at) AS DATE)",
         "claims a JOIN articles x USING (article_id)"),
    ):
        key = index.key
        con.execute(f"""
            INSERT INTO {index.lists} BY NAME
            SELECT t.{key}, list(t.term ORDER BY t.term) AS terms, {day.format(when)} AS day
            FROM {old} t JOIN {source} ON a.{key} = t.{key} GROUP BY ALL""")
        con.execute(f"INSERT INTO {index.df} SELECT term, count(*) FROM {old} GROUP BY term")
        if old == "claim_terms":
            con.execute("UPDATE claim_term_lists SET cluster_id = c.claim_cluster_id FROM claims c "
                        "WHERE claim_term_lists.claim_id = c.claim_id")
        con.execute(f"""
            INSERT INTO {index.rare} BY NAME
            SELECT r.term, r.{key}, l.day FROM {old} r
            JOIN {index.df} d ON d.term = r.term JOIN {index.lists} l ON l.{key} = r.{key}
            WHERE d.n <= {index.ceiling} ORDER BY l.day, r.term""")
        con.execute(f"DROP TABLE {old}")


def _search_index_migration(con: duckdb.DuckDBPyConnection) -> None:
    from claimwire.transform.derive import search

    _create(schema.search_stopwords, schema.search_terms, schema.search_docs,
            *schema.search_postings, schema.search_stats)(con)
    # The snapshot index of DuckDB's fts extension is replaced by these tables.
    con.execute("DROP SCHEMA IF EXISTS fts_main_articles CASCADE")
    # Without the extension: indexed by `claimwire derive --rebuild-search` later.
    with contextlib.suppress(search.SearchUnavailable):
        search.rebuild_index(con)


def _cluster_stats_migration(con: duckdb.DuckDBPyConnection) -> None:
    _create(schema.claim_cluster_stats)(con)
    # Filled by the next migration, with the contradiction sides.


def _contradiction_sides_migration(con: duckdb.DuckDBPyConnection) -> None:
    from claimwire.transform.derive.clusters import summarize_all_clusters

    _create(schema.claim_cluster_stats, schema.contradiction_sides)(con)
    views.create_views(con)  # the summaries read claim_timeline
    summarize_all_clusters(con)


def _unindexed_keys_migration(con: duckdb.DuckDBPyConnection) -> None:
    # Tables made before their keys became natural keys (see `schema`) are
    # copied into tables without the key's index, in their stored order.
    indexed = {r[0] for r in con.execute(
        "SELECT DISTINCT table_name FROM duckdb_constraints() "
        "WHERE schema_name = 'main' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
    ).fetchall()}
    for table in schema.metadata.sorted_tables:
        natural = any(c.info.get("natural_key") for c in table.columns)
        if not natural or table.name not in indexed:
            continue
        con.execute(f"ALTER TABLE {table.name} RENAME TO {table.name}_indexed")
        con.execute(table_ddl(table))
        con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM {table.name}_indexed")
        con.execute(f"DROP TABLE {table.name}_indexed")


def _feed_list_migration(con: duckdb.DuckDBPyConnection) -> None:
    _add_columns(schema.feeds, "listed")(con)
    # Before this, every stored feed was polled: they all stay in the list.
    con.execute("UPDATE feeds SET listed = true")
    _create(schema.page_retries)(con)


def _band_key_days_migration(con: duckdb.DuckDBPyConnection) -> None:
    from claimwire.transform.derive.near_duplicates import ARTICLE_DAY

    _add_columns(schema.article_band_keys, "day")(con)
    # One pass over the stored keys, in their order (zone maps stay tight).
    con.execute(f"UPDATE article_band_keys SET day = {ARTICLE_DAY} FROM articles "
                "WHERE articles.article_id = article_band_keys.article_id")


# Every schema change is a dated migration, applied once, in order.
MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    (
        "2026-11-23-01-initial",
        _create(
            schema.feeds,
            schema.feed_items,
            schema.fetches,
            schema.documents,
            schema.articles,
            schema.article_urls,
            schema.claims,
            schema.claim_mentions,
            schema.runs,
        ),
    ),
    ("2026-11-23-02-dedup", _dedup_migration),
    ("2026-11-23-03-derive-queue", _create(schema.derive_queue)),
    (
        "2026-12-05-01-article-metadata",
        _add_columns(schema.articles, "authors", "published_precision", "language_markup",
                     "language_detected", "body_source", "extract_error", "claims_skipped"),
    ),
    ("2026-12-05-02-speakers", _speakers_migration),
    ("2026-12-05-03-incremental-derive", _incremental_derive_migration),
    ("2026-12-05-04-search-index", _search_index_migration),
    ("2026-12-05-05-cluster-stats", _cluster_stats_migration),
    ("2026-12-05-06-unindexed-keys", _unindexed_keys_migration),
    ("2026-12-05-07-contradiction-sides", _contradiction_sides_migration),
    ("2026-12-05-17-feed-list", _feed_list_migration),
    ("2026-12-05-18-band-key-days", _band_key_days_migration),
]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations; return the versions applied."""
    con.execute(table_ddl(schema.schema_migrations, lake=backends.on_lake(con)))
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, apply in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            apply(con)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?)",
                [version, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception:
            rollback(con)
            raise
        applied.append(version)
    if applied:
        # Views are not versioned: they are made anew over the current tables.
        views.create_views(con)
    return applied

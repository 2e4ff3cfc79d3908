"""Queries over the warehouse that the pipeline and the CLI run: what to poll,
what to transform, what to show. (The warehouse is also open to plain SQL.)"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import duckdb

from claimwire.records import FeedState, PendingDocument

# When a claim was made: its own date, else its article's publication date.
CLAIM_DAY = "coalesce(c.claimed_on, CAST(a.published_at AS DATE))"


@dataclass(frozen=True)
class ClaimFilter:
    speaker: str | None = None
    stance: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None
    limit: int = 200


def contains_pattern(text: str) -> str:
    """An ILIKE pattern (with ESCAPE '\\') matching `text` literally anywhere: the
    user's "%" and "_" are characters, not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def day_range(day: str, since: date | None, until: date | None) -> tuple[list[str], list[Any]]:
    """Conditions (with their parameters) keeping the SQL expression `day` within
    since..until, both ends included; an end that is None is open."""
    where: list[str] = []
    params: list[Any] = []
    if since:
        where.append(f"{day} >= ?")
        params.append(since)
    if until:
        where.append(f"{day} <= ?")
        params.append(until)
    return where, params


def find_claims(
    con: duckdb.DuckDBPyConnection, wanted: ClaimFilter
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Claims with their article, newest statement first.

    The date filters apply to when the claim was made, falling back to the
    article's publication date when the text does not say.
    """
    where = ["a.duplicate_of IS NULL"]
    params: list[Any] = []
    if wanted.speaker:
        # Any spelling of the speaker's identity finds all of its claims; the
        # user's "%" and "_" are characters, not wildcards.
        like = "ILIKE ? ESCAPE '\\'"
        where.append(
            f"(c.speaker {like} OR c.speaker_canonical {like} OR c.speaker_id IN ("
            f"SELECT speaker_id FROM speakers WHERE canonical {like} "
            f"OR len(list_filter(aliases, x -> x {like})) > 0))")
        params += [contains_pattern(wanted.speaker)] * 4
    if wanted.stance:
        where.append("c.stance = ?")
        params.append(wanted.stance)
    day = CLAIM_DAY
    in_range, range_params = day_range(day, wanted.since, wanted.until)
    where += in_range
    params += range_params
    if wanted.text:
        for word in wanted.text.split():
            where.append("c.content ILIKE ? ESCAPE '\\'")
            params.append(contains_pattern(word))
    sql = f"""
        SELECT {day} AS day, c.speaker_canonical AS speaker, c.stance, c.quote_type AS quote,
               c.cue, c.content, a.site, a.title
        FROM claims c JOIN articles a USING (article_id)
        WHERE {' AND '.join(where)}
        ORDER BY day DESC NULLS LAST, a.site, c.seq
        LIMIT {int(wanted.limit)}
    """
    cursor = con.execute(sql, params)
    return [d[0] for d in cursor.description], cursor.fetchall()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = [
        "feeds", "feed_items", "fetches", "documents", "articles", "article_urls", "claims",
        "claim_mentions", "speakers", "runs", "derive_queue",
    ]
    counts = {}
    for name in names:
        try:
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        except duckdb.Error:
            counts[name] = 0
    return counts


def derive_failures(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Queued articles whose derive failed, with the cause and whether they are set aside."""
    cursor = con.execute(
        """
        SELECT q.article_id, a.url, q.attempts, q.set_aside_at IS NOT NULL AS set_aside,
               q.last_error
        FROM derive_queue q LEFT JOIN articles a USING (article_id)
        WHERE q.attempts > 0 ORDER BY q.set_aside_at DESC NULLS LAST, q.attempts DESC
        LIMIT 20
        """
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def feed_status(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(
        """
        SELECT feed_url, coalesce(name, title) AS name, last_result, last_status,
               last_polled_at, items_seen, consecutive_failures AS failures,
               CASE WHEN disabled THEN coalesce(disabled_reason, 'disabled') END AS disabled,
               last_error
        FROM feeds ORDER BY feed_url
        """
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def last_runs(con: duckdb.DuckDBPyConnection, limit: int = 5) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(
        f"""
        SELECT run_id, kind, status, started_at, ended_at, feeds_polled, items_new,
               articles_loaded, claims_loaded, errors
        FROM runs ORDER BY started_at DESC LIMIT {int(limit)}
        """
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def derive_queue_size(con: duckdb.DuckDBPyConnection) -> int:
    """Loaded articles waiting for the derive step (not those set aside)."""
    return con.execute(
        "SELECT count(*) FROM derive_queue WHERE set_aside_at IS NULL").fetchone()[0]


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stored_feeds(con: duckdb.DuckDBPyConnection) -> list[FeedState]:
    """Every feed in the warehouse's feed list, with what its polls learnt."""
    names = ", ".join(f.name for f in fields(FeedState))
    return [FeedState(**row) for row in _rows(con.execute(f"SELECT {names} FROM feeds"))]


_PENDING = ", ".join(f"d.{f.name}" for f in fields(PendingDocument))


def pending_documents(
    con: duckdb.DuckDBPyConnection, window: tuple[datetime, datetime] | None = None
) -> list[PendingDocument]:
    """Documents waiting for their transform; with a (naive UTC) window instead,
    every document published in it, whatever its status (a backfill re-processes)."""
    if window is None:
        cursor = con.execute(
            f"SELECT {_PENDING} FROM documents d WHERE d.status = 'pending' ORDER BY d.doc_id")
    else:
        cursor = con.execute(
            f"SELECT {_PENDING} FROM documents d LEFT JOIN articles a ON a.doc_id = d.doc_id "
            "WHERE coalesce(d.published_at, a.published_at) >= ? "
            "AND coalesce(d.published_at, a.published_at) < ? ORDER BY d.doc_id",
            list(window),
        )
    return [PendingDocument(**row) for row in _rows(cursor)]


def archived_documents(
    con: duckdb.DuckDBPyConnection, first_day: date | None, last_day: date | None
) -> list[dict[str, Any]]:
    """Documents whose raw bytes are archived, fetched or published in the days
    given (both inclusive), oldest fetch first: what `export-warc` writes."""
    where, params = "raw_sha256 IS NOT NULL", []
    if first_day:
        where += " AND coalesce(published_at, fetched_at) >= ?"
        params.append(first_day)
    if last_day:
        where += " AND CAST(coalesce(published_at, fetched_at) AS DATE) <= ?"
        params.append(last_day)
    return _rows(con.execute(
        "SELECT coalesce(final_url, url) AS url, raw_sha256, fetched_at, content_type "
        f"FROM documents WHERE {where} ORDER BY fetched_at", params))


def article_overview(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Original articles by publication date, with their number of claims."""
    cursor = con.execute(
        """
        SELECT CAST(published_at AS DATE) AS published, site, title,
               length(text) AS chars,
               (SELECT count(*) FROM claims c WHERE c.article_id = a.article_id) AS claims
        FROM articles a WHERE duplicate_of IS NULL
        ORDER BY published_at, title
        """
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def claim_overview(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every claim of an original article, by day and speaker."""
    cursor = con.execute(
        """
        SELECT coalesce(c.claimed_on, CAST(a.published_at AS DATE)) AS day,
               c.speaker_canonical AS speaker, c.stance, c.quote_type AS quote, c.content
        FROM claims c JOIN articles a USING (article_id)
        WHERE a.duplicate_of IS NULL
        ORDER BY day, speaker
        """
    )
    return [d[0] for d in cursor.description], cursor.fetchall()


def failed_fetches(
    con: duckdb.DuckDBPyConnection, *, run_id: str | None = None, since: datetime | None = None,
    examples: int = 3,
) -> list[tuple[str, str, int, list[str], datetime]]:
    """Failed fetches (of one run, or since a time) by kind and error text:
    (kind, error, count, the first few URLs, last seen), most frequent first."""
    where, params = ["error IS NOT NULL"], []
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    if since is not None:
        where.append("fetched_at >= ?")
        params.append(since)
    return con.execute(
        f"""SELECT kind, error, count(*) AS n,
                   list(DISTINCT url)[1:{int(examples)}] AS urls, max(fetched_at) AS last_seen
            FROM fetches WHERE {' AND '.join(where)}
            GROUP BY kind, error ORDER BY n DESC, kind, error""", params).fetchall()


def page_retries(
    con: duckdb.DuckDBPyConnection, feed_urls: list[str] | None = None, *,
    due_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Item pages whose fetch failed and that are still to be retried (of the given
    feeds; with `due_at`, only those due by then), oldest attempt first."""
    where, params = ["next_attempt_at IS NOT NULL"], []
    if due_at is not None:
        where.append("next_attempt_at <= ?")
        params.append(due_at)
    sql = f"SELECT * FROM page_retries WHERE {' AND '.join(where)}"
    if feed_urls is not None:
        with_feeds = ", ".join("?" for _ in feed_urls) or "NULL"
        sql += f" AND feed_url IN ({with_feeds})"
        params += feed_urls
    return _rows(con.execute(sql + " ORDER BY last_attempt_at", params))

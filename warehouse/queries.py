"""Read-side queries the CLI offers (the warehouse is also open to plain SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb


@dataclass(frozen=True)
class ClaimFilter:
    speaker: str | None = None
    stance: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None
    limit: int = 200


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
        where.append("(c.speaker ILIKE ? OR c.speaker_canonical ILIKE ?)")
        params += [f"%{wanted.speaker}%"] * 2
    if wanted.stance:
        where.append("c.stance = ?")
        params.append(wanted.stance)
    day = "coalesce(c.claimed_on, CAST(a.published_at AS DATE))"
    if wanted.since:
        where.append(f"{day} >= ?")
        params.append(wanted.since)
    if wanted.until:
        where.append(f"{day} <= ?")
        params.append(wanted.until)
    if wanted.text:
        for word in wanted.text.split():
            where.append("c.content ILIKE ?")
            params.append(f"%{word}%")
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
        "claim_mentions", "runs", "derive_queue",
    ]
    counts = {}
    for name in names:
        try:
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        except duckdb.Error:
            counts[name] = 0
    return counts


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

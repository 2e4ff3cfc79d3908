"""The explorer's read-side SQL: one function per thing a page shows.

Every value reaches DuckDB as a bound parameter; only fixed SQL fragments
chosen here are ever put together. Copies (near or exact duplicates) keep no
claims, so claim listings read original articles only, as the views do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from claimwire.explorer.params import Paging, SearchParams

DAY = "coalesce(c.claimed_on, CAST(a.published_at AS DATE))"
# Enough for any chart a person can read; beyond it the page says how many were left out.
CHART_LIMIT = 1000
CONTRADICTION_LIMIT = 100


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    paging: Paging
    has_next: bool


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = _dicts(con.execute(sql, params))
    return rows[0] if rows else None


def _page(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], paging: Paging) -> Page:
    # One row more than the page tells whether a next page exists without counting them all.
    rows = _dicts(con.execute(f"{sql} LIMIT ? OFFSET ?", [*params, paging.size + 1,
                                                          paging.offset]))
    return Page(rows[: paging.size], paging, len(rows) > paging.size)


def like(word: str) -> str:
    """A substring pattern for ILIKE ... ESCAPE '\\' that matches the word literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _speaker_condition(name: str) -> tuple[str, list[Any]]:
    # Any spelling of an identity finds all of its claims (as `claimwire claims` does);
    # the speakers table is small, so it is searched instead of every claim.
    pattern = like(name)
    sql = ("(c.speaker_id IN (SELECT speaker_id FROM speakers WHERE canonical ILIKE ? ESCAPE '\\'"
           " OR len(list_filter(aliases, x -> x ILIKE ? ESCAPE '\\')) > 0)"
           " OR c.speaker_canonical ILIKE ? ESCAPE '\\')")
    return sql, [pattern, pattern, pattern]


def _claim_filters(p: SearchParams) -> tuple[list[str], list[Any]]:
    where, params = ["a.duplicate_of IS NULL"], []
    if p.speaker:
        sql, values = _speaker_condition(p.speaker)
        where.append(sql)
        params += values
    if p.stance:
        where.append("c.stance = ?")
        params.append(p.stance)
    if p.since:
        where.append(f"{DAY} >= ?")
        params.append(p.since)
    if p.until:
        where.append(f"{DAY} <= ?")
        params.append(p.until)
    if p.site:
        where.append("a.site = ?")
        params.append(p.site)
    if p.story:
        where.append("a.story_id = ?")
        params.append(p.story)
    return where, params


def search_claims(con: duckdb.DuckDBPyConnection, p: SearchParams) -> Page:
    """Claims whose wording contains every word of the query, newest statement first."""
    where, params = _claim_filters(p)
    for word in p.q.split():
        where.append("c.content ILIKE ? ESCAPE '\\'")
        params.append(like(word))
    sql = f"""
        SELECT c.claim_id, c.article_id, coalesce(c.speaker_canonical, c.speaker) AS speaker,
               c.speaker_id, c.stance, {DAY} AS day, c.cue, c.content,
               a.site, a.title, a.story_id
        FROM claims c JOIN articles a USING (article_id)
        WHERE {' AND '.join(where)}
        ORDER BY day DESC NULLS LAST, c.claim_id
    """
    return _page(con, sql, params, p.paging)


def _article_filters(p: SearchParams) -> tuple[list[str], list[Any]]:
    where, params = ["a.duplicate_of IS NULL"], []
    if p.site:
        where.append("a.site = ?")
        params.append(p.site)
    if p.story:
        where.append("a.story_id = ?")
        params.append(p.story)
    if p.since:
        where.append("CAST(a.published_at AS DATE) >= ?")
        params.append(p.since)
    if p.until:
        where.append("CAST(a.published_at AS DATE) <= ?")
        params.append(p.until)
    if p.speaker or p.stance:
        # An article qualifies through one claim that meets both claim filters.
        inner, inner_params = ["c.article_id = a.article_id"], []
        if p.speaker:
            sql, values = _speaker_condition(p.speaker)
            inner.append(sql)
            inner_params += values
        if p.stance:
            inner.append("c.stance = ?")
            inner_params.append(p.stance)
        where.append(f"EXISTS (SELECT 1 FROM claims c WHERE {' AND '.join(inner)})")
        params += inner_params
    return where, params


_ARTICLE_COLUMNS = """a.article_id, a.title, a.site, a.url, a.published_at, a.story_id,
       (SELECT count(*) FROM claims c WHERE c.article_id = a.article_id) AS claims"""


def browse_articles(con: duckdb.DuckDBPyConnection, p: SearchParams) -> Page:
    """Articles meeting the filters, newest first (the search page without words)."""
    where, params = _article_filters(p)
    sql = f"""
        SELECT {_ARTICLE_COLUMNS}
        FROM articles a WHERE {' AND '.join(where)}
        ORDER BY a.published_at DESC NULLS LAST, a.article_id
    """
    return _page(con, sql, params, p.paging)


def filter_articles(con: duckdb.DuckDBPyConnection, ids: list[str], p: SearchParams
                    ) -> set[str]:
    """The ids among `ids` (full-text hits) that meet the filters."""
    if not ids:
        return set()
    where, params = _article_filters(p)
    rows = con.execute(
        f"SELECT a.article_id FROM articles a WHERE a.article_id = ANY(?) AND "
        f"{' AND '.join(where)}", [ids, *params]).fetchall()
    return {r[0] for r in rows}


def article_extras(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Story and claim count of full-text hits (the search module does not return them)."""
    if not ids:
        return {}
    rows = _dicts(con.execute(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE a.article_id = ANY(?)", [ids]))
    return {r["article_id"]: r for r in rows}


def sites(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT site FROM articles WHERE site IS NOT NULL ORDER BY site").fetchall()]


def story_labels(con: duckdb.DuckDBPyConnection, story_ids: list[str]) -> dict[str, str]:
    """A story has no name of its own: its first original article's title stands for it."""
    ids = [s for s in story_ids if s]
    if not ids:
        return {}
    rows = con.execute(
        "SELECT story_id, arg_min(coalesce(title, url), coalesce(published_at, first_seen_at)) "
        "FROM articles WHERE story_id = ANY(?) AND duplicate_of IS NULL GROUP BY story_id",
        [ids]).fetchall()
    return {story_id: label for story_id, label in rows}


# --- speaker ---

def speaker(con: duckdb.DuckDBPyConnection, speaker_id: str) -> dict[str, Any] | None:
    return _one(con, "SELECT speaker_id, canonical, type, aliases FROM speakers "
                     "WHERE speaker_id = ?", [speaker_id])


_SPEAKER_CLAIMS = f"""
    SELECT c.claim_id, c.article_id, c.speaker AS wording, c.stance, {DAY} AS day,
           c.cue, c.content, c.quote_type, c.claim_cluster_id, a.site, a.title, a.story_id
    FROM claims c JOIN articles a USING (article_id)
    WHERE c.speaker_id = ? AND a.duplicate_of IS NULL
"""


def speaker_claim_count(con: duckdb.DuckDBPyConnection, speaker_id: str) -> int:
    return con.execute(f"SELECT count(*) FROM ({_SPEAKER_CLAIMS})", [speaker_id]).fetchone()[0]


def speaker_chart_claims(con: duckdb.DuckDBPyConnection, speaker_id: str
                         ) -> list[dict[str, Any]]:
    """The newest dated claims, at most CHART_LIMIT, for the chart."""
    return _dicts(con.execute(
        f"SELECT * FROM ({_SPEAKER_CLAIMS}) WHERE day IS NOT NULL "
        "ORDER BY day DESC, claim_id LIMIT ?", [speaker_id, CHART_LIMIT]))


def speaker_claims(con: duckdb.DuckDBPyConnection, speaker_id: str, paging: Paging) -> Page:
    return _page(con, f"SELECT * FROM ({_SPEAKER_CLAIMS}) ORDER BY day DESC NULLS LAST, claim_id",
                 [speaker_id], paging)


def stance_changes(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """Rows of the view `speaker_stance_changes` for one speaker (the view names
    speakers by their identity's canonical name)."""
    return _dicts(con.execute(
        "SELECT * FROM speaker_stance_changes WHERE speaker = ? ORDER BY to_date, cluster_id",
        [name]))


def speakers_named(con: duckdb.DuckDBPyConnection, name: str, limit: int = 20
                   ) -> list[dict[str, Any]]:
    """Identities whose name or an alias contains `name`; an exact name first."""
    pattern = like(name)
    return _dicts(con.execute(
        "SELECT speaker_id, canonical, type, aliases FROM speakers "
        "WHERE canonical ILIKE ? ESCAPE '\\' "
        "OR len(list_filter(aliases, x -> x ILIKE ? ESCAPE '\\')) > 0 "
        "ORDER BY lower(canonical) <> lower(?), "
        "NOT list_contains(list_transform(aliases, x -> lower(x)), lower(?)), canonical "
        "LIMIT ?", [pattern, pattern, name, name, limit]))


# --- story ---

_STORY_ARTICLE_COLUMNS = """a.article_id, a.site, a.title, a.url, a.published_at, a.authors,
       a.duplicate_of, d.similarity, d.method"""


def story_articles(con: duckdb.DuckDBPyConnection, story_id: str) -> list[dict[str, Any]]:
    """The story's articles and every copy of them, originals first."""
    originals = _dicts(con.execute(
        f"SELECT {_STORY_ARTICLE_COLUMNS} FROM articles a "
        "LEFT JOIN article_duplicates d USING (article_id) "
        "WHERE a.story_id = ? ORDER BY a.published_at NULLS LAST, a.article_id", [story_id]))
    ids = [r["article_id"] for r in originals]
    copies = _dicts(con.execute(
        f"SELECT {_STORY_ARTICLE_COLUMNS} FROM articles a "
        "LEFT JOIN article_duplicates d USING (article_id) "
        "WHERE a.duplicate_of = ANY(?) AND a.article_id <> ALL(?) "
        "ORDER BY a.published_at NULLS LAST, a.article_id", [ids, ids])) if ids else []
    return originals + copies


_STORY_CLAIMS = f"""
    SELECT c.claim_id, c.article_id, coalesce(c.speaker_canonical, c.speaker) AS speaker,
           c.speaker_id, c.stance, {DAY} AS day, c.cue, c.content, c.claim_cluster_id,
           a.site, a.title
    FROM claims c JOIN articles a USING (article_id)
    WHERE a.story_id = ? AND a.duplicate_of IS NULL
"""


def story_chart_claims(con: duckdb.DuckDBPyConnection, story_id: str) -> list[dict[str, Any]]:
    return _dicts(con.execute(
        f"SELECT * FROM ({_STORY_CLAIMS}) WHERE day IS NOT NULL "
        "ORDER BY day DESC, claim_id LIMIT ?", [story_id, CHART_LIMIT]))


def story_claim_count(con: duckdb.DuckDBPyConnection, story_id: str) -> int:
    return con.execute(f"SELECT count(*) FROM ({_STORY_CLAIMS})", [story_id]).fetchone()[0]


def story_claims(con: duckdb.DuckDBPyConnection, story_id: str, paging: Paging) -> Page:
    return _page(con, f"SELECT * FROM ({_STORY_CLAIMS}) ORDER BY day NULLS LAST, speaker, "
                      "claim_id", [story_id], paging)


def story_contradictions(con: duckdb.DuckDBPyConnection, story_id: str
                         ) -> list[dict[str, Any]]:
    """Rows of the view `contradictions` whose cluster has a claim in the story."""
    return _dicts(con.execute(
        "SELECT * FROM contradictions WHERE cluster_id IN ("
        "  SELECT c.claim_cluster_id FROM claims c JOIN articles a USING (article_id)"
        "  WHERE a.story_id = ? AND a.duplicate_of IS NULL AND c.claim_cluster_id IS NOT NULL)"
        " ORDER BY cluster_id, date_a NULLS LAST, speaker_a, date_b NULLS LAST, speaker_b"
        " LIMIT ?", [story_id, CONTRADICTION_LIMIT + 1]))


# --- article ---

def article(con: duckdb.DuckDBPyConnection, article_id: str) -> dict[str, Any] | None:
    return _one(con, """
        SELECT a.article_id, a.url, a.canonical_url, a.site, a.title, a.author, a.authors,
               a.published_at, a.published_precision, a.language, a.text, a.raw_sha256,
               a.duplicate_of, a.story_id, a.extract_error, a.claims_skipped, a.body_source,
               a.first_seen_at, d.similarity AS duplicate_similarity
        FROM articles a LEFT JOIN article_duplicates d USING (article_id)
        WHERE a.article_id = ?""", [article_id])


def article_claims(con: duckdb.DuckDBPyConnection, article_id: str) -> list[dict[str, Any]]:
    return _dicts(con.execute(f"""
        SELECT c.claim_id, c.seq, c.speaker AS wording,
               coalesce(c.speaker_canonical, c.speaker) AS speaker, c.speaker_id, c.cue,
               c.content, c.stance, c.quote_type, {DAY} AS day, c.date_note, c.via,
               c.char_start, c.char_end, c.claim_cluster_id
        FROM claims c JOIN articles a USING (article_id)
        WHERE c.article_id = ?
        ORDER BY c.char_start NULLS LAST, c.seq, c.claim_id""", [article_id]))


def article_copies(con: duckdb.DuckDBPyConnection, article_id: str) -> list[dict[str, Any]]:
    return _dicts(con.execute(
        f"SELECT {_STORY_ARTICLE_COLUMNS} FROM articles a "
        "LEFT JOIN article_duplicates d USING (article_id) "
        "WHERE a.duplicate_of = ? ORDER BY a.published_at NULLS LAST, a.article_id",
        [article_id]))


def raw_document(con: duckdb.DuckDBPyConnection, article_id: str) -> dict[str, Any] | None:
    return _one(con, """
        SELECT a.raw_sha256, d.charset, d.content_type, coalesce(d.final_url, a.url) AS url
        FROM articles a LEFT JOIN documents d ON d.doc_id = a.doc_id
        WHERE a.article_id = ?""", [article_id])


# --- status ---

def recent_failures(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest failed fetches and documents, newest first."""
    return _dicts(con.execute("""
        SELECT * FROM (
            SELECT fetched_at AS failed_at, 'fetch ' || coalesce(kind, '') AS stage,
                   coalesce(final_url, url) AS url, error
            FROM fetches WHERE error IS NOT NULL
            UNION ALL
            SELECT coalesce(processed_at, fetched_at) AS failed_at, 'document' AS stage,
                   url, error
            FROM documents WHERE status = 'failed'
        ) ORDER BY failed_at DESC NULLS LAST LIMIT ?""", [limit]))

"""The explorer's read-side SQL: one function per thing a page shows.

Every value reaches DuckDB as a bound parameter; only fixed SQL fragments
chosen here are ever put together. Copies (near or exact duplicates) keep no
claims, so claim listings read original articles only, as the views do.

Shaped for a warehouse of 100,000 articles (see bench/explorer.py) read
through a fresh connection per request, so no cache helps:
- listings first pick their rows with the few narrow columns that filter and
  order them, then read the wide columns of that page only, by primary key;
- words are matched with `contains(lower(...))`, a third of ILIKE's cost;
- the stance changes and contradictions of one speaker or story are the
  views' own rules applied to the clusters concerned, not a filter over the
  views, which would group every claim in the warehouse first (seconds).
  The tests check both against the views.
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
# Stance changes are looked for in the propositions a speaker spoke on most recently.
CHANGE_CLUSTERS = 500


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


def _words(text: str) -> list[str]:
    return [w.lower() for w in text.split()]


# --- claims, by id ---

def claims_by_id(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[dict[str, Any]]:
    """Claims with their article's outlet, title and story, in the order of `ids`."""
    if not ids:
        return []
    claims = {r["claim_id"]: r for r in _dicts(con.execute(
        "SELECT claim_id, article_id, coalesce(speaker_canonical, speaker) AS speaker, "
        "speaker AS wording, speaker_id, stance, claimed_on, cue, content, quote_type, "
        "claim_cluster_id FROM claims WHERE claim_id = ANY(?)", [ids]))}
    articles = {r["article_id"]: r for r in _dicts(con.execute(
        "SELECT article_id, site, title, story_id, CAST(published_at AS DATE) AS published "
        "FROM articles WHERE article_id = ANY(?)",
        [sorted({c["article_id"] for c in claims.values()})]))}
    out = []
    for claim_id in ids:
        claim = claims.get(claim_id)
        if claim is None:
            continue
        article = articles.get(claim["article_id"], {})
        out.append({**claim, "site": article.get("site"), "title": article.get("title"),
                    "story_id": article.get("story_id"),
                    "day": claim["claimed_on"] or article.get("published")})
    return out


def _claim_page(con: duckdb.DuckDBPyConnection, where: list[str], params: list[Any],
                paging: Paging, order: str = "day DESC NULLS LAST, c.claim_id") -> Page:
    # One row more than the page tells whether a next page exists without counting them all.
    ids = [r[0] for r in con.execute(
        f"SELECT c.claim_id, {DAY} AS day FROM claims c JOIN articles a USING (article_id) "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, paging.size + 1, paging.offset]).fetchall()]
    return Page(claims_by_id(con, ids[: paging.size]), paging, len(ids) > paging.size)


# --- search ---

def speaker_ids_named(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Identities whose canonical name or any alias contains `name` (any case)."""
    needle = name.lower()
    return [r[0] for r in con.execute(
        "SELECT speaker_id FROM speakers WHERE contains(lower(canonical), ?) "
        "OR len(list_filter(aliases, x -> contains(lower(x), ?))) > 0",
        [needle, needle]).fetchall()]


def _speaker_condition(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, list[Any]]:
    # Any spelling of an identity finds all of its claims (as `claimwire claims` does);
    # the speakers table is small, so it is searched instead of every claim.
    return ("(c.speaker_id = ANY(?) OR contains(lower(c.speaker_canonical), ?))",
            [speaker_ids_named(con, name), name.lower()])


def _claim_filters(con: duckdb.DuckDBPyConnection, p: SearchParams
                   ) -> tuple[list[str], list[Any]]:
    where, params = ["a.duplicate_of IS NULL"], []
    if p.speaker:
        sql, values = _speaker_condition(con, p.speaker)
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
    where, params = _claim_filters(con, p)
    for word in _words(p.q):
        where.append("contains(lower(c.content), ?)")
        params.append(word)
    return _claim_page(con, where, params, p.paging)


def _article_filters(con: duckdb.DuckDBPyConnection, p: SearchParams
                     ) -> tuple[list[str], list[Any]]:
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
        inner, inner_params = [], []
        if p.speaker:
            sql, values = _speaker_condition(con, p.speaker)
            inner.append(sql)
            inner_params += values
        if p.stance:
            inner.append("c.stance = ?")
            inner_params.append(p.stance)
        where.append(f"a.article_id IN (SELECT c.article_id FROM claims c "
                     f"WHERE {' AND '.join(inner)})")
        params += inner_params
    return where, params


def articles_by_id(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Listing columns of articles, with their number of claims."""
    if not ids:
        return {}
    rows = _dicts(con.execute(
        "SELECT article_id, title, site, url, published_at, story_id FROM articles "
        "WHERE article_id = ANY(?)", [ids]))
    counts = dict(con.execute(
        "SELECT article_id, count(*) FROM claims WHERE article_id = ANY(?) GROUP BY 1",
        [ids]).fetchall())
    return {r["article_id"]: {**r, "claims": counts.get(r["article_id"], 0)} for r in rows}


def browse_articles(con: duckdb.DuckDBPyConnection, p: SearchParams) -> Page:
    """Articles meeting the filters, newest first (the search page without words)."""
    where, params = _article_filters(con, p)
    ids = [r[0] for r in con.execute(
        f"SELECT a.article_id FROM articles a WHERE {' AND '.join(where)} "
        "ORDER BY a.published_at DESC NULLS LAST, a.article_id LIMIT ? OFFSET ?",
        [*params, p.paging.size + 1, p.paging.offset]).fetchall()]
    found = articles_by_id(con, ids[: p.paging.size])
    return Page([found[i] for i in ids[: p.paging.size] if i in found], p.paging,
                len(ids) > p.paging.size)


def filter_articles(con: duckdb.DuckDBPyConnection, ids: list[str], p: SearchParams
                    ) -> set[str]:
    """The ids among `ids` (full-text hits) that meet the filters."""
    if not ids:
        return set()
    where, params = _article_filters(con, p)
    rows = con.execute(
        f"SELECT a.article_id FROM articles a WHERE a.article_id = ANY(?) AND "
        f"{' AND '.join(where)}", [ids, *params]).fetchall()
    return {r[0] for r in rows}


def sites(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT site FROM articles WHERE site IS NOT NULL ORDER BY site").fetchall()]


def story_labels(con: duckdb.DuckDBPyConnection, story_ids: list[str | None]) -> dict[str, str]:
    """A story has no name of its own: its first original article's title stands for it."""
    ids = sorted({s for s in story_ids if s})
    if not ids:
        return {}
    rows = con.execute(
        "SELECT story_id, arg_min(coalesce(title, url), coalesce(published_at, first_seen_at)) "
        "FROM articles WHERE story_id IN (SELECT unnest(?)) AND duplicate_of IS NULL "
        "GROUP BY story_id", [ids]).fetchall()
    return {story_id: label for story_id, label in rows}


# --- speaker ---

def speaker(con: duckdb.DuckDBPyConnection, speaker_id: str) -> dict[str, Any] | None:
    return _one(con, "SELECT speaker_id, canonical, type, aliases FROM speakers "
                     "WHERE speaker_id = ?", [speaker_id])


@dataclass(frozen=True)
class SpeakerClaims:
    total: int
    chart: list[dict[str, Any]]  # the newest dated claims, at most CHART_LIMIT
    page: Page
    clusters: list[str]  # propositions spoken on, most recent first


def speaker_claims(con: duckdb.DuckDBPyConnection, speaker_id: str, paging: Paging
                   ) -> SpeakerClaims:
    """Everything the speaker page lists, from one narrow pass over the speaker's claims."""
    narrow = con.execute(
        f"SELECT c.claim_id, {DAY} AS day, c.claim_cluster_id "
        "FROM claims c JOIN articles a USING (article_id) "
        "WHERE c.speaker_id = ? AND a.duplicate_of IS NULL "
        "ORDER BY day DESC NULLS LAST, c.claim_id", [speaker_id]).fetchall()
    chart_ids = [r[0] for r in narrow if r[1] is not None][:CHART_LIMIT]
    page_ids = [r[0] for r in narrow[paging.offset: paging.offset + paging.size]]
    detail = {c["claim_id"]: c for c in claims_by_id(con, list(dict.fromkeys(
        chart_ids + page_ids)))}
    clusters = list(dict.fromkeys(r[2] for r in narrow if r[2] is not None))
    return SpeakerClaims(
        total=len(narrow),
        chart=[detail[i] for i in chart_ids if i in detail],
        page=Page([detail[i] for i in page_ids if i in detail], paging,
                  len(narrow) > paging.offset + paging.size),
        clusters=clusters)


# The views' rows, restricted to some clusters before any grouping: CLAIM_TIMELINE's
# columns (warehouse/views.py) for the claims of those clusters.
_TIMELINE_OF_CLUSTERS = f"""
    SELECT c.claim_cluster_id AS cluster_id,
           coalesce(c.speaker_canonical, c.speaker) AS speaker, c.stance, {DAY} AS day,
           c.content, c.claim_id, c.article_id, a.site
    FROM claims c JOIN articles a USING (article_id)
    WHERE a.duplicate_of IS NULL AND c.claim_cluster_id = ANY(?)
"""
_LABELS = """
    SELECT cluster_id, arg_min(content, coalesce(day, DATE '9999-12-31')) AS label
    FROM timeline GROUP BY cluster_id
"""


def stance_changes(con: duckdb.DuckDBPyConnection, name: str, clusters: list[str]
                   ) -> list[dict[str, Any]]:
    """The rows of view `speaker_stance_changes` for one speaker (named as the view
    names them: the identity's canonical name) within the given clusters."""
    if not clusters:
        return []
    return _dicts(con.execute(f"""
        WITH timeline AS ({_TIMELINE_OF_CLUSTERS}),
        labels AS ({_LABELS}),
        ordered AS (
            SELECT t.*,
                   lag(stance) OVER w AS prev_stance, lag(day) OVER w AS prev_day,
                   lag(content) OVER w AS prev_content, lag(article_id) OVER w AS prev_article_id
            FROM timeline t
            WHERE speaker = ? AND stance IS NOT NULL AND day IS NOT NULL
            WINDOW w AS (PARTITION BY cluster_id, speaker ORDER BY day, claim_id)
        )
        SELECT o.cluster_id, k.label AS cluster_label, o.speaker,
               o.prev_stance AS from_stance, o.prev_day AS from_date,
               o.stance AS to_stance, o.day AS to_date,
               o.prev_content AS from_content, o.content AS to_content,
               o.prev_article_id AS from_article_id, o.article_id AS to_article_id
        FROM ordered o JOIN labels k USING (cluster_id)
        WHERE o.prev_stance IS NOT NULL AND o.prev_stance <> o.stance
        ORDER BY to_date, cluster_id""", [clusters, name]))


def speakers_named(con: duckdb.DuckDBPyConnection, name: str, limit: int = 20
                   ) -> list[dict[str, Any]]:
    """Identities whose name or an alias contains `name`; an exact name first."""
    needle = name.lower()
    return _dicts(con.execute(
        "SELECT speaker_id, canonical, type, aliases FROM speakers "
        "WHERE contains(lower(canonical), ?) "
        "OR len(list_filter(aliases, x -> contains(lower(x), ?))) > 0 "
        "ORDER BY lower(canonical) <> ?, "
        "NOT list_contains(list_transform(aliases, x -> lower(x)), ?), canonical "
        "LIMIT ?", [needle, needle, needle, needle, limit]))


# --- story ---

_STORY_ARTICLE_COLUMNS = """a.article_id, a.site, a.title, a.url, a.published_at, a.authors,
       a.duplicate_of, d.similarity, d.method"""


def story_articles(con: duckdb.DuckDBPyConnection, story_id: str) -> list[dict[str, Any]]:
    """The story's articles and every copy of them, originals first."""
    found = _dicts(con.execute(
        f"SELECT {_STORY_ARTICLE_COLUMNS} FROM articles a "
        "LEFT JOIN article_duplicates d USING (article_id) "
        "WHERE a.story_id = ? ORDER BY a.published_at NULLS LAST, a.article_id", [story_id]))
    ids = [r["article_id"] for r in found]
    copies = _dicts(con.execute(
        f"SELECT {_STORY_ARTICLE_COLUMNS} FROM articles a "
        "LEFT JOIN article_duplicates d USING (article_id) "
        "WHERE a.duplicate_of IN (SELECT unnest(?)) AND a.article_id NOT IN (SELECT unnest(?)) "
        "ORDER BY a.published_at NULLS LAST, a.article_id", [ids, ids])) if ids else []
    rows = found + copies
    return ([r for r in rows if r["duplicate_of"] is None]
            + [r for r in rows if r["duplicate_of"] is not None])


@dataclass(frozen=True)
class StoryClaims:
    total: int
    chart: list[dict[str, Any]]
    page: Page
    clusters: list[str]


def story_claims(con: duckdb.DuckDBPyConnection, story_id: str, paging: Paging
                 ) -> StoryClaims:
    narrow = con.execute(
        f"SELECT c.claim_id, {DAY} AS day, c.claim_cluster_id, "
        "coalesce(c.speaker_canonical, c.speaker) AS speaker "
        "FROM claims c JOIN articles a USING (article_id) "
        "WHERE a.story_id = ? AND a.duplicate_of IS NULL "
        "ORDER BY day NULLS LAST, speaker, c.claim_id", [story_id]).fetchall()
    dated = [r[0] for r in narrow if r[1] is not None]
    chart_ids = dated[-CHART_LIMIT:]
    page_ids = [r[0] for r in narrow[paging.offset: paging.offset + paging.size]]
    detail = {c["claim_id"]: c for c in claims_by_id(con, list(dict.fromkeys(
        chart_ids + page_ids)))}
    return StoryClaims(
        total=len(narrow),
        chart=[detail[i] for i in chart_ids if i in detail],
        page=Page([detail[i] for i in page_ids if i in detail], paging,
                  len(narrow) > paging.offset + paging.size),
        clusters=list(dict.fromkeys(r[2] for r in narrow if r[2] is not None)))


def contradictions(con: duckdb.DuckDBPyConnection, clusters: list[str],
                   limit: int = CONTRADICTION_LIMIT) -> list[dict[str, Any]]:
    """The rows of view `contradictions` for the given clusters (at most limit + 1)."""
    if not clusters:
        return []
    return _dicts(con.execute(f"""
        WITH timeline AS ({_TIMELINE_OF_CLUSTERS}),
        labels AS ({_LABELS})
        SELECT a.cluster_id, k.label AS cluster_label,
               a.speaker AS speaker_a, a.stance AS stance_a, a.content AS content_a,
               a.day AS date_a, a.article_id AS article_id_a, a.site AS site_a,
               d.speaker AS speaker_b, d.stance AS stance_b, d.content AS content_b,
               d.day AS date_b, d.article_id AS article_id_b, d.site AS site_b
        FROM timeline a
        JOIN timeline d
          ON d.cluster_id = a.cluster_id
         AND a.stance = 'assert' AND d.stance = 'deny'
         AND a.speaker IS DISTINCT FROM d.speaker
        JOIN labels k ON k.cluster_id = a.cluster_id
        ORDER BY a.cluster_id, date_a NULLS LAST, speaker_a, date_b NULLS LAST, speaker_b
        LIMIT ?""", [clusters, limit + 1]))


# --- article ---

def article(con: duckdb.DuckDBPyConnection, article_id: str) -> dict[str, Any] | None:
    return _one(con, """
        SELECT a.article_id, a.url, a.canonical_url, a.site, a.title, a.author, a.authors,
               a.published_at, a.published_precision, a.language, a.text, a.raw_sha256,
               a.duplicate_of, a.story_id, a.extract_error, a.claims_skipped, a.body_source,
               a.first_seen_at,
               (SELECT similarity FROM article_duplicates d
                WHERE d.article_id = a.article_id) AS duplicate_similarity
        FROM articles a WHERE a.article_id = ?""", [article_id])


def article_claims(con: duckdb.DuckDBPyConnection, article: dict[str, Any]
                   ) -> list[dict[str, Any]]:
    published = article["published_at"].date() if article["published_at"] else None
    rows = _dicts(con.execute("""
        SELECT claim_id, seq, speaker AS wording,
               coalesce(speaker_canonical, speaker) AS speaker, speaker_id, cue,
               content, stance, quote_type, claimed_on, date_note, via,
               char_start, char_end, claim_cluster_id
        FROM claims WHERE article_id = ?
        ORDER BY char_start NULLS LAST, seq, claim_id""", [article["article_id"]]))
    return [{**r, "day": r["claimed_on"] or published} for r in rows]


def article_copies(con: duckdb.DuckDBPyConnection, article_id: str) -> list[dict[str, Any]]:
    return _dicts(con.execute(
        f"SELECT {_STORY_ARTICLE_COLUMNS} FROM articles a "
        "LEFT JOIN article_duplicates d USING (article_id) "
        "WHERE a.duplicate_of = ? ORDER BY a.published_at NULLS LAST, a.article_id",
        [article_id]))


def article_title(con: duckdb.DuckDBPyConnection, article_id: str) -> dict[str, Any] | None:
    return _one(con, "SELECT article_id, title, site FROM articles WHERE article_id = ?",
                [article_id])


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

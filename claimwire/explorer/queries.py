"""The explorer's read-side SQL: one function per thing a page shows.

Every value reaches DuckDB as a bound parameter; only fixed SQL fragments
chosen here are ever put together. Copies (near or exact duplicates) keep no
claims, so claim listings read original articles only, as the views do.

Shaped for a warehouse of 100,000 articles (see bench/explorer.py) read
through a fresh connection per request, so no cache helps:
- listings first pick their rows with the few narrow columns that filter and
  order them, then read the wide columns of that page only, by primary key;
- words are matched as case-insensitive literal regular expressions (RE2),
  a quarter of ILIKE's cost and half of `contains(lower(...))`'s;
- the stance changes and contradictions of one speaker or story are the
  views' own rules applied to the clusters concerned, not a filter over the
  views, which would group every claim in the warehouse first (seconds).
  The tests check both against the views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from claimwire.explorer.params import Paging, SearchParams
from claimwire.warehouse.queries import CLAIM_DAY, day_range

DAY = CLAIM_DAY
# Enough for any chart a person can read; beyond it the page says how many were left out.
CHART_LIMIT = 1000
CONTRADICTION_LIMIT = 100
# A page lists a speaker's latest stance changes; the count says how many there are.
CHANGES_SHOWN = 100


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


def word_pattern(word: str) -> str:
    """A pattern for regexp_matches(..., 'i') that finds the word literally."""
    return re.escape(word)


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
    return ("(c.speaker_id IN (SELECT unnest(?)) OR contains(lower(c.speaker_canonical), ?))",
            [speaker_ids_named(con, name), name.lower()])


def _speaker_stance_conditions(con: duckdb.DuckDBPyConnection, p: SearchParams
                                ) -> tuple[list[str], list[Any]]:
    """The claim filters (speaker, stance) as conditions on claims `c`."""
    where: list[str] = []
    params: list[Any] = []
    if p.speaker:
        sql, values = _speaker_condition(con, p.speaker)
        where.append(sql)
        params += values
    if p.stance:
        where.append("c.stance = ?")
        params.append(p.stance)
    return where, params


def _article_conditions(p: SearchParams, day: str) -> tuple[list[str], list[Any]]:
    """Original articles `a` of the site and story asked for, with `day` in the date range."""
    where: list[str] = ["a.duplicate_of IS NULL"]
    params: list[Any] = []
    if p.site:
        where.append("a.site = ?")
        params.append(p.site)
    if p.story:
        where.append("a.story_id = ?")
        params.append(p.story)
    in_range, range_params = day_range(day, p.since, p.until)
    return where + in_range, params + range_params


def _claim_filters(con: duckdb.DuckDBPyConnection, p: SearchParams
                   ) -> tuple[list[str], list[Any]]:
    where, params = _article_conditions(p, DAY)
    claim_where, claim_params = _speaker_stance_conditions(con, p)
    return where + claim_where, params + claim_params


def search_claims(con: duckdb.DuckDBPyConnection, p: SearchParams) -> Page:
    """Claims whose wording contains every word of the query, newest statement first."""
    where, params = _claim_filters(con, p)
    for word in p.q.split():
        where.append("regexp_matches(c.content, ?, 'i')")
        params.append(word_pattern(word))
    return _claim_page(con, where, params, p.paging)


def _article_filters(con: duckdb.DuckDBPyConnection, p: SearchParams
                     ) -> tuple[list[str], list[Any]]:
    where, params = _article_conditions(p, "CAST(a.published_at AS DATE)")
    inner, inner_params = _speaker_stance_conditions(con, p)
    if inner:
        # An article qualifies through one claim that meets both claim filters.
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
        "SELECT article_id, count(*) FROM claims WHERE article_id IN (SELECT unnest(?)) "
        "GROUP BY 1",
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
        f"SELECT a.article_id FROM articles a WHERE a.article_id IN (SELECT unnest(?)) AND "
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


# The views' rows, restricted to some clusters before any grouping: CLAIM_TIMELINE's
# columns (warehouse/views.py) for the claims of those clusters. The claims are
# picked first and their articles looked up by id: joining all articles costs
# a hash table over the whole table (three times the rest of the query).
_TIMELINE_OF_CLUSTERS = f"""
    picked AS MATERIALIZED (
        SELECT claim_id, article_id, claim_cluster_id, speaker_canonical, speaker, stance,
               claimed_on, content
        FROM claims WHERE claim_cluster_id IN (SELECT unnest(?))),
    sources AS MATERIALIZED (
        SELECT article_id, published_at, site, story_id FROM articles
        WHERE article_id IN (SELECT article_id FROM picked) AND duplicate_of IS NULL),
    timeline AS MATERIALIZED (
        SELECT c.claim_cluster_id AS cluster_id,
               coalesce(c.speaker_canonical, c.speaker) AS speaker, c.stance, {DAY} AS day,
               c.content, c.claim_id, c.article_id, a.story_id, a.site
        FROM picked c JOIN sources a USING (article_id))
"""
# The view's label is the earliest claim's wording; among claims of the same
# earliest day it takes any. Here the tie goes to the lowest claim id, so one
# cluster shows one label on every page.
_LABELS = """
    SELECT cluster_id, first(content ORDER BY coalesce(day, DATE '9999-12-31'), claim_id)
                       AS label
    FROM timeline GROUP BY cluster_id
"""

_WIDE_CLAIMS = f"""
    SELECT c.claim_id, c.article_id, coalesce(c.speaker_canonical, c.speaker) AS speaker,
           c.speaker AS wording, c.speaker_id, c.stance, {DAY} AS day, c.cue, c.content,
           c.quote_type, c.claim_cluster_id, a.site, a.title, a.story_id
    FROM claims c JOIN articles a USING (article_id)
    WHERE a.duplicate_of IS NULL
"""


@dataclass(frozen=True)
class ClaimSet:
    """All claims of a speaker or story (as tuples: a busy speaker has tens of
    thousands), with what its page shows of them (as dicts)."""
    names: list[str]
    rows: list[tuple[Any, ...]]
    chart: list[dict[str, Any]]  # the newest dated claims, at most CHART_LIMIT
    page: Page

    @property
    def total(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> int:
        return self.names.index(name)


def _claim_set(cursor: duckdb.DuckDBPyConnection, paging: Paging) -> ClaimSet:
    # One scan of the claims table per page: it is filtered by a column with
    # no index, so each extra query over it would cost a whole scan again.
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    day, claim_id = names.index("day"), names.index("claim_id")
    newest_first = sorted((r for r in rows if r[day] is not None),
                          key=lambda r: (r[day], r[claim_id]), reverse=True)

    def as_dicts(chosen: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        return [dict(zip(names, r, strict=True)) for r in chosen]

    return ClaimSet(names, rows, as_dicts(newest_first[:CHART_LIMIT]),
                    Page(as_dicts(rows[paging.offset: paging.offset + paging.size]), paging,
                         len(rows) > paging.offset + paging.size))


def speaker_claims(con: duckdb.DuckDBPyConnection, speaker_id: str, paging: Paging
                   ) -> ClaimSet:
    """The speaker's claims, newest statement first."""
    return _claim_set(con.execute(
        f"{_WIDE_CLAIMS} AND c.speaker_id = ? ORDER BY day DESC NULLS LAST, c.claim_id",
        [speaker_id]), paging)


@dataclass(frozen=True)
class StanceChanges:
    total: int
    latest: list[dict[str, Any]]  # the latest CHANGES_SHOWN, oldest first


def stance_changes(con: duckdb.DuckDBPyConnection, claims: ClaimSet, name: str,
                   shown: int = CHANGES_SHOWN) -> StanceChanges:
    """The rows of view `speaker_stance_changes` for one speaker, from their claims.

    The view orders each source's dated statements on a cluster and keeps
    consecutive ones whose stance differs; that needs only the speaker's own
    claims, already read for the page. Only the labels (each cluster's
    earliest wording, by anyone) are read, for the changes shown.
    """
    col = {n: claims.column(n) for n in (
        "claim_cluster_id", "stance", "day", "speaker", "claim_id", "content", "article_id")}
    by_cluster: dict[str, list[tuple[Any, ...]]] = {}
    for r in claims.rows:
        if (r[col["claim_cluster_id"]] is not None and r[col["stance"]] is not None
                and r[col["day"]] is not None and r[col["speaker"]] == name):
            by_cluster.setdefault(r[col["claim_cluster_id"]], []).append(r)
    changes = []
    for cluster_id, said in by_cluster.items():
        said.sort(key=lambda r: (r[col["day"]], r[col["claim_id"]]))
        for before, after in zip(said, said[1:], strict=False):
            if before[col["stance"]] != after[col["stance"]]:
                changes.append({
                    "cluster_id": cluster_id, "speaker": name,
                    "from_stance": before[col["stance"]], "from_date": before[col["day"]],
                    "to_stance": after[col["stance"]], "to_date": after[col["day"]],
                    "from_content": before[col["content"]],
                    "to_content": after[col["content"]],
                    "from_article_id": before[col["article_id"]],
                    "to_article_id": after[col["article_id"]]})
    changes.sort(key=lambda c: (c["to_date"], c["cluster_id"]))
    latest = changes[-shown:] if shown else []
    labels = cluster_labels(con, sorted({c["cluster_id"] for c in latest}))
    for change in latest:
        change["cluster_label"] = labels.get(change["cluster_id"])
    return StanceChanges(len(changes), latest)


def cluster_labels(con: duckdb.DuckDBPyConnection, clusters: list[str]) -> dict[str, str]:
    """Each cluster's label as view `claim_clusters` gives it: its earliest claim's wording."""
    if not clusters:
        return {}
    return dict(con.execute(f"WITH {_TIMELINE_OF_CLUSTERS} {_LABELS}", [clusters]).fetchall())


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


def story_claims(con: duckdb.DuckDBPyConnection, story_id: str, paging: Paging) -> ClaimSet:
    """The story's claims in the order they were made."""
    return _claim_set(con.execute(
        f"{_WIDE_CLAIMS} AND a.story_id = ? ORDER BY day NULLS LAST, speaker, c.claim_id",
        [story_id]), paging)


def clusters_of(claims: ClaimSet) -> list[str]:
    i = claims.column("claim_cluster_id")
    return list(dict.fromkeys(r[i] for r in claims.rows if r[i] is not None))


def contradictions(con: duckdb.DuckDBPyConnection, clusters: list[str],
                   limit: int = CONTRADICTION_LIMIT) -> list[dict[str, Any]]:
    """The rows of view `contradictions` for the given clusters (at most limit + 1)."""
    if not clusters:
        return []
    return _dicts(con.execute(f"""
        WITH {_TIMELINE_OF_CLUSTERS},
        labels AS ({_LABELS})
        SELECT a.cluster_id, k.label AS cluster_label,
               a.speaker AS speaker_a, a.stance AS stance_a, a.content AS content_a,
               a.day AS date_a, a.article_id AS article_id_a, a.story_id AS story_id_a,
               a.site AS site_a,
               d.speaker AS speaker_b, d.stance AS stance_b, d.content AS content_b,
               d.day AS date_b, d.article_id AS article_id_b, d.story_id AS story_id_b,
               d.site AS site_b
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

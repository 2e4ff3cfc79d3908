"""Full-text search over articles: a BM25 index kept in warehouse tables, updated
by each derive pass for its own articles (the rule and its SQL in one place).

DuckDB's `fts` extension builds its index as a snapshot of a whole table: it
does not follow inserts, and rebuilding it every night costs about a
millisecond per stored article (15 minutes at a million). So the index lives
in plain tables instead, written the way `PRAGMA create_fts_index` writes
its own, and queries score exactly as its `match_bm25` does, so the ranking
is the one the fts index would give on the same articles:

- tokens: title and text lower-cased, accents stripped, split at the fts
  extension's punctuation and at white space; its 571 English stopwords
  (`search_stopwords.txt`) dropped; Porter-stemmed with the extension's
  `stem()` (so the extension is still loaded, for that function only);
- score: sum over query terms of idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b *
  len / avgdl)), idf = log10((N - df + 0.5) / (df + 0.5) + 1), k1 = 1.2,
  b = 0.75; disjunctive; copies count in N, df and avgdl (as in the fts index)
  but are never listed.

Tables (`warehouse/schema.py`): `search_terms` (term id, term, df),
`search_docs` (doc id, article, length, is_copy), `search_postings_NN` (term
id, doc id, tf) split into POSTING_PARTS tables by term id, and `search_stats`
(N, total length, next ids). A pass indexes its articles (re-processed ones
replace their old version: the old doc row goes at once, its postings stay,
unseen, until `rebuild_index`), so a night costs what its articles cost. The
postings are split so that a query term scans one part in POSTING_PARTS
(measured on a synthetic million-article index: 64 ms median for three-word
queries, against 0.5 s unsplit and 1.9 s with the fts extension).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from claimwire.warehouse import schema
from claimwire.warehouse.idsets import literal_list, rows_with

FTS_PACKAGE = "duckdb_extension_fts"
POSTING_PARTS = schema.SEARCH_POSTING_PARTS
K1, B = 1.2, 0.75
# Everything the fts extension splits tokens at, besides white space.
_SPLIT = "[0-9!@#$%^&*()_+={}\\[\\]:;<>,.?~\\\\/\\|''\"`-]+"
STOPWORDS_FILE = Path(__file__).with_name("search_stopwords.txt")


class SearchUnavailable(RuntimeError):
    """Full-text search cannot run; the message says what to do."""


@dataclass(frozen=True)
class ClaimHit:
    speaker: str | None
    stance: str | None
    content: str | None
    claimed_on: date | None


@dataclass(frozen=True)
class SearchHit:
    article_id: str
    score: float
    title: str | None
    site: str | None
    url: str | None
    published_at: datetime | None
    claims: list[ClaimHit] = field(default_factory=list)


def extension_path() -> Path:
    """The fts extension file shipped in the Python package for this DuckDB."""
    spec = importlib.util.find_spec(FTS_PACKAGE)
    version = duckdb.__version__
    if spec is None or not spec.submodule_search_locations:
        raise SearchUnavailable(
            f"full-text search needs the {FTS_PACKAGE} package: "
            f"pip install 'duckdb-extension-fts=={version}'"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{version}" / "fts.duckdb_extension"
    if not path.is_file():
        found = sorted(p.parent.name for p in root.glob("extensions/*/fts.duckdb_extension"))
        raise SearchUnavailable(
            f"{FTS_PACKAGE} has no fts extension for DuckDB {version} "
            f"(it has: {', '.join(found) or 'none'}); "
            f"pip install 'duckdb-extension-fts=={version}'"
        )
    return path


def load_extension(con: duckdb.DuckDBPyConnection) -> None:
    path = extension_path()
    try:
        con.execute(f"LOAD '{path.as_posix()}'")
    except duckdb.Error as exc:
        raise SearchUnavailable(f"cannot load the fts extension from {path}: {exc}") from exc


def posting_tables() -> list[str]:
    return [table.name for table in schema.search_postings]


def _tokens(column: str) -> str:
    """SQL: the fts extension's tokens of `column`."""
    return (f"string_split_regex(regexp_replace(lower(strip_accents(CAST({column} AS VARCHAR))), "
            f"'{_SPLIT}', ' ', 'g'), '\\s+')")


def ensure_ready(con: duckdb.DuckDBPyConnection) -> None:
    """Load the extension (for `stem`) and the stopwords, once per warehouse."""
    load_extension(con)
    if not con.execute("SELECT count(*) FROM search_stopwords").fetchone()[0]:
        words = STOPWORDS_FILE.read_text(encoding="utf-8").split()
        con.execute("INSERT INTO search_stopwords SELECT unnest(?::VARCHAR[])", [words])
    if not con.execute("SELECT count(*) FROM search_stats").fetchone()[0]:
        con.execute("INSERT INTO search_stats VALUES (0, 0, 0, 0)")


def index_articles(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> bool:
    """(Re)index these articles and bring the copy flags of their group in step;
    inside the caller's transaction. False when search is not available here
    (the extension is missing): loads go on without it."""
    try:
        ensure_ready(con)
    except SearchUnavailable:
        return False
    if article_ids:
        _remove(con, article_ids)
        _add(con, article_ids)
        _sync_copies(con, article_ids)
    return True


def _remove(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE search_old AS SELECT docid, len FROM search_docs "
        f"WHERE article_id IN ({literal_list(ids)})")
    n, total, lo, hi = con.execute(
        "SELECT count(*), coalesce(sum(len), 0), min(docid), max(docid) FROM search_old"
    ).fetchone()
    if n:
        # Doc ids grow with every pass, so the range lets zone maps skip all
        # row groups but those of the passes that wrote these articles.
        parts = " UNION ALL ".join(
            f"SELECT termid FROM {t} WHERE docid BETWEEN {lo} AND {hi} "
            "AND docid IN (SELECT docid FROM search_old)" for t in posting_tables())
        con.execute(
            f"UPDATE search_terms SET df = df - o.n FROM (SELECT termid, count(*) AS n FROM "
            f"({parts}) GROUP BY termid) o WHERE search_terms.termid = o.termid")
        con.execute("DELETE FROM search_docs WHERE docid IN (SELECT docid FROM search_old)")
        con.execute("UPDATE search_stats SET num_docs = num_docs - ?, sum_len = sum_len - ?",
                    [n, total])
    con.execute("DROP TABLE search_old")


def _add(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    of_articles = rows_with(con, "articles", "article_id", ids)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE search_new_tokens AS
        WITH src AS (
            SELECT article_id, title, text FROM articles WHERE {of_articles}
        ),
        words AS (
            SELECT article_id, unnest({_tokens("title")}) AS w FROM src
            UNION ALL
            SELECT article_id, unnest({_tokens("text")}) AS w FROM src
        )
        SELECT article_id, stem(w, 'porter') AS term, count(*)::INTEGER AS tf
        FROM words
        WHERE w <> '' AND w NOT IN (SELECT sw FROM search_stopwords)
        GROUP BY ALL""")
    next_doc, next_term = con.execute(
        "SELECT next_docid, next_termid FROM search_stats").fetchone()
    # Every article gets a doc row, one without words too (as in the fts index).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE search_new_docs AS
        SELECT {next_doc} + row_number() OVER (ORDER BY a.article_id) - 1 AS docid,
               a.article_id, coalesce(l.len, 0)::INTEGER AS len,
               a.duplicate_of IS NOT NULL AS is_copy
        FROM articles a
        LEFT JOIN (SELECT article_id, sum(tf) AS len FROM search_new_tokens GROUP BY ALL) l
          USING (article_id)
        WHERE {rows_with(con, "articles", "article_id", ids, "a")}""")
    n, total = con.execute(
        "SELECT count(*), coalesce(sum(len), 0) FROM search_new_docs").fetchone()
    con.execute("INSERT INTO search_docs BY NAME SELECT * FROM search_new_docs")
    con.execute("CREATE OR REPLACE TEMP TABLE search_new_df AS "
                "SELECT term, count(*)::INTEGER AS n FROM search_new_tokens GROUP BY term")
    added = con.execute(f"""
        INSERT INTO search_terms
        SELECT {next_term} + row_number() OVER (ORDER BY term) - 1, term, 0
        FROM search_new_df WHERE term NOT IN (SELECT term FROM search_terms)""").fetchone()[0]
    con.execute("UPDATE search_terms SET df = df + d.n FROM search_new_df d "
                "WHERE search_terms.term = d.term")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE search_new_postings AS
        SELECT st.termid, d.docid, k.tf FROM search_new_tokens k
        JOIN search_terms st USING (term) JOIN search_new_docs d USING (article_id)""")
    for part, table in enumerate(posting_tables()):
        con.execute(f"INSERT INTO {table} SELECT termid, docid, tf FROM search_new_postings "
                    f"WHERE termid % {POSTING_PARTS} = {part} ORDER BY termid, docid")
    con.execute("UPDATE search_stats SET num_docs = num_docs + ?, sum_len = sum_len + ?, "
                "next_docid = next_docid + ?, next_termid = next_termid + ?",
                [n, total, n, added])
    for temp in ("search_new_tokens", "search_new_docs", "search_new_df", "search_new_postings"):
        con.execute(f"DROP TABLE {temp}")


def _sync_copies(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    """Copies stay in the statistics but are never listed: the flag follows
    `articles.duplicate_of` for these articles and the copies pointing at them."""
    listed = literal_list(ids)
    con.execute(f"""
        UPDATE search_docs SET is_copy = a.duplicate_of IS NOT NULL FROM articles a
        WHERE a.article_id = search_docs.article_id
          AND (a.article_id IN ({listed}) OR a.duplicate_of IN ({listed}))
          AND search_docs.is_copy IS DISTINCT FROM (a.duplicate_of IS NOT NULL)""")


def rebuild_index(
    con: duckdb.DuckDBPyConnection, *, chunk: int = 10_000,
    on_chunk: Callable[[int, int], None] | None = None,
) -> int:
    """The whole index again from the warehouse's articles (dropping what
    re-processed articles left behind); returns the articles indexed."""
    ensure_ready(con)
    for table in ("search_docs", "search_terms", *posting_tables()):
        con.execute(f"DELETE FROM {table}")
    con.execute("UPDATE search_stats SET num_docs = 0, sum_len = 0, next_docid = 0, "
                "next_termid = 0")
    ids = [r[0] for r in con.execute("SELECT article_id FROM articles ORDER BY article_id")
           .fetchall()]
    for start in range(0, len(ids), chunk):
        _add(con, ids[start : start + chunk])
        if on_chunk is not None:
            on_chunk(min(start + chunk, len(ids)), len(ids))
    return len(ids)


@dataclass(frozen=True)
class _Scored:
    article_id: str
    score: float


def _top(con: duckdb.DuckDBPyConnection, query: str, limit: int, offset: int) -> list[_Scored]:
    terms = con.execute(
        "SELECT termid, df FROM search_terms WHERE df > 0 AND term IN "
        f"(SELECT DISTINCT stem(unnest({_tokens('?')}), 'porter'))", [query]).fetchall()
    if not terms:
        return []
    num_docs, sum_len = con.execute("SELECT num_docs, sum_len FROM search_stats").fetchone()
    if not num_docs:
        return []
    avgdl = sum_len / num_docs
    values = ", ".join(f"({tid}::INTEGER, {df}::BIGINT)" for tid, df in terms)
    # Literal term ids: the filter reaches the scan, where zone maps use it.
    postings = " UNION ALL ".join(
        f"SELECT termid, docid, tf FROM {posting_tables()[tid % POSTING_PARTS]} "
        f"WHERE termid = {tid}" for tid, _ in terms)
    rows = con.execute(f"""
        WITH q(termid, df) AS (VALUES {values}),
        p AS ({postings}),
        s AS (
            SELECT p.docid, sum(
                log(({num_docs} - q.df + 0.5) / (q.df + 0.5) + 1)
                * ((p.tf * ({K1} + 1)) / (p.tf + {K1} * ((1 - {B}) + {B} * (d.len / {avgdl!r}))))
            ) AS score
            FROM p JOIN q USING (termid) JOIN search_docs d USING (docid)
            WHERE NOT d.is_copy
            GROUP BY p.docid)
        SELECT d.article_id, s.score FROM s JOIN search_docs d USING (docid)
        ORDER BY s.score DESC, d.article_id
        LIMIT {int(limit)} OFFSET {int(offset)}""").fetchall()
    return [_Scored(aid, float(score)) for aid, score in rows]


def search_articles(
    con: duckdb.DuckDBPyConnection, query: str, limit: int = 10, offset: int = 0
) -> list[SearchHit]:
    """Articles matching `query`, best BM25 score first (`offset` skips that many),
    each with its claims. Copies (near or exact duplicates) are left out:
    their original is listed."""
    if not query.strip() or limit <= 0:
        return []
    load_extension(con)
    indexed, articles = con.execute(
        "SELECT (SELECT num_docs FROM search_stats), (SELECT count(*) FROM articles)").fetchone()
    if articles and not indexed:
        raise SearchUnavailable("the search index is empty (articles were loaded without the "
                                "fts extension); run `claimwire derive --rebuild-search`")
    top = _top(con, query, limit, max(0, offset))
    if not top:
        return []
    listed = literal_list(t.article_id for t in top)
    info = {r[0]: r[1:] for r in con.execute(
        f"SELECT article_id, title, site, url, published_at FROM articles "
        f"WHERE article_id IN ({listed})").fetchall()}
    claims: dict[str, list[ClaimHit]] = {}
    for article_id, speaker, stance, content, claimed_on in con.execute(
        "SELECT article_id, coalesce(speaker_canonical, speaker), stance, content, claimed_on "
        f"FROM claims WHERE article_id IN ({listed}) ORDER BY article_id, seq, claim_id"
    ).fetchall():
        claims.setdefault(article_id, []).append(ClaimHit(speaker, stance, content, claimed_on))
    return [
        SearchHit(t.article_id, t.score, *info.get(t.article_id, (None,) * 4),
                  claims=claims.get(t.article_id, []))
        for t in top
    ]

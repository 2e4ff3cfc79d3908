"""Full-text search over articles with DuckDB's fts extension (BM25).

Extensions cannot be downloaded at run time here, so the extension is loaded
from the `duckdb_extension_fts` Python package, which must match the DuckDB
version. An fts index is a snapshot: it does not follow inserts, so the
loader rebuilds it after every load that changed articles.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

FTS_PACKAGE = "duckdb_extension_fts"
INDEX_SCHEMA = "fts_main_articles"


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


def index_exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", [INDEX_SCHEMA]
    ).fetchone()
    return bool(row and row[0])


def index_articles(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> bool:
    """Bring the index up to date for these articles; False when search is not
    available here (the extension is missing): loads go on without it."""
    try:
        rebuild_index(con)
    except SearchUnavailable:
        return False
    return True


def rebuild_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the BM25 index over articles(title, text)."""
    load_extension(con)
    con.execute(
        "PRAGMA create_fts_index('articles', 'article_id', 'title', 'text', overwrite = 1)"
    )


_SEARCH_SQL = f"""
WITH scored AS (
    SELECT article_id, {INDEX_SCHEMA}.match_bm25(article_id, ?) AS score
    FROM articles
    WHERE duplicate_of IS NULL
)
SELECT s.article_id, s.score, a.title, a.site, a.url, a.published_at
FROM scored s JOIN articles a USING (article_id)
WHERE s.score IS NOT NULL
ORDER BY s.score DESC, s.article_id
LIMIT ?
"""


def search_articles(
    con: duckdb.DuckDBPyConnection, query: str, limit: int = 10
) -> list[SearchHit]:
    """Articles matching `query`, best BM25 score first, each with its claims.

    Copies (near or exact duplicates) are left out: their original is listed.
    """
    if not query.strip():
        return []
    load_extension(con)
    if not index_exists(con):
        try:
            rebuild_index(con)
        except duckdb.Error as exc:
            raise SearchUnavailable(
                f"no search index in this warehouse yet and cannot build one here ({exc}); "
                "load some articles first"
            ) from exc
    rows = con.execute(_SEARCH_SQL, [query, int(limit)]).fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    claims: dict[str, list[ClaimHit]] = {}
    for article_id, speaker, stance, content, claimed_on in con.execute(
        "SELECT article_id, coalesce(speaker_canonical, speaker), stance, content, claimed_on "
        "FROM claims WHERE article_id = ANY(?) ORDER BY article_id, seq, claim_id",
        [ids],
    ).fetchall():
        claims.setdefault(article_id, []).append(ClaimHit(speaker, stance, content, claimed_on))
    return [
        SearchHit(
            article_id=r[0], score=float(r[1]), title=r[2], site=r[3], url=r[4],
            published_at=r[5], claims=claims.get(r[0], []),
        )
        for r in rows
    ]

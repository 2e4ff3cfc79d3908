"""Paged full-text search over articles, through `transform.derive.search` only.

The search module's implementation is being replaced; the explorer calls its
public `search_articles` and nothing else of it. Paging: `offset` is passed
through when the function takes one, else the first offset+limit hits are
asked for and the page cut from them. Filters (outlet, story, dates,
speaker, stance) cannot be pushed into a top-k search, so they apply to the
best CANDIDATES hits; the page says so when that cap was reached.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import duckdb

from claimwire.explorer import queries
from claimwire.explorer.params import SearchParams
from claimwire.transform.derive import search

CANDIDATES = 1000
SearchUnavailable = search.SearchUnavailable


@dataclass(frozen=True)
class ArticleResults:
    hits: list[search.SearchHit]
    has_next: bool
    capped: bool  # filters were applied to the best CANDIDATES hits only


def _takes_offset() -> bool:
    return "offset" in inspect.signature(search.search_articles).parameters


def search_page(con: duckdb.DuckDBPyConnection, query: str, *, limit: int, offset: int
                ) -> list[search.SearchHit]:
    if _takes_offset():
        return list(search.search_articles(con, query, limit=limit, offset=offset))
    return list(search.search_articles(con, query, limit=offset + limit))[offset:]


def search_articles(con: duckdb.DuckDBPyConnection, p: SearchParams) -> ArticleResults:
    paging = p.paging
    if not p.filters_set():
        hits = search_page(con, p.q, limit=paging.size + 1, offset=paging.offset)
        return ArticleResults(hits[: paging.size], len(hits) > paging.size, capped=False)
    candidates = search_page(con, p.q, limit=CANDIDATES, offset=0)
    keep = queries.filter_articles(con, [h.article_id for h in candidates], p)
    hits = [h for h in candidates if h.article_id in keep]
    page = hits[paging.offset: paging.offset + paging.size]
    return ArticleResults(page, len(hits) > paging.offset + paging.size,
                          capped=len(candidates) >= CANDIDATES)

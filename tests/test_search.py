"""Full-text search over articles (DuckDB fts, BM25)."""

from __future__ import annotations

from datetime import datetime

import pytest
from dedup_support import article, claim, load, open_db

from claimwire.transform.derive import search

pytest.importorskip(search.FTS_PACKAGE)

DAY = datetime(2026, 5, 4, 9)
ARTICLES = [
    ("https://a.example/tram", "City approves new tram line",
     "The city council approved a new tram line linking the harbour to the university. "
     "Construction of the tram line starts next spring; the tram depot will be built in the "
     "north. Critics said the tram budget was too small."),
    ("https://b.example/bakery", "Bakery wins award",
     "A family bakery in the old town won the national award for its rye bread. The owners "
     "said the recipe has not changed for three generations."),
    ("https://c.example/budget", "Council budget debate",
     "The council debated the budget for eight hours. Spending on schools rises, while the "
     "transport budget, including buses and one tram extension, stays flat."),
]


@pytest.fixture
def con(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    arts = [article(u, text, title=title, published=DAY) for u, title, text in ARTICLES]
    load(con, tmp_path / "st", arts,
         [claim(arts[0]["article_id"], 0, "Mayor", "assert", "the tram line will open in 2029")])
    return con


def test_most_relevant_article_ranks_first_with_its_claims(con):
    hits = search.search_articles(con, "tram line", limit=5)
    assert [h.url for h in hits][:2] == ["https://a.example/tram", "https://c.example/budget"]
    assert hits[0].score > hits[1].score
    assert [c.speaker for c in hits[0].claims] == ["Mayor"]
    assert hits[0].claims[0].content == "the tram line will open in 2029"


def test_index_follows_later_loads(con, tmp_path):
    assert search.search_articles(con, "ferry") == []
    load(con, tmp_path / "st", [article("https://d.example/ferry",
                                        "The ferry to the island runs again after repairs.",
                                        title="Ferry back", published=DAY)])
    assert [h.url for h in search.search_articles(con, "ferry")] == ["https://d.example/ferry"]


def test_copies_are_not_listed(con, tmp_path):
    text = ARTICLES[1][2] + " The bakery opens at six every morning except Sunday."
    later = datetime(2026, 5, 5, 9)
    load(con, tmp_path / "st", [article("https://copy.example/bakery", text, published=later)])
    urls = [h.url for h in search.search_articles(con, "bakery rye bread")]
    assert urls == ["https://b.example/bakery"]


def test_blank_query_finds_nothing(con):
    assert search.search_articles(con, "   ") == []


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(search, "FTS_PACKAGE", "no_such_fts_package")
    with pytest.raises(search.SearchUnavailable, match="pip install"):
        search.extension_path()

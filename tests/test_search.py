"""Full-text search over articles (DuckDB fts, BM25)."""

from __future__ import annotations

from datetime import datetime

import pytest
from dedup_support import article, claim, load, open_db, stage

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


# --- the incremental index ranks exactly as DuckDB's fts index would -------

_WORDS = [
    "harbour", "council", "tram", "budget", "ferry", "island", "bakery", "bread", "school",
    "teacher", "strike", "union", "minister", "election", "poll", "vote", "court", "ruling",
    "appeal", "storm", "flood", "river", "bridge", "railway", "station", "museum", "festival",
    "orchestra", "winter", "summer", "farmer", "harvest", "drought", "energy", "solar", "wind",
    "battery", "factory", "wages", "tax", "reform", "hospital", "nurse", "doctor", "police",
    "report", "inquiry", "Zürich", "café", "naïve", "don't", "it's", "U.S.", "e-mail", "2024",
    "3.5", "co-operation", "re-elected",
]


def _text(rng, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(w.capitalize() if rng.random() < 0.1 else w for w in words) + "."


def _fts_top(con, query: str) -> list[str]:
    search.load_extension(con)
    rows = con.execute(
        "WITH s AS (SELECT article_id, fts_main_articles.match_bm25(article_id, ?) AS score "
        "FROM articles WHERE duplicate_of IS NULL) "
        "SELECT article_id FROM s WHERE score IS NOT NULL ORDER BY score DESC, article_id "
        "LIMIT 10", [query]).fetchall()
    return [r[0] for r in rows]


def test_incremental_index_ranks_as_the_fts_index_would(tmp_path):
    import random

    from claimwire.warehouse.load import load_batches

    rng = random.Random(5)
    con = open_db(tmp_path / "wh.duckdb")
    for night in range(4):  # several passes, as nights would
        arts = [article(f"https://n{night}.example/{i}", _text(rng, rng.randint(20, 120)),
                        title=_text(rng, 5), published=DAY) for i in range(60)]
        load(con, tmp_path / f"st{night}", arts)
    # Re-processing replaces an article's words: the index must forget the old ones.
    stored = con.execute("SELECT article_id, canonical_url, title FROM articles "
                         "ORDER BY article_id LIMIT 25").fetchall()
    redone = [dict(article(url, _text(rng, 40), title=title, published=DAY), article_id=aid,
                   doc_id=aid) for aid, url, title in stored]
    load_batches(con, [stage(tmp_path / "redo", redone)])
    from claimwire.transform.derive.runner import derive_pending

    derive_pending(con)
    search.load_extension(con)
    con.execute("PRAGMA create_fts_index('articles', 'article_id', 'title', 'text', "
                "overwrite = 1)")
    queries = [" ".join(rng.sample(_WORDS, rng.randint(1, 3))) for _ in range(60)]
    for query in queries:
        ours = [h.article_id for h in search.search_articles(con, query, limit=10)]
        assert ours == _fts_top(con, query), query
    # A rebuild from the warehouse gives the same index.
    before = {q: [h.article_id for h in search.search_articles(con, q)] for q in queries}
    search.rebuild_index(con)
    assert {q: [h.article_id for h in search.search_articles(con, q)] for q in queries} == before


def test_paging_continues_where_the_first_page_ended(con):
    everything = [h.article_id for h in search.search_articles(con, "tram budget council",
                                                                limit=10)]
    assert len(everything) == 2 or len(everything) == 3
    page2 = search.search_articles(con, "tram budget council", limit=1, offset=1)
    assert [h.article_id for h in page2] == everything[1:2]


def test_cli_rebuilds_the_index_and_search_finds_the_same(tmp_path, capsys):
    from conftest import write_config

    from claimwire.cli import main

    db = tmp_path / "wh.duckdb"
    con = open_db(db)
    arts = [article(u, text, title=title, published=DAY) for u, title, text in ARTICLES]
    load(con, tmp_path / "st", arts)
    con.close()
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[])
    assert main(["search", "tram", "--config", str(cfg)]) == 0
    first = capsys.readouterr().out
    assert main(["derive", "--rebuild-search", "--quiet", "--config", str(cfg)]) == 0
    assert "rebuilt over 3 article(s)" in capsys.readouterr().out
    assert main(["search", "tram", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out == first

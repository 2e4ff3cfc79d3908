"""End-to-end ingest over real HTTP on 127.0.0.1 into a real DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import rows, write_config
from servers import Reply, redirect, serve

from claimwire.cli import main
from claimwire.config import load_config
from claimwire.pipeline import run_ingest
from claimwire.sample_site import serve_sample_site

LOOPBACK = ["127.0.0.1/32"]


def count(db: Path, table: str) -> int:
    return rows(db, f"SELECT count(*) FROM {table}")[0][0]


@pytest.fixture(scope="module")
def site():
    with serve_sample_site(port=0) as running:
        yield running


def test_sample_site_ingest_loads_five_clean_articles_once(site, tmp_path: Path, db_path: Path):
    cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[site.rss_url, site.atom_url],
                       allow=LOOPBACK)
    summary = run_ingest(load_config(cfg))
    assert summary.get("feeds_polled") == 2
    # Both feeds list all five articles (one with tracking parameters): five pages fetched.
    assert summary.get("pages_fetched") == 5
    assert count(db_path, "articles") == 5
    titles = {t for (t,) in rows(db_path, "SELECT title FROM articles")}
    assert titles == {a.title for a in site.articles}
    dates = dict(rows(db_path, "SELECT title, CAST(published_at AS DATE) FROM articles"))
    for article in site.articles:
        assert dates[article.title] == article.published.date()
    texts = [t for (t,) in rows(db_path, "SELECT text FROM articles")]
    for text in texts:
        assert "Recent Posts" not in text
        assert "passionate journalist" not in text
        assert len(text) > 800
    assert any("significant escalation" in t for t in texts)
    # every URL an article was seen under is recorded
    assert count(db_path, "feed_items") == 10
    assert rows(db_path, "SELECT count(DISTINCT canonical_url) FROM feed_items")[0][0] == 5
    assert count(db_path, "claims") > 0

    before = {t: count(db_path, t) for t in ("articles", "documents", "claims", "article_urls")}
    again = run_ingest(load_config(cfg))
    assert again.get("feeds_not_modified") == 2
    assert again.get("pages_fetched") == 0
    assert {t: count(db_path, t) for t in before} == before
    # the second poll was a conditional GET answered 304
    statuses = rows(db_path, "SELECT status FROM fetches WHERE kind = 'feed' ORDER BY fetched_at")
    assert [s for (s,) in statuses][-2:] == [304, 304]
    (run_kinds,) = rows(db_path, "SELECT count(*) FROM runs WHERE status = 'completed'")
    assert run_kinds == (2,)


ARTICLE = """<html lang="en"><head><title>{title}</title>
<meta property="article:published_time" content="2024-10-2{day}T10:00:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>{paras}</article>
<footer>Copyright Example News</footer></body></html>"""


def article_page(title: str, day: int, sentence: str) -> Reply:
    paras = "".join(
        f"<p>{sentence} Paragraph {i} adds detail number {i * 7} about the matter at hand.</p>"
        for i in range(8)
    )
    return Reply(body=ARTICLE.format(title=title, day=day, paras=paras),
                 headers={"Content-Type": "text/html; charset=utf-8"})


def rss(base: str, links: list[str]) -> Reply:
    items = "".join(
        f"<item><title>t{i}</title><link>{base}{link}</link>"
        f"<pubDate>Mon, 2{i} Oct 2024 10:00:00 GMT</pubDate></item>"
        for i, link in enumerate(links)
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        f"{items}</channel></rss>"
    )
    return Reply(body=body, headers={"Content-Type": "application/rss+xml"})


def test_same_article_in_two_feeds_with_tracking_parameters_loads_once(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        routes["/a"] = article_page("Alpha", 1, "The minister said the bridge would reopen.")
        routes["/feed1"] = rss(base, ["/a?utm_source=feed1&utm_medium=rss"])
        routes["/feed2"] = rss(base, ["/a?fbclid=xyz#comments"])
        cfg = write_config(tmp_path / "c.toml", db=db_path,
                           feeds=[base + "/feed1", base + "/feed2"], allow=LOOPBACK)
        summary = run_ingest(load_config(cfg))
        assert summary.get("pages_fetched") == 1
        assert count(db_path, "articles") == 1
        links = {link for (link,) in rows(db_path, "SELECT link FROM feed_items")}
        assert len(links) == 2  # both spellings are recorded
        page_hits = [r for r in base.requests if r.path.startswith("/a")]
        assert len(page_hits) == 1


def test_same_text_under_two_urls_is_one_article(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        page = article_page("Beta", 2, "Officials confirmed the vote count on Tuesday.")
        routes["/beta"] = page
        routes["/syndicated/beta-copy"] = page
        routes["/feed"] = rss(base, ["/beta", "/syndicated/beta-copy"])
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=LOOPBACK)
        summary = run_ingest(load_config(cfg))
        assert summary.get("pages_fetched") == 2
        assert count(db_path, "articles") == 1
        assert summary.get("exact_duplicates") == 1
        urls = rows(db_path, "SELECT canonical_url FROM article_urls ORDER BY 1")
        assert [u for (u,) in urls] == [base + "/beta", base + "/syndicated/beta-copy"]


def test_json_feed_over_http(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        routes["/j"] = article_page("Gamma", 3, "The agency warned of storms over the weekend.")
        routes["/feed.json"] = Reply(
            body=json.dumps({
                "version": "https://jsonfeed.org/version/1.1", "title": "J",
                "items": [{"id": "g1", "url": base + "/j", "title": "Gamma",
                           "date_published": "2024-10-23T10:00:00Z"}],
            }),
            headers={"Content-Type": "application/feed+json"},
        )
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed.json"],
                           allow=LOOPBACK)
        run_ingest(load_config(cfg))
        assert rows(db_path, "SELECT title FROM articles") == [("Gamma",)]
        assert rows(db_path, "SELECT kind FROM feeds") == [("jsonfeed1.1",)]


def test_redirect_to_refused_address_is_recorded_not_followed(tmp_path, db_path):
    routes: dict = {}
    trap: dict = {"/secret": Reply(body="internal")}
    with serve(trap, host="127.0.0.2") as internal, serve(routes) as base:
        routes["/ok"] = article_page("Delta", 4, "The mayor said the budget was balanced.")
        routes["/evil"] = redirect(internal + "/secret")
        routes["/feed"] = rss(base, ["/ok", "/evil"])
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=LOOPBACK)
        summary = run_ingest(load_config(cfg))
        assert summary.get("pages_failed") == 1
        assert count(db_path, "articles") == 1
        (error,) = rows(db_path, "SELECT error FROM fetches WHERE url LIKE '%/evil'")[0]
        assert error.startswith("blocked_address")
        assert internal.connections == 0


def test_loopback_feed_refused_without_allow_networks(tmp_path, db_path):
    with serve_sample_site(port=0) as site:
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[site.rss_url])
        code = main(["ingest", "--config", str(cfg), "--quiet"])
        assert code == 3  # every feed of the run failed (the run itself completed)
        (result, error) = rows(db_path, "SELECT last_result, last_error FROM feeds")[0]
        assert result == "failed" and error.startswith("blocked_address")
        # the CLI flag opens the network for one run
        code = main(["ingest", "--config", str(cfg), "--quiet",
                     "--allow-network", "127.0.0.1/32"])
        assert code == 0
        assert count(db_path, "articles") == 5


def test_opml_import_then_ingest(tmp_path, db_path, capsys):
    with serve_sample_site(port=0) as site:
        opml = tmp_path / "list.opml"
        opml.write_text(
            '<?xml version="1.0"?><opml version="2.0"><body><outline text="News">'
            f'<outline text="Sample RSS" xmlUrl="{site.rss_url}"/></outline></body></opml>'
        )
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=LOOPBACK)
        assert main(["feeds", "import", str(opml), "--config", str(cfg)]) == 0
        assert "imported 1 new feed" in capsys.readouterr().out
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
        assert rows(db_path, "SELECT name, tags FROM feeds") == [("Sample RSS", "News")]
        assert count(db_path, "articles") == 5


def test_cli_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[warehouse\npath = 1")
    done = subprocess.run([sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("claimwire: error:") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

    empty = write_config(tmp_path / "empty.toml", db=tmp_path / "x.duckdb", feeds=[])
    done = subprocess.run([sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(empty)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no feeds" in done.stderr

    blocker = tmp_path / "file"
    blocker.write_text("x")
    unwritable = write_config(tmp_path / "u.toml", db=blocker / "wh.duckdb", feeds=["http://e/"])
    done = subprocess.run(
        [sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(unwritable)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot" in done.stderr


def test_env_db_overrides_config(tmp_path, monkeypatch):
    cfg = write_config(tmp_path / "c.toml", db=tmp_path / "a.duckdb", feeds=[])
    monkeypatch.setenv("CLAIMWIRE_DB", str(tmp_path / "b.duckdb"))
    monkeypatch.setenv("CLAIMWIRE_CONFIG", str(cfg))
    assert load_config().warehouse_path == tmp_path / "b.duckdb"

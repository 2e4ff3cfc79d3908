"""Deadlines in a whole run: a server answering 503 + Retry-After on every
page, a 1.3 MB page of 16,000 attributed paragraphs and a dense page slower
than the claim stage's budget all end within the run's budgets, the good
pages load (a finished shard before the slow one ends), and what was skipped
says why; a run out of fetch budget leaves the rest for the next run."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from conftest import rows, write_config
from newsgen import page, rss
from servers import Reply, serve

from claimwire.ingest.archive import RawArchive
from claimwire.ingest.fetch import url_record_key
from claimwire.ingest.urls import canonicalize_url, url_key

DAY0 = datetime(2024, 10, 1, 9, 0, tzinfo=UTC)
NAMES = ["Anna Berg", "Tom Reed", "the minister", "Jane Holt"]


def attributed_page(paragraphs: int, title: str) -> Reply:
    body = "".join(
        f'<p>"The {i} harbour bridge will reopen next week," {NAMES[i % 4]} said on Monday.</p>'
        for i in range(paragraphs))
    html = (f"<html><head><title>{title}</title><meta property='article:published_time' "
            f"content='{DAY0.isoformat()}'></head><body><article><h1>{title}</h1>{body}"
            "</article></body></html>")
    return Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"})


def last_in_doc_order(base: str, count: int, taken: set[str]) -> list[str]:
    """`count` page paths whose documents sort last (shards are cut in doc_id order)."""
    paths = [f"/slow/{i}" for i in range(200)]
    paths.sort(key=lambda p: url_key(canonicalize_url(base + p)))
    return [p for p in paths if p not in taken][-count:]


def test_retry_after_server_huge_and_dense_pages_end_within_budget(tmp_path, db_path):
    routes: dict = {}
    with serve(routes, host="127.0.0.2") as busy, serve(routes) as base:
        items = []
        good = 40
        for i in range(good):
            path = f"/good/{i}"
            routes[path] = page(f"Good {i}", DAY0 + timedelta(minutes=i), 500 + i)
            items.append((f"Good {i}", base + path, DAY0 + timedelta(minutes=i)))
        huge, dense = last_in_doc_order(base, 2, set())
        routes[huge] = attributed_page(16_000, "Huge")
        routes[dense] = attributed_page(1_500, "Dense")
        items += [("Huge", base + huge, DAY0), ("Dense", base + dense, DAY0)]
        for i in range(8):  # every page: 503, come back in 15 s
            routes[f"/busy/{i}"] = Reply(status=503, headers={"Retry-After": "15"})
            items.append((f"Busy {i}", busy + f"/busy/{i}", DAY0))
        routes["/feed"] = rss(items)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=["127.0.0.1/32", "127.0.0.2/32"])
        text = cfg.read_text().replace("[warehouse]\n", "[warehouse]\nworkers = 2\n")
        text = text.replace("retries = 0", "retries = 2\ntotal_timeout = 10.0")
        cfg.write_text(text + "\n[claims]\ntime_budget = 1.5\n")
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "claimwire.cli", "ingest", "--config", str(cfg)],
            capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    # Before: 8 pages x 2 retries x 15 s over 2 connections (two minutes) of the
    # network part alone, and the dense page alone took a minute of claims.
    assert elapsed < 90, elapsed
    busy_requests = [s for s in busy.requests if s.path.startswith("/busy/")]
    assert len(busy_requests) == 8  # Retry-After 15 > what is left of 10 s: no retry

    titles = {t for (t,) in rows(db_path, "SELECT title FROM articles")}
    assert {f"Good {i}" for i in range(good)} | {"Huge", "Dense"} == titles
    claims_of = dict(rows(db_path, "SELECT a.title, count(c.claim_id) FROM articles a "
                                   "LEFT JOIN claims c USING (article_id) GROUP BY a.title"))
    assert claims_of["Huge"] == 0 and claims_of["Dense"] == 0
    errors = dict(rows(db_path, "SELECT item_title, error FROM documents WHERE status = "
                                "'processed' AND error IS NOT NULL"))
    assert set(errors) == {"Huge", "Dense"}
    assert "over max_text_chars (200000)" in errors["Huge"]
    assert errors["Dense"] == "claims_skipped: over the 1.5 s time budget"
    skipped = dict(rows(db_path, "SELECT title, claims_skipped FROM articles "
                                 "WHERE claims_skipped IS NOT NULL"))
    assert skipped == {"Huge": errors["Huge"].removeprefix("claims_skipped: "),
                       "Dense": "over the 1.5 s time budget"}
    (text_length,) = rows(db_path, "SELECT length(text) FROM articles WHERE title = 'Huge'")[0]
    assert text_length > 1_000_000  # the text is kept; only its claims were skipped
    assert "claims skipped    2" in done.stdout

    # The 42 pages fetched were transformed while the busy host was still being
    # tried (each page's claims under its time budget), and loaded together.
    lines = done.stderr.splitlines()
    assert "[transform] 42 document(s) transformed while fetching" in lines, lines

    # The busy pages were not fetched: they are not known, so a later run tries again.
    archive = RawArchive(db_path.parent / "claimwire-raw")
    for i in range(8):
        key = url_key(url_record_key(canonicalize_url(busy + f"/busy/{i}")))
        assert archive.url_record(key) is None


def test_fetch_budget_leaves_the_rest_for_the_next_run(tmp_path, db_path):
    routes: dict = {}
    with serve(routes) as base:
        items = []
        for i in range(12):
            path = f"/p/{i}"
            slow = page(f"Page {i}", DAY0 + timedelta(minutes=i), 900 + i)
            routes[path] = Reply(body=slow.body, headers=slow.headers, delay=0.5)
            items.append((f"Page {i}", base + path, DAY0 + timedelta(minutes=i)))
        routes["/feed"] = Reply(body=rss(items).body, headers={
            "Content-Type": "application/rss+xml", "ETag": '"v1"'})
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=["127.0.0.1/32"])
        plain = cfg.read_text().replace("per_host_delay = 0.0", "per_host_delay = 0.0\n"
                                        "per_host_connections = 1")
        cfg.write_text(plain + "\n[polling]\nfetch_budget = 1.5\n")
        started = time.monotonic()
        first = subprocess.run([sys.executable, "-m", "claimwire.cli", "ingest", "--config",
                                str(cfg)], capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        assert time.monotonic() - started < 60
        assert "fetch budget of 1.5 s spent" in first.stderr
        loaded = rows(db_path, "SELECT count(*) FROM articles")[0][0]
        assert 1 <= loaded < 12
        # the feed is read in full next time, not answered 304 from its ETag
        assert rows(db_path, "SELECT etag, body_sha256 FROM feeds") == [(None, None)]
        cfg.write_text(plain)
        second = subprocess.run([sys.executable, "-m", "claimwire.cli", "ingest", "--config",
                                 str(cfg), "--quiet"], capture_output=True, text=True,
                                timeout=300)
        assert second.returncode == 0, second.stderr
    assert rows(db_path, "SELECT count(*) FROM articles") == [(12,)]
    page_fetches = [s.path for s in base.requests if s.path.startswith("/p/")]
    assert sorted(page_fetches) == sorted(f"/p/{i}" for i in range(12))  # each once

"""The explorer's pages over the demo warehouse (built once per test session):
status codes, filters, paging, error pages, escaping, the raw route, the
lock, and one real uvicorn server."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import lxml.html
import pytest
from explorer_support import app_client, demo_dir, free_port, query

pytest.importorskip("starlette")

STORY_SQL = ("SELECT story_id FROM articles WHERE story_id IS NOT NULL "
             "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
RUTTE_SQL = "SELECT speaker_id FROM speakers WHERE canonical = 'Mark Rutte'"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def db(demo: Path) -> Path:
    return demo / "claimwire.duckdb"


@pytest.fixture(scope="module")
def client(demo: Path):
    with app_client(demo, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def ids(db: Path) -> dict[str, str]:
    return {
        "story": query(db, STORY_SQL)[0][0],
        "speaker": query(db, RUTTE_SQL)[0][0],
        "article": query(db, "SELECT article_id FROM articles WHERE site = 'Outlet A'")[0][0],
    }


def _doc(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def _claim_ids(response: httpx.Response) -> list[str]:
    return _doc(response).xpath("//li[contains(@class, 'claim-hit')]/@data-claim")


def test_demo_prints_the_serve_command(demo: Path) -> None:
    assert "claimwire serve" in (demo / "demo-output.txt").read_text()


@pytest.mark.parametrize("path", [
    "/", "/search", "/search?q=north+korean", "/search?in=articles",
    "/search?in=articles&q=Macgregor", "/speaker/{speaker}", "/story/{story}",
    "/article/{article}", "/status",
])
def test_every_page_renders(client, ids, path: str) -> None:
    response = client.get(path.format(**ids))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "http" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    # Nothing on a page may come from elsewhere: no script, no remote reference.
    assert "<script" not in response.text
    assert not re.search(r'(src|href)="(https?:)?//(?!127\.0\.0\.1)', response.text.replace(
        'href="http://127.0.0.1', ""))


def test_claims_are_searched_by_words(client, db) -> None:
    response = client.get("/search", params={"q": "KURSK region", "size": "100"})
    found = set(_claim_ids(response))
    expected = {r[0] for r in query(
        db, "SELECT claim_id FROM claims WHERE content ILIKE '%kursk%' "
            "AND content ILIKE '%region%'")}
    assert found == expected and found


def test_words_are_matched_literally(client) -> None:
    assert _claim_ids(client.get("/search", params={"q": "K.rsk"})) == []
    assert _claim_ids(client.get("/search", params={"q": "(troops"})) == []
    assert _claim_ids(client.get("/search", params={"q": "kursk"}))


@pytest.mark.parametrize("params, sql", [
    ({"stance": "deny"}, "c.stance = 'deny'"),
    ({"speaker": "rutte"}, "c.speaker_canonical = 'Mark Rutte'"),
    ({"speaker": "Nato Secretary General"}, "c.speaker_canonical = 'Mark Rutte'"),  # an alias
    ({"since": "2024-10-17", "until": "2024-10-27"},
     "coalesce(c.claimed_on, a.published_at::DATE) BETWEEN '2024-10-17' AND '2024-10-27'"),
    ({"site": "Outlet C"}, "a.site = 'Outlet C'"),
    ({"site": "Outlet C", "stance": "assert", "q": "troops"},
     "a.site = 'Outlet C' AND c.stance = 'assert' AND c.content ILIKE '%troops%'"),
])
def test_claim_filters(client, db, params, sql) -> None:
    response = client.get("/search", params={**params, "size": "100"})
    assert response.status_code == 200
    expected = {r[0] for r in query(
        db, f"SELECT c.claim_id FROM claims c JOIN articles a USING (article_id) WHERE {sql}")}
    assert set(_claim_ids(response)) == expected and expected


def test_story_filter_and_its_label(client, db, ids) -> None:
    response = client.get("/search", params={"story": ids["story"], "size": "100"})
    assert len(_claim_ids(response)) == query(
        db, "SELECT count(*) FROM claims c JOIN articles a USING (article_id) "
            "WHERE a.story_id = ?", [ids["story"]])[0][0]
    assert "NATO Cannot Verify Reports" in response.text


def test_claims_are_paged_without_gaps_or_repeats(client, db) -> None:
    total = query(db, "SELECT count(*) FROM claims")[0][0]
    seen: list[str] = []
    page = 1
    while True:
        response = client.get("/search", params={"page": str(page)})
        got = _claim_ids(response)
        assert len(got) == (20 if page * 20 <= total else total % 20)
        seen += got
        nxt = _doc(response).xpath("//a[@rel='next']/@href")
        if not nxt:
            break
        assert f"page={page + 1}" in nxt[0]
        page += 1
    assert len(seen) == len(set(seen)) == total
    assert page == -(-total // 20)
    # Past the end: an empty page, not an error.
    assert _claim_ids(client.get("/search", params={"page": str(page + 3)})) == []


def test_articles_tab_ranks_by_bm25_and_filters(client) -> None:
    response = client.get("/search", params={"in": "articles", "q": "Macgregor"})
    hits = _doc(response).xpath("//li[contains(@class,'article-hit')]")
    assert hits and "Outlet A" in hits[0].text_content()
    filtered = client.get("/search", params={"in": "articles", "q": "troops", "site": "Outlet B"})
    sites = _doc(filtered).xpath("//li[contains(@class,'article-hit')]//span[@class='site']/text()")
    assert sites == ["Outlet B"]
    by_stance = client.get("/search", params={"in": "articles", "q": "troops", "stance": "deny",
                                              "speaker": "Macgregor"})
    assert len(_doc(by_stance).xpath("//li[contains(@class,'article-hit')]")) == 1


def test_articles_tab_pages(client) -> None:
    first = client.get("/search", params={"in": "articles", "size": "2"})
    second = client.get("/search", params={"in": "articles", "size": "2", "page": "2"})
    a = _doc(first).xpath("//li[contains(@class,'article-hit')]/@data-article")
    b = _doc(second).xpath("//li[contains(@class,'article-hit')]/@data-article")
    assert len(a) == len(b) == 2 and not set(a) & set(b)


def test_hits_link_to_article_and_story(client, ids) -> None:
    doc = _doc(client.get("/search", params={"speaker": "Rutte"}))
    hit = doc.xpath("//li[contains(@class,'claim-hit')]")[0]
    assert hit.xpath(".//a[@class='article-link']/@href")[0].startswith("/article/")
    assert hit.xpath(".//a[@class='story-link']/@href")[0] == f"/story/{ids['story']}"
    assert hit.xpath(".//a[@class='speaker']/@href")[0] == "/speaker/person%3Amark-rutte"


@pytest.mark.parametrize("path", [
    "/search?page=0", "/search?page=abc", "/search?page=99999999999", "/search?size=1000",
    "/search?stance=maybe", "/search?in=everything", "/search?since=2024-13-01",
    "/search?since=2024-10-20&until=2024-10-01", "/search?q=" + "x" * 201,
    "/search?speaker=%01", "/speaker/{speaker}?page=-1", "/story/{story}?page=x",
    "/article/{article}/raw?download=yes",
])
def test_bad_parameters_are_400(client, ids, path: str) -> None:
    response = client.get(path.format(**ids))
    assert response.status_code == 400
    assert "Bad request" in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("path", [
    "/speaker/person%3Anobody", "/story/st-nope", "/article/nope", "/article/nope/raw",
    "/no/such/page", "/static/nope.css", "/speaker/%20",
])
def test_unknown_ids_are_404(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Not found" in response.text


def test_no_write_method(client) -> None:
    response = client.post("/search", data={"q": "x"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_speaker_page(client, db, ids) -> None:
    response = client.get(f"/speaker/{ids['speaker']}")
    doc = _doc(response)
    assert doc.xpath("//h1")[0].text_content() == "Mark Rutte"
    aliases = doc.xpath("//span[@class='alias']/text()")
    assert "NATO Secretary General Mark Rutte" in aliases
    dated = query(db, "SELECT count(*) FROM claims c JOIN articles a USING (article_id) "
                      "WHERE c.speaker_id = ? AND coalesce(c.claimed_on, a.published_at) "
                      "IS NOT NULL", [ids["speaker"]])[0][0]
    assert len(doc.xpath("//figure[@id='speaker-chart']//*[local-name()='circle' and "
                         "contains(@class,'mark')]")) == dated
    changes = query(db, "SELECT from_stance, to_stance, to_date FROM speaker_stance_changes "
                        "WHERE speaker = 'Mark Rutte'")
    assert len(doc.xpath("//table[contains(@class,'changes')]/tbody/tr")) == len(changes) == 3


def test_story_page(client, db, ids) -> None:
    doc = _doc(client.get(f"/story/{ids['story']}"))
    claims = query(db, "SELECT count(*) FROM claims")[0][0]
    assert len(doc.xpath("//figure[@id='story-chart']//*[local-name()='circle' and "
                         "contains(@class,'mark')]")) == claims
    view = query(db, "SELECT count(*) FROM contradictions")[0][0]
    assert len(doc.xpath("//tr[@class='contradiction']")) == view > 0
    outlets = doc.xpath("//ul[@class='outlets']/li/strong/text()")
    assert outlets == [f"Outlet {x}" for x in "ABCDE"]
    assert len(doc.xpath("//tr[@class='claim-row']")) == 20  # first page


def test_article_page_marks_every_claim_span(client, db, ids) -> None:
    text = query(db, "SELECT text FROM articles WHERE article_id = ?", [ids["article"]])[0][0]
    spans = query(db, "SELECT claim_id, char_start, char_end FROM claims WHERE article_id = ?",
                  [ids["article"]])
    doc = _doc(client.get(f"/article/{ids['article']}"))
    body = doc.xpath("//div[@id='article-text']")[0]
    assert body.text_content() == text
    for claim_id, start, end in spans:
        pieces = body.xpath(f".//mark[@data-claim='{claim_id}']")
        assert "".join(_own_text(p) for p in pieces) == text[start:end]
    meta = doc.xpath("//dl[@class='meta-list']")[0].text_content()
    for expected in ("Outlet A", "Marta Lindqvist", "2024-10-30", "en"):
        assert expected in meta
    assert doc.xpath("//a[@class='raw-link']/@href") == [f"/article/{ids['article']}/raw"]


def _own_text(mark: lxml.html.HtmlElement) -> str:
    # A piece's text, its nested marks included (they are inside the span too).
    return mark.text_content()


def test_raw_is_served_as_plain_text_or_a_download(client, db, demo, ids) -> None:
    from claimwire.ingest.archive import RawArchive

    digest = query(db, "SELECT raw_sha256 FROM articles WHERE article_id = ?",
                   [ids["article"]])[0][0]
    raw = RawArchive(demo / "claimwire-raw").get(digest)
    response = client.get(f"/article/{ids['article']}/raw")
    assert response.status_code == 200 and response.content == raw
    assert response.headers["content-type"].startswith("text/plain")
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    download = client.get(f"/article/{ids['article']}/raw?download=1")
    assert download.content == raw
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/octet-stream"


def test_status_page(client, db) -> None:
    doc = _doc(client.get("/status"))
    assert doc.xpath("//strong[@data-count='articles']/text()") == ["5"]
    assert doc.xpath("//strong[@id='queue']/text()") == ["0"]
    text = doc.text_content()
    assert "rss.xml" in text and "demo" in text  # a feed and the demo run


def test_unexpected_error_is_500_without_details(client, monkeypatch, caplog) -> None:
    from claimwire.explorer import queries

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(queries, "sites", broken)
    with caplog.at_level("ERROR", logger="claimwire.explorer"):
        response = client.get("/search")
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret internal detail" in caplog.text  # logged server-side


def test_missing_warehouse_is_503(tmp_path) -> None:
    with app_client(tmp_path / "nothing-here", raise_server_exceptions=False) as c:
        response = c.get("/search")
    assert response.status_code == 503
    assert "no warehouse" in response.text.lower()


def test_busy_warehouse_is_503_with_retry_after(demo, tmp_path, monkeypatch) -> None:
    import shutil

    from claimwire.explorer import db as explorer_db

    copy = tmp_path / "busy"
    shutil.copytree(demo, copy)
    monkeypatch.setattr(explorer_db, "BUSY_WAIT_SECONDS", 0.3)
    # A writer in another process holds the lock, as a nightly load does.
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); sys.stdin.read()", str(copy / "claimwire.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        with app_client(copy, raise_server_exceptions=False) as c:
            response = c.get("/status")
            assert response.status_code == 503
            assert response.headers["retry-after"].isdigit()
            assert "being updated" in response.text
            writer.communicate("", timeout=30)
            assert c.get("/status").status_code == 200
    finally:
        writer.kill()
        writer.wait()


def test_each_request_closes_its_connection(demo, ids, tmp_path) -> None:
    # After requests, another process can take the write lock at once. On a
    # copy: the shared demo warehouse is read by other test workers meanwhile.
    own = tmp_path / "demo"
    shutil.copytree(demo, own)
    with app_client(own, raise_server_exceptions=False) as client:
        assert client.get(f"/story/{ids['story']}").status_code == 200
        done = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
             str(own / "claimwire.duckdb")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_real_server_from_the_cli(demo) -> None:
    """`claimwire serve` on 127.0.0.1, requested over real HTTP."""
    port = free_port()
    env_db = str(demo / "claimwire.duckdb")
    server = subprocess.Popen(
        [sys.executable, "-m", "claimwire.cli", "serve", "--port", str(port)],
        env={**_env(), "CLAIMWIRE_DB": env_db}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/status", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert response.status_code == 200
        assert "server" not in response.headers
        assert httpx.get(f"http://127.0.0.1:{port}/nope").status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=30)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("CLAIMWIRE_CONFIG", "CLAIMWIRE_DB")}


def test_concurrent_requests_on_a_real_server(demo) -> None:
    """Requests in parallel, each on its own read-only connection, on uvicorn."""
    import concurrent.futures

    from explorer_support import uvicorn_server

    paths = ["/", "/status", "/speaker/person%3Amark-rutte", "/search?in=articles&q=troops",
             "/story/nope"] * 4
    with uvicorn_server(demo) as base, concurrent.futures.ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda p: httpx.get(base + p, timeout=60).status_code, paths))
        assert httpx.head(f"{base}/status", timeout=60).status_code == 200
    assert codes == [404 if p.endswith("nope") else 200 for p in paths]

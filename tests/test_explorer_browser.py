"""The explorer in a real headless Chromium (Debian's `chromium`, driven by
Playwright; no browser is ever downloaded): every page loads without a
console error (a Content-Security-Policy violation is one), the charts draw
one mark per claim, links lead search -> story -> article -> speaker, and the
highlighted spans sit exactly at the claims' offsets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from explorer_support import CHROMIUM, CHROMIUM_ARGS, demo_dir, query, uvicorn_server

pytest.importorskip("starlette")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; `make test` does it "
                "as root)", allow_module_level=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(demo: Path) -> Iterator[str]:
    with uvicorn_server(demo) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.errors = []  # console errors and page errors, checked by each test
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(base_url) or r.url.startswith("data:")
            else page.errors.append(f"request outside the app: {r.url}"))
    yield page
    context.close()


def test_pages_load_cleanly(page, demo) -> None:
    db = demo / "claimwire.duckdb"
    story = query(db, "SELECT story_id FROM articles LIMIT 1")[0][0]
    article = query(db, "SELECT article_id FROM articles LIMIT 1")[0][0]
    for path in ("/", "/search?in=articles&q=troops", f"/story/{story}", f"/article/{article}",
                 "/speaker/person%3Amark-rutte", "/status"):
        response = page.goto(path)
        assert response.status == 200, path
        # The stylesheet applied (a CSP blocking it would leave the browser's 32px).
        assert page.eval_on_selector("h1", "e => getComputedStyle(e).fontSize") == "25.6px"
    assert page.errors == []
    response = page.goto("/story/none")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"


def _marks(page, figure: str) -> int:
    return page.locator(f"figure#{figure} svg circle.mark").count()


def test_charts_draw_one_mark_per_claim(page, demo) -> None:
    db = demo / "claimwire.duckdb"
    page.goto("/speaker/person%3Amark-rutte")
    rutte = query(db, "SELECT count(*) FROM claims WHERE speaker_id = 'person:mark-rutte'")[0][0]
    assert _marks(page, "speaker-chart") == rutte > 0
    box = page.locator("figure#speaker-chart svg").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 50  # actually drawn
    story = query(db, "SELECT story_id FROM articles LIMIT 1")[0][0]
    page.goto(f"/story/{story}")
    assert _marks(page, "story-chart") == query(db, "SELECT count(*) FROM claims")[0][0]
    # A mark leads to its claim in its article.
    page.locator("figure#story-chart svg a").first.click()
    assert "/article/" in page.url and "#claim-" in page.url
    assert page.errors == []


def test_links_from_search_to_speaker(page, demo) -> None:
    page.goto("/search?q=Kursk")
    page.locator("li.claim-hit a.story-link").first.click()
    page.wait_for_url("**/story/**")
    assert page.locator("p.kicker").inner_text().lower() == "story"
    page.locator("ul.outlets a.article-link").first.click()
    page.wait_for_url("**/article/**")
    assert page.locator("h1.article-title").inner_text()
    speaker = page.locator("table.claims a.speaker").first
    name = speaker.inner_text()
    speaker.click()
    page.wait_for_url("**/speaker/**")
    assert page.locator("h1.speaker-name").inner_text() == name
    assert page.errors == []


# For each claim, the text before its first highlighted piece (measured by the
# browser through a DOM Range) and the text of all its pieces.
SPANS_JS = """
() => {
  const body = document.getElementById('article-text');
  const found = {};
  for (const mark of body.querySelectorAll('mark[data-claim]')) {
    const id = mark.dataset.claim;
    if (!(id in found)) {
      const range = document.createRange();
      range.setStart(body, 0);
      range.setEnd(mark, 0);
      found[id] = {before: range.toString(), text: ''};
    }
    // Only the piece's own characters: nested marks are pieces of other claims
    // or further pieces of this one, counted where they are.
    for (const node of mark.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) found[id].text += node.textContent;
      else if (node.dataset && node.dataset.claim !== id) found[id].text += node.textContent;
    }
  }
  return {text: body.textContent, found};
}
"""


def test_highlighted_spans_match_claim_offsets(page, demo) -> None:
    db = demo / "claimwire.duckdb"
    checked = 0
    for (article_id,) in query(db, "SELECT article_id FROM articles ORDER BY article_id"):
        text = query(db, "SELECT text FROM articles WHERE article_id = ?", [article_id])[0][0]
        spans = query(db, "SELECT claim_id, char_start, char_end FROM claims "
                          "WHERE article_id = ?", [article_id])
        page.goto(f"/article/{article_id}")
        got = page.evaluate(SPANS_JS)
        assert got["text"] == text
        assert set(got["found"]) == {claim_id for claim_id, *_ in spans}
        for claim_id, start, end in spans:
            assert got["found"][claim_id]["before"] == text[:start]
            assert got["found"][claim_id]["text"] == text[start:end]
            checked += 1
    assert checked == query(db, "SELECT count(*) FROM claims")[0][0]
    assert page.errors == []


def test_raw_page_is_never_rendered_as_html(page, demo) -> None:
    db = demo / "claimwire.duckdb"
    article = query(db, "SELECT article_id FROM articles LIMIT 1")[0][0]
    page.goto(f"/article/{article}/raw")
    # Shown as text: the page's markup is visible, none of its elements exist.
    assert "<html" in page.locator("body").inner_text().lower()
    assert page.locator("article, h1, p").count() == 0

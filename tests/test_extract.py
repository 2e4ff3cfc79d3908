"""Article extraction: sample-site pages, hostile input, character encodings."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimwire.sample_site import sample_articles
from claimwire.sample_site.catalog import OFFLINE_BASE_URL, SampleArticle, article_parts
from claimwire.sample_site.server import build_resources
from claimwire.transform.extract import Extracted, extract_article

ARTICLES = sample_articles()
PAGES = build_resources(OFFLINE_BASE_URL)
# Furniture the renderer puts on every page; none of it is article text.
SITE_FURNITURE = (
    "Skip to content",
    "Independent news since 2009",
    "Share this article",
    "Copy link",
    "Related posts",
    "Leave a reply",
    "Post comment",
    "Newsletter",
    "every morning in your inbox",
    "All rights reserved",
    "Privacy policy",
    "Most read",
    "Tags:",
)


def _squeeze(text: str) -> str:
    # The sample texts carry no-break spaces; extraction rightly turns them into spaces.
    return " ".join(text.split())


def _extract(article: SampleArticle) -> Extracted:
    return extract_article(PAGES[article.path].body, article.url)


@pytest.mark.parametrize("article", ARTICLES, ids=[a.id[:3] for a in ARTICLES])
def test_sample_page_text_is_the_article_body(article: SampleArticle) -> None:
    result = _extract(article)
    parts = article_parts(article.id)
    assert result.error is None
    text = _squeeze(result.text)
    for line in parts.body_lines:
        assert _squeeze(line) in text
    # The body starts the text: no kicker, breadcrumb, headline or byline first.
    assert _squeeze(result.text.splitlines()[0]) == _squeeze(parts.body_lines[0])
    assert article.title not in result.text
    for phrase in SITE_FURNITURE:
        assert phrase not in result.text
    for comment in parts.comments:
        assert comment.text not in result.text
    for line in parts.lines("author-bio", "recent-posts", "sources", "byline", "comments-closed"):
        assert _squeeze(line) not in text


def test_sample_001_furniture_stays_out() -> None:
    (article,) = [a for a in ARTICLES if a.id.startswith("001")]
    text = _extract(article).text
    assert "Rutte believes that a deployment of North Korean troops" in text
    assert "calling it “groundless rumours”" in text
    assert "Recent Posts" not in text
    assert "I'm a passionate journalist" not in text
    assert "Bulgaria at Crossroads" not in text
    assert "Good summary of the timeline" not in text  # a reader comment
    assert "Home\n" not in text and "Defence" not in text  # navigation


@pytest.mark.parametrize("article", ARTICLES, ids=[a.id[:3] for a in ARTICLES])
def test_sample_page_metadata(article: SampleArticle) -> None:
    result = _extract(article)
    assert result.title == article.title
    assert result.author == article.author
    assert result.site_name == article.site_name
    assert result.language == "en"
    assert result.canonical_url == article.url
    assert result.published == article.published
    assert result.published is not None and result.published.tzinfo == UTC


def test_tracking_url_still_yields_the_canonical_url() -> None:
    article = ARTICLES[0]
    result = extract_article(PAGES[article.path].body, article.url + "?utm_source=atom")
    assert result.canonical_url == article.url


GARBAGE = {
    "empty": b"",
    "blank": b"  \n\t ",
    "empty-str": "",
    "binary": b"\x00\xff" * 1000,
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "random": random.Random(7).randbytes(50_000),
    "plain-text": b"Just a line of plain text, no markup at all.",
    "nested-divs": b"<html><body>" + b"<div>" * 500_000 + b"x" + b"</div>" * 500_000,
    "tags-only": b"<html><head><title>t</title></head><body><div></div></body></html>",
    "script-only": b"<html><body><script>" + b"var a = 1;" * 1000 + b"</script></body></html>",
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_returns_an_error_and_never_raises(name: str) -> None:
    data = GARBAGE[name]
    if name == "nested-divs":
        assert len(data) > 5_000_000
    result = extract_article(data, "https://example.com/x")
    assert isinstance(result, Extracted)
    assert result.error
    assert result.text == ""


def test_wrong_argument_type_does_not_raise() -> None:
    result = extract_article(12345)  # type: ignore[arg-type]
    assert result.error


def _page(body: str, head: str) -> str:
    paragraphs = "\n".join(f"<p>{body}</p>" for _ in range(3))
    return (
        f"<!DOCTYPE html><html><head>{head}<title>Test</title></head>"
        f"<body><article><h1>Test</h1>{paragraphs}</article></body></html>"
    )


RUSSIAN = (
    "Генеральный секретарь НАТО Марк Рютте заявил, что альянс не может подтвердить "
    "сообщения о присутствии северокорейских военных на Украине, однако они вызывают "
    "серьёзную обеспокоенность у союзников."
)
GERMAN = (
    "Der Generalsekretär der NATO äußerte sich am Montag in Brüssel über die Lage; "
    "die Übersetzung seiner Äußerungen ins Französische lautete „très préoccupant“. "
    "Beobachter in Köln und Zürich zeigten sich überrascht über die Schärfe der Worte."
)


def test_windows_1251_page_decodes() -> None:
    data = _page(RUSSIAN, '<meta charset="windows-1251">').encode("windows-1251")
    result = extract_article(data)
    assert result.error is None
    assert RUSSIAN in result.text


def test_latin1_page_decodes_via_http_equiv() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
    data = _page(GERMAN.replace("„", '"').replace("“", '"'), head).encode("latin-1")
    result = extract_article(data)
    assert result.error is None
    assert "Der Generalsekretär der NATO äußerte sich am Montag in Brüssel" in result.text
    assert "très préoccupant" in result.text


def test_utf8_page_with_stale_latin1_declaration_stays_utf8() -> None:
    data = _page(GERMAN, '<meta charset="iso-8859-1">').encode("utf-8")
    assert GERMAN in extract_article(data).text


def test_published_from_json_ld_when_no_meta_tag() -> None:
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebPage"}, {"@type": "NewsArticle", "datePublished": '
        '"2024-10-28T16:40:00-04:00"}]}</script>'
    )
    result = extract_article(_page(GERMAN, head))
    assert result.published == datetime(2024, 10, 28, 20, 40, tzinfo=UTC)


# Property test: whatever bytes arrive, extraction answers with a result.

_HTML_BITS = st.sampled_from([
    b"<html>", b"</html>", b"<body>", b"<p>", b"</p>", b"<article>", b"<meta charset='x'>",
    b"<script>", b"<!--", b"-->", b"<div>", b"\xff\xfe", b"\x00", b"&#0;", b"&amp;", b"<title>",
    b"Words of an article body. ", b"<link rel=canonical href='::'>",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2000), st.lists(_HTML_BITS, max_size=60).map(b"".join)))
def test_extract_article_never_raises(data: bytes) -> None:
    result = extract_article(data, "https://example.com/a")
    assert result.error is not None or isinstance(result.text, str)

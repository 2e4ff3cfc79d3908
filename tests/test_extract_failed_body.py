"""A page without an extractable body keeps its metadata, with the failure recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from claimwire.transform.extract import extract_article


def test_video_page_without_text_keeps_title_date_authors_and_language() -> None:
    ld = {
        "@type": "NewsArticle",
        "headline": "Watch: the harbour vote in ninety seconds",
        "datePublished": "2024-10-28T08:00:00Z",
        "author": {"@type": "Person", "name": "Jane Doe"},
        "inLanguage": "en",
    }
    html = (
        '<html lang="en"><head><title>Watch: the harbour vote in ninety seconds | Example TV'
        '</title><meta property="og:site_name" content="Example TV">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        '<body><nav><a href="/">Home</a></nav><video src="/v.mp4"></video></body></html>'
    )
    result = extract_article(html, "https://tv.example/watch/1")
    assert result.error == "no article text found"
    assert not result.ok
    assert result.text == ""
    assert result.title == "Watch: the harbour vote in ninety seconds"
    assert result.published == datetime(2024, 10, 28, 8, 0, tzinfo=UTC)
    assert result.authors == ("Jane Doe",)
    assert result.language == "en"
    assert result.body_source is None


def test_crashing_body_extractor_keeps_metadata_and_uses_the_witness(monkeypatch) -> None:
    import trafilatura

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(trafilatura, "bare_extraction", boom)
    sentence = "The council met on Monday and approved the harbour plan after a long debate. "
    html = (
        '<html lang="en"><head><title>Harbour plan approved</title>'
        '<meta name="author" content="Jane Doe"></head><body><article>'
        f"<h1>Harbour plan approved</h1><p>{sentence * 8}</p><p>{sentence * 8}</p>"
        "</article></body></html>"
    )
    result = extract_article(html)
    assert result.title == "Harbour plan approved"
    assert result.authors == ("Jane Doe",)
    assert result.body_source == "readability"
    assert "approved the harbour plan" in result.text

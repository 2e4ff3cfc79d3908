"""Publication date: JSON-LD before meta tags, and the precision the page gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from claimwire.formats.dates import parse_timestamp as parse_page_date
from claimwire.transform.extract import extract_article


@pytest.mark.parametrize(
    ("value", "moment", "precision"),
    [
        ("2024-10-30", datetime(2024, 10, 30, tzinfo=UTC), "day"),
        ("2024-10-30T14:20+01:00", datetime(2024, 10, 30, 13, 20, tzinfo=UTC), "minute"),
        ("2024-10-30T14:20:05+0100", datetime(2024, 10, 30, 13, 20, 5, tzinfo=UTC), "second"),
        ("2024-04-30 16:00:34 +02:00", datetime(2024, 4, 30, 14, 0, 34, tzinfo=UTC), "second"),
        ("2024-10-30T13:20:00.123Z", datetime(2024, 10, 30, 13, 20, 0, 123000, tzinfo=UTC),
         "second"),
        ("2024-10-30T13:20:00", datetime(2024, 10, 30, 13, 20, tzinfo=UTC), "second"),  # naive
        ("Wed, 30 Oct 2024 13:20:00 GMT", datetime(2024, 10, 30, 13, 20, tzinfo=UTC), "second"),
    ],
)
def test_parse_page_date(value: str, moment: datetime, precision: str) -> None:
    assert parse_page_date(value) == (moment, precision)


@pytest.mark.parametrize("value", ["", "yesterday", "1850-01-01", "2024-13-45", None, 20241030])
def test_parse_page_date_rejects(value: object) -> None:
    assert parse_page_date(value) is None


def _page(head: str) -> str:
    paragraph = "<p>" + "The live blog follows the harbour vote as it happens today. " * 15
    return (
        f"<html><head>{head}<title>Live</title></head><body><article><h1>Harbour vote live</h1>"
        f"{paragraph}</p></article></body></html>"
    )


def test_json_ld_date_published_beats_an_updated_meta_tag() -> None:
    # A live blog: the meta tag moves with every update, the structured data keeps the start.
    ld = {"@type": "LiveBlogPosting", "datePublished": "2024-10-28T08:00:00+01:00"}
    head = (
        '<meta property="article:published_time" content="2024-10-28T21:45:00+01:00">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    )
    result = extract_article(_page(head))
    assert result.published == datetime(2024, 10, 28, 7, 0, tzinfo=UTC)
    assert result.published_precision == "second"


def test_meta_tag_when_there_is_no_json_ld() -> None:
    head = '<meta property="article:published_time" content="2024-10-28T21:45+01:00">'
    result = extract_article(_page(head))
    assert result.published == datetime(2024, 10, 28, 20, 45, tzinfo=UTC)
    assert result.published_precision == "minute"


def test_a_date_without_time_is_a_day_not_midnight() -> None:
    ld = {"@type": "NewsArticle", "datePublished": "2024-10-28"}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    result = extract_article(_page(head))
    assert result.published == datetime(2024, 10, 28, tzinfo=UTC)
    assert result.published_precision == "day"


def test_no_date_at_all() -> None:
    result = extract_article(_page(""))
    assert result.published is None
    assert result.published_precision is None


def _body_page(body: str, head: str = "") -> str:
    paragraph = "<p>" + "The council met and approved the harbour plan today. " * 15 + "</p>"
    return (f"<html><head>{head}<title>Harbour</title></head><body><article>"
            f"<h1>Harbour plan approved</h1>{paragraph}{body}</article></body></html>")


def test_a_date_the_page_labels_beats_other_dates_on_the_page() -> None:
    # A related teaser's date comes first in the page; the labelled one is the article's.
    body = ('<h2>Earlier: the first vote <span class="date">24.04.2023</span></h2>'
            '<ul><li><strong>Datum</strong> 28.04.2023 </li></ul>')
    result = extract_article(_body_page(body))
    assert result.published == datetime(2023, 4, 28, tzinfo=UTC)
    assert result.published_precision == "day"
    iso = "<dl><dt>Published:</dt><dd>2023-04-27</dd></dl>"
    assert extract_article(_body_page(iso)).published == datetime(2023, 4, 27, tzinfo=UTC)


def test_declared_dates_come_before_a_labelled_one() -> None:
    head = '<meta property="article:published_time" content="2023-04-29T10:00:00+00:00">'
    body = "<ul><li><strong>Datum</strong> 28.04.2023</li></ul>"
    result = extract_article(_body_page(body, head))
    assert result.published == datetime(2023, 4, 29, 10, 0, tzinfo=UTC)

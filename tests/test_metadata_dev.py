"""Metadata measures of the quality benchmark, and claimwire on the fundus dev pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from claimwire.transform.extract import extract_article
from claimwire.transform.extract_quality import (
    authors_match,
    date_match,
    load_fundus,
    people,
    shingle_scores,
    title_match,
)
from claimwire.transform.headline import site_names

FUNDUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "fundus-dev"


def test_title_match_ignores_quotes_dashes_and_invisible_characters() -> None:
    assert title_match("„Sie werden schneller“ – sagt er", '"Sie werden schneller" - sagt er')
    assert title_match("Ein bisschen Fortschritt", "Ein bisschen Fortschritt\u200b ")
    assert not title_match("Ein bisschen Fortschritt - taz.de", "Ein bisschen Fortschritt")
    assert not title_match(None, "A headline")


def test_authors_match_is_set_equality_of_normalised_names() -> None:
    assert authors_match(["Jane  Doe", "JOHN ROE"], ["john roe", "Jane Doe"])
    assert not authors_match(["Jane Doe"], ["Jane Doe", "AP"])
    assert authors_match([], [])
    assert people(["Jane Doe", "BBC News"], ["BBC", "bbc"]) == ["Jane Doe"]


def test_date_match() -> None:
    moment = datetime(2024, 4, 30, 14, 0, 34, tzinfo=UTC)
    assert date_match(moment, False, "2024-04-30 16:00:34+02:00")
    assert date_match(moment, False, "2024-04-30 14:01:20+00:00")  # within a minute
    assert not date_match(moment, False, "2024-04-30 14:05:00+00:00")
    # Naive expected values are local time: a whole-hour shift counts.
    assert date_match(moment, False, "2024-04-30 16:00:34")
    assert not date_match(moment, False, "2024-04-30 16:30:34")
    # A day on either side compares days.
    assert date_match(datetime(2024, 4, 30, tzinfo=UTC), True, "2024-04-30 16:00:34+02:00")
    assert date_match(moment, False, "2024-04-30 00:00:00")
    assert not date_match(datetime(2024, 4, 29, tzinfo=UTC), True, "2024-04-30 12:00:00+00:00")
    assert not date_match(None, False, "2024-04-30")


@pytest.mark.skipif(not FUNDUS_DIR.is_dir(), reason=f"fundus dev pages not found at {FUNDUS_DIR}")
def test_fundus_dev_metadata_and_body_beat_bare_trafilatura() -> None:
    import trafilatura

    pages = load_fundus(FUNDUS_DIR)
    assert len(pages) >= 100
    titles = dates = languages = authors = body = bare = 0.0
    for page in pages:
        result = extract_article(page.html, page.url)
        titles += title_match(result.title, page.title)
        dates += date_match(result.published, result.published_precision == "day", page.date)
        languages += result.language == page.language
        sites = site_names({}, result.site_name, page.url)
        authors += authors_match(result.authors, people(list(page.authors), sites))
        body += shingle_scores(result.text, page.body)[2]
        bare += shingle_scores(trafilatura.extract(page.html) or "", page.body)[2]
    count = len(pages)
    # Dev figures (bench/quality.py): title 0.87, authors 0.94, date 0.98, language 1.0,
    # body +0.023.
    assert titles / count >= 0.83
    assert dates / count >= 0.95
    assert languages / count >= 0.97
    assert authors / count >= 0.92
    assert body / count >= bare / count + 0.015  # dev +0.023; the issue asks +0.02 held-out

"""Reading date expressions and the article's own year (transform/claims/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from claimwire.transform.claims.dates import (
    DateContext,
    article_year,
    dateline_date,
    find_date_expressions,
    read_date,
)

PUB = DateContext(dt.date(2024, 11, 6))
UNDATED = DateContext()
YEAR_2019 = DateContext(None, 2019)


@pytest.mark.parametrize(
    ("expr", "ctx", "day", "precision", "note"),
    [
        ("on Oct. 25", PUB, dt.date(2024, 10, 25), "day", "year from publication date"),
        ("on Oct. 25", YEAR_2019, dt.date(2019, 10, 25), "day", "year from article dates"),
        ("on Oct. 25", UNDATED, None, "day", "year unknown"),
        ("in March", PUB, dt.date(2024, 3, 1), "month", "year from publication date"),
        ("in December", PUB, dt.date(2023, 12, 1), "month", "year from publication date"),
        ("in August 2016", UNDATED, dt.date(2016, 8, 1), "month", "explicit"),
        ("last month", PUB, dt.date(2024, 10, 1), "month", "relative"),
        ("last Tuesday", PUB, dt.date(2024, 11, 5), "day", "relative"),
        ("last Tuesday", YEAR_2019, None, "day", "publication date unknown"),
        ("three days ago", PUB, dt.date(2024, 11, 3), "day", "relative"),
        ("25th of October", PUB, dt.date(2024, 10, 25), "day", "year from publication date"),
        ("Sept. 3, 2019", UNDATED, dt.date(2019, 9, 3), "day", "explicit"),
    ],
)
def test_read_date(expr, ctx, day, precision, note):
    reading = read_date(expr, ctx)
    assert reading is not None
    assert (reading.day, reading.precision, reading.note) == (day, precision, note)


def test_weekday_settles_the_year_of_a_yearless_date():
    # Nov. 19 was a Tuesday in 2019, not in 2020: the weekday picks the year.
    reading = read_date("Tuesday, Nov. 19", DateContext(None, 2020))
    assert reading is not None and reading.day == dt.date(2019, 11, 19)


def test_expressions_found_and_false_months_skipped():
    text = "On Tuesday, Nov. 19, they may 5 times march in March, said May, two days ago."
    found = [text[a:b] for a, b in find_date_expressions(text)]
    assert found == ["Tuesday, Nov. 19", "in March", "two days ago"]


def test_article_year_uses_full_dates_only():
    assert article_year("abducted in August 2016; released on September 25, 2019.") == 2019
    assert article_year("They met in 2016 and in March 2017.") is None


def test_dateline_is_a_heading_not_an_event():
    assert dateline_date("KYIV, Oct 28, 2024 (Reuters) - Troops ...") == dt.date(2024, 10, 28)
    assert dateline_date(" date 2024-10-20 (MENAFN) Secretary General ...") == dt.date(2024, 10, 20)
    assert dateline_date("On 28 October 2024, NATO's new Secretary General said ...") is None
    assert dateline_date("The bridge was closed on 2 May 2023 after a flood.") is None

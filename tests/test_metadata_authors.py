"""Authors: a list of names as the page writes them, without the site, URLs, ids or e-mails."""

from __future__ import annotations

import json

import pytest

from claimwire.transform.authors import clean_authors, split_names
from claimwire.transform.extract import extract_article

SITES = ["The Example Times", "example"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Samya Kullab and Vasilisa Stepanenko", ["Samya Kullab", "Vasilisa Stepanenko"]),
        ("Von Anna Sleegers, Frankfurt", ["Anna Sleegers"]),  # the dateline goes
        ("Konstantin Furrer und Deutsche Presse-Agentur", ["Konstantin Furrer",
                                                           "Deutsche Presse-Agentur"]),
        ("AFP, MANILA", ["AFP, MANILA"]),  # one credit, not two names
        ("Elena Oberholzer (obe)", ["Elena Oberholzer"]),
        ("Jane Doe; John Roe", ["Jane Doe", "John Roe"]),
    ],
)
def test_split_names(raw: str, expected: list[str]) -> None:
    assert split_names(raw) == expected


def test_filter_drops_site_urls_ids_and_emails_and_keeps_capitalisation() -> None:
    raw = [
        "The Example Times",
        "https://www.facebook.com/exampletimes",
        "www.example.com/author/jane",
        "123456",
        "j.doe@example.com",
        "jane-doe",  # a slug
        "MTHOBISI SITHOLE",
        "Jane Doe",
        "jane doe",  # the same person twice
        "AP",
    ]
    assert clean_authors(raw, SITES) == ["MTHOBISI SITHOLE", "Jane Doe", "AP"]


def _page(head: str = "", byline: str = "") -> str:
    paragraph = "<p>" + "The council met on Monday and approved the harbour plan. " * 15 + "</p>"
    return (
        '<html><head><meta property="og:site_name" content="The Example Times">'
        f"{head}<title>Harbour</title></head><body><article><h1>Harbour plan approved</h1>"
        f"{byline}{paragraph}</article></body></html>"
    )


def test_json_ld_person_objects_and_the_publisher_organisation() -> None:
    ld = {
        "@type": "NewsArticle",
        "author": [
            [{"@type": "Person", "name": "Jane Doe", "url": "https://times.example/a/jane"}],
            {"@type": "Organization", "name": "The Example Times"},
            {"@type": "Person", "name": "John Roe"},
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    result = extract_article(_page(head), "https://www.example.com/x")
    assert result.authors == ("Jane Doe", "John Roe")
    assert result.author == "Jane Doe, John Roe"


def test_meta_author_that_is_an_email_falls_through_to_the_byline() -> None:
    head = '<meta name="author" content="j.doe@example.com">'
    byline = '<div class="article-byline">Von Jane Doe, Berlin</div>'
    result = extract_article(_page(head, byline), "https://www.example.com/x")
    assert result.authors == ("Jane Doe",)


def test_author_page_links_are_a_byline() -> None:
    byline = (
        '<p>By <a href="/authors/jane-doe/">Jane Doe</a> and '
        '<a href="/authors/john-roe/">John Roe</a></p>'
    )
    result = extract_article(_page(byline=byline), "https://www.example.com/x")
    assert result.authors == ("Jane Doe", "John Roe")


def test_no_author_is_an_empty_list() -> None:
    head = '<meta name="author" content="The Example Times">'
    result = extract_article(_page(head), "https://www.example.com/x")
    assert result.authors == ()
    assert result.author is None


def test_a_meta_tag_holding_the_site_name_gives_way_to_the_next_one() -> None:
    head = ('<meta name="author" content="The Example Times">'
            '<meta name="cXenseParse:author" content="山田太郎" data-separator=",">')
    assert extract_article(_page(head)).authors == ("山田太郎",)


def test_the_author_a_metadata_list_labels() -> None:
    byline = ('<ul class="facts"><li><strong>Datum</strong> 28.04.2023</li>'
              "<li><strong>Autorin/Autor</strong> Anna Berg</li></ul>"
              "<dl><dt>Author:</dt><dd>Jane Doe</dd></dl>")
    assert extract_article(_page(byline=byline)).authors == ("Anna Berg",)
    only_dl = "<dl><dt>Author:</dt><dd>Jane Doe</dd></dl>"
    assert extract_article(_page(byline=only_dl)).authors == ("Jane Doe",)
    # A label word inside running text is no label.
    prose = "<p><strong>Author Jane Doe spoke</strong> at the meeting about the plan.</p>"
    assert extract_article(_page(byline=prose)).authors == ()


def test_a_byline_block_adds_the_co_authors_structured_data_left_out() -> None:
    ld = {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Kari Dahl"}}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    block = ('<div class="bylines">'
             '<address><a rel="author" href="mailto:i@db.example">Ola Nordmann</a></address>'
             '<address><a rel="author" href="mailto:m@db.example">Kari Dahl</a></address>'
             "</div>")
    assert extract_article(_page(head, block)).authors == ("Ola Nordmann", "Kari Dahl")
    # Author links of related articles are not the article's byline.
    related = ('<aside><ul><li><a rel="author" href="/a/1">Kari Dahl</a></li>'
               '<li><a rel="author" href="/a/2">Per Olsen</a></li></ul></aside>')
    assert extract_article(_page(head, related)).authors == ("Kari Dahl",)

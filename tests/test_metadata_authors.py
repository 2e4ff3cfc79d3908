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
        ("By TOM KRISHER, AP Auto Writer", ["TOM KRISHER"]),  # the role goes
        ("Quelle: sid/dpa", []),  # a source credit names no author
        ("Source : AFP", []),
        # What bylines glue after a name goes; the name stays (it used to be lost whole).
        ("Jane Doe | Reuters", ["Jane Doe"]),
        ("By JANE DOE FOR DAILYMAIL.COM", ["JANE DOE"]),
        ("Jane Doe and John Roe for The Guardian", ["Jane Doe", "John Roe"]),
        ("Nizaar Kinsella2 minutes ago", ["Nizaar Kinsella"]),
        ("Max Müller 12.03.2024 10:45", ["Max Müller"]),
        ("Stefan Grobe Published on", ["Stefan Grobe"]),
        ("Jane Doe @janedoe", ["Jane Doe"]),
        ("Jane Doe in Kyiv", ["Jane Doe"]),
        ("Posted by Jane Doe", ["Jane Doe"]),
        ("Written by Jane Doe, Edited by John Roe", ["Jane Doe"]),  # an editor is no author
        ("user12345", ["user12345"]),  # an id stays one (and is filtered out as one)
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
        "(adsbygoogle = window.adsbygoogle || []).push",  # an ad slot's code
        "admin",  # logins of the CMS's administrator
        "jdadmin",
        "Jane DoeContributing Writer",  # the same name with a role glued on
        "Jane Does",  # another name that merely starts alike
    ]
    assert clean_authors(raw, SITES) == ["MTHOBISI SITHOLE", "Jane Doe", "AP", "Jane Does"]


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


def test_the_cms_default_account_is_nobody() -> None:
    admin = "https://www.example.com/author/admin/"
    ld = {"@type": "BlogPosting", "author": {"@id": admin, "name": "Example D"}}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    byline = (f'<p class="meta">by <span class="author vcard"><a href="{admin}" rel="author">'
              "Example D</a></span></p>")
    assert extract_article(_page(head, byline), "https://www.example.com/x").authors == ()
    # Another account's profile is a person's.
    ld["author"] = {"@id": "https://www.example.com/author/jdoe/", "name": "Jane Doe"}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    assert extract_article(_page(head), "https://www.example.com/x").authors == ("Jane Doe",)


def test_reader_comments_and_forms_are_not_the_byline() -> None:
    form = ('<form><div class="comment-form-author"><label for="author">Nama '
            '<span class="required">(wajib)</span></label><input id="author"></div></form>')
    commenter = '<ol class="comment-list"><li><div class="author">Jane Doe</div></li></ol>'
    assert extract_article(_page(byline=form)).authors == ()
    assert extract_article(_page(byline=commenter)).authors == ()
    # An opinion section ("commentary") is not the comments.
    opinion = '<div class="article-commentary"><div class="author">Jane Doe</div></div>'
    assert extract_article(_page(byline=opinion)).authors == ("Jane Doe",)


def _article(paragraphs: list[str], head: str = "") -> str:
    return (
        '<html><head><meta property="og:site_name" content="The Example Times">'
        f"{head}<title>Harbour</title></head><body><article><h1>Harbour plan approved</h1>"
        + "".join(paragraphs)
        + "</article></body></html>"
    )


_PROSE = [
    "<p>" + f"The council met on Monday {n} and approved the harbour plan after a long debate. " * 4
    + "</p>"
    for n in ("morning", "evening", "night")
]


def test_a_bold_name_that_signs_the_article_is_its_author() -> None:
    last = '<p style="text-align:right;"><strong>Lê Phương</strong></p>'
    assert extract_article(_article([*_PROSE, last])).authors == ("Lê Phương",)
    first = "<p><strong>MTHOBISI SITHOLE&nbsp;</strong></p>"
    assert extract_article(_article([first, *_PROSE])).authors == ("MTHOBISI SITHOLE",)


def test_bold_lines_that_do_not_sign_the_article() -> None:
    # A heading in capitals whose words the article writes in lower case.
    heading = "<p><strong>HARBOUR PLAN</strong></p>"
    assert extract_article(_article([heading, *_PROSE])).authors == ()
    # A bold name in the middle of the article is someone it talks about.
    middle = "<p><strong>Anna Berg</strong></p>"
    assert extract_article(_article([_PROSE[0], middle, *_PROSE[1:]])).authors == ()
    # Bold words with other text in the paragraph are no signature.
    mixed = "<p><strong>Anna Berg</strong> reported.</p>"
    assert extract_article(_article([*_PROSE, mixed])).authors == ()
    # Declared authors win over a signature.
    ld = {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Jane Doe"}}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    signed = [*_PROSE, "<p><strong>Anna Berg</strong></p>"]
    assert extract_article(_article(signed, head)).authors == ("Jane Doe",)

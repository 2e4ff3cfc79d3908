"""Headline: the page's headline without site names, by agreement of its sources."""

from __future__ import annotations

import json

import pytest

from claimwire.transform.extract import extract_article
from claimwire.transform.headline import names_site, normalize_title, strip_site_name


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        ("What's next for Gaza? | CBC News", ["CBC"], "What's next for Gaza?"),
        ("BIP: Diese Grafiken zeigen, wie schlecht es steht - WELT", ["DIE WELT"],
         "BIP: Diese Grafiken zeigen, wie schlecht es steht"),
        ("韓国が戒厳令、尹大統領：朝日新聞デジタル", ["朝日新聞デジタル"],
         "韓国が戒厳令、尹大統領"),
        ("Golem.de: Samsung soll Smartphones zerstören", ["golem"],
         "Samsung soll Smartphones zerstören"),
        ("Tiktok: Brüssel untersucht Wahleinmischung - 20 Minuten", ["20 Minuten"],
         "Tiktok: Brüssel untersucht Wahleinmischung"),
        # No site name: nothing is cut, not even at a separator.
        ("Covid-19 - what we know", ["Example Times"], "Covid-19 - what we know"),
    ],
)
def test_strip_site_name(title: str, sites: list[str], expected: str) -> None:
    assert strip_site_name(title, sites) == expected


def test_strip_site_name_cuts_to_a_known_headline() -> None:
    # Section and date parts name no site; the h1 shows what the headline is.
    title = "Ukrainische Gegenoffensive: Ziele, Chancen | Europa | DW | 28.04.2023"
    headline = "Ukrainische Gegenoffensive: Ziele, Chancen"
    assert strip_site_name(title, ["DW.COM"], headline) == headline


def test_names_site_matches_whole_words_only() -> None:
    assert names_site("ZEIT ONLINE", ["zeit"])
    assert names_site("Globalnews.ca", ["Global News"])
    assert names_site("WELT", ["DIE WELT"])
    assert not names_site("Ulrich Welter", ["DIE WELT", "welt"])
    assert not names_site("AP", ["apnews"])


def test_normalize_title() -> None:
    assert normalize_title("  Ein bisschen\u200b  Fortschritt ") == "Ein bisschen Fortschritt"
    assert normalize_title("„Sie“ – ‘so’") == "\"Sie\" - 'so'"
    assert normalize_title("R&amp;D") == "R&D"


def _page(*, title: str, h1: str | None = None, og: str | None = None,
          ld: str | None = None, site: str | None = None) -> str:
    head = f"<title>{title}</title>"
    if og:
        head += f'<meta property="og:title" content="{og}">'
    if site:
        head += f'<meta property="og:site_name" content="{site}">'
    if ld:
        data = {"@type": "NewsArticle", "headline": ld}
        head += f'<script type="application/ld+json">{json.dumps(data)}</script>'
    body = f"<h1>{h1}</h1>" if h1 else ""
    body += "<p>" + "The council met on Monday and approved the plan. " * 20 + "</p>"
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>"


def test_h1_and_json_ld_agreeing_beat_an_seo_title() -> None:
    html = _page(title="Harbour plan | Example Times", og="Harbour plan: all you need to know",
                 h1="Council approves harbour plan", ld="Council approves harbour plan",
                 site="Example Times")
    assert extract_article(html, "https://times.example/a").title == "Council approves harbour plan"


def test_h1_with_a_kicker_gives_way_to_the_declared_headline() -> None:
    html = _page(title="Council approves harbour plan - Example Times",
                 og="Council approves harbour plan", h1="Lokales : Council approves harbour plan",
                 site="Example Times")
    assert extract_article(html, "https://times.example/a").title == "Council approves harbour plan"


def test_title_only_page_loses_its_site_suffix() -> None:
    html = _page(title="Council approves harbour plan | Example Times", site="Example Times")
    assert extract_article(html, "https://times.example/a").title == "Council approves harbour plan"


def test_junk_titles_stay_cheap() -> None:
    import time

    junk = " | ".join(f"part {i}" for i in range(5000))
    start = time.perf_counter()
    stripped = strip_site_name(junk, ["Example"], "part 3")
    assert time.perf_counter() - start < 1.0
    assert len(stripped) <= 600

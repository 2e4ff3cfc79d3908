"""Body choice: trafilatura's text, checked against the JSON-LD body and readability."""

from __future__ import annotations

import json

from claimwire.transform.body import choose_body, containment, json_ld_text
from claimwire.transform.extract import extract_article

SENTENCES = [
    f"Sentence number {i} of the article says something new about the harbour project."
    for i in range(40)
]
ARTICLE = "\n".join(SENTENCES)


def test_json_ld_body_replaces_a_fragment_of_itself() -> None:
    fragment = "\n".join(SENTENCES[:10])
    text, source = choose_body(fragment, ARTICLE, "")
    assert (text, source) == (ARTICLE, "json-ld")


def test_json_ld_body_that_does_not_contain_our_text_is_ignored() -> None:
    ours = "\n".join(SENTENCES[:10])
    other = "\n".join(f"An unrelated teaser line {i} about football results." for i in range(60))
    assert choose_body(ours, other, "") == (ours, "trafilatura")


def test_json_ld_body_only_slightly_longer_is_ignored() -> None:
    ours = "\n".join(SENTENCES[:30])
    assert choose_body(ours, ARTICLE, "")[1] == "trafilatura"


def test_readability_subset_trims_boilerplate_at_the_edges() -> None:
    promo = [f"Subscribe to our newsletter number {i} for the best deals." for i in range(5)]
    byline = ["By Jane Doe", "Photo: Harbour office"]
    ours = "\n".join(byline + SENTENCES[:30] + promo)
    witness = "\n".join(SENTENCES[:30])
    assert choose_body(ours, "", witness) == (witness, "trafilatura-trimmed")


def test_the_trim_keeps_lead_paragraphs_and_lines_inside_the_article() -> None:
    # Readability lost the lead paragraph (long) and a quote inside the article;
    # only the trailing promo goes.
    lead = "The harbour board said on Monday that the new quay would open next spring " * 2
    quote = "“We have waited twenty years for this quay,” the harbour master told reporters."
    promo = [f"Subscribe to our newsletter number {i} for the best deals." for i in range(5)]
    body = [*SENTENCES[:15], quote, *SENTENCES[15:30]]
    ours = "\n".join([lead, *body, *promo])
    witness = "\n".join(SENTENCES[:30])
    assert choose_body(ours, "", witness) == ("\n".join([lead, *body]), "trafilatura-trimmed")


def test_readability_that_lost_much_of_the_text_is_not_trusted() -> None:
    ours = ARTICLE
    witness = "\n".join(SENTENCES[:12])  # 30%: readability lost the article, not boilerplate
    assert choose_body(ours, "", witness) == (ours, "trafilatura")


def test_readability_with_text_of_its_own_is_not_a_trim() -> None:
    ours = ARTICLE
    witness = "\n".join(SENTENCES[:30] + ["A caption only readability kept, far from the rest."])
    other = witness + "\n" + "\n".join(f"Comment {i} by a reader here." for i in range(30))
    assert choose_body(ours, "", other) == (ours, "trafilatura")


def test_empty_primary_falls_back_to_json_ld_then_readability() -> None:
    assert choose_body("", ARTICLE, "") == (ARTICLE, "json-ld")
    assert choose_body("", "", ARTICLE) == (ARTICLE, "readability")
    assert choose_body("", "Too short.", "Also short.") == ("", None)


def test_containment_is_directional() -> None:
    part = "\n".join(SENTENCES[:5])
    assert containment(part, ARTICLE) == 1.0
    assert containment(ARTICLE, part) < 0.2
    assert containment("", ARTICLE) == 0.0


def test_json_ld_text_strips_markup_and_entities() -> None:
    raw = "<p>First &amp; second paragraph.</p><p>Third&nbsp;one.</p>"
    assert json_ld_text(raw) == "First & second paragraph.\nThird one."
    assert json_ld_text(None) == ""
    assert json_ld_text(42) == ""


def _page(visible: str, json_ld: dict | None) -> str:
    script = (
        f'<script type="application/ld+json">{json.dumps(json_ld)}</script>' if json_ld else ""
    )
    return (
        f"<html><head><title>Harbour</title>{script}</head><body>"
        f"<article><h1>Harbour project approved</h1>{visible}</article></body></html>"
    )


def test_page_whose_visible_body_is_cut_gets_the_json_ld_body() -> None:
    visible = "".join(f"<p>{s}</p>" for s in SENTENCES[:6])
    ld = {"@type": "NewsArticle", "headline": "Harbour project approved", "articleBody": ARTICLE}
    result = extract_article(_page(visible, ld), "https://news.example/harbour")
    assert result.body_source == "json-ld"
    assert SENTENCES[-1] in result.text
    without = extract_article(_page(visible, None), "https://news.example/harbour")
    assert without.body_source == "trafilatura"
    assert SENTENCES[-1] not in without.text


def test_the_headline_is_not_repeated_as_the_first_line_of_the_body() -> None:
    from claimwire.transform.extract import without_headline

    body = "Harbour plan approved\nThe council met."
    assert without_headline(body, "Harbour  Plan approved") == "The council met."
    # Only a first line that is the headline goes; a body that is only the headline stays.
    assert without_headline("The council met.\nHarbour plan approved", "Harbour plan approved") == (
        "The council met.\nHarbour plan approved"
    )
    assert without_headline("Harbour plan approved", "Harbour plan approved") == (
        "Harbour plan approved"
    )
    assert without_headline("Harbour plan approved\nThe council met.", None).startswith("Harbour")
    paragraph = "<p>" + "The council met on Monday and approved the harbour plan. " * 12 + "</p>"
    page = ("<html><head><title>Harbour plan approved | The Example Times</title></head><body>"
            f"<article><h1>Harbour plan approved</h1>{paragraph}</article></body></html>")
    result = extract_article(page)
    assert result.title == "Harbour plan approved"
    assert result.text.startswith("The council met on Monday")


def test_text_after_an_empty_element_is_kept() -> None:
    # WordPress's "read more" anchor is an empty <span> at the start of a paragraph,
    # spacers are empty <div>s inside headings: the paragraph and the heading are their
    # tails, which trafilatura's precision mode deletes with the empty element.
    paragraphs = "".join(f"<p>{s}</p>" for s in SENTENCES[:8])
    page = (
        "<html><head><title>Harbour</title></head><body><article>"
        f"{paragraphs}<p><span id=\"more-5662\"></span>The mayor said the quay would bring two"
        " hundred new jobs to the town by the end of next year.</p>"
        "<h2><strong><div class=\"spacer\"></div>What the critics say<div class=\"spacer\"></div>"
        f"</strong></h2>{paragraphs}</article></body></html>"
    )
    text = extract_article(page).text
    assert "The mayor said the quay would bring two hundred new jobs" in text
    assert "What the critics say" in text
    assert text.count(SENTENCES[0]) == 2


def test_empty_elements_go_innermost_first_with_their_tails_kept() -> None:
    from lxml.html import fromstring, tostring

    from claimwire.transform.body import without_empty_elements

    tree = fromstring(
        "<div><p>One <em></em>two</p><section><span><b></b></span></section>three"
        "<p> </p><br><img src=x></div>"
    )
    pruned = tostring(without_empty_elements(tree), encoding="unicode")
    # The section holding only empty elements goes too; whitespace text, <br> and
    # <img> are content (trafilatura's own rule for "empty").
    assert pruned == "<div><p>One two</p>three<p> </p><br><img src=\"x\"></div>"


def test_the_trim_drops_lists_of_links_inside_the_article() -> None:
    teasers = [f"- Read also: teaser number {i} about another story" for i in range(3)]
    item = "- The quay costs forty million euros over ten years"
    ours = "\n".join([*SENTENCES[:15], *teasers, *SENTENCES[15:28], item, *SENTENCES[28:30]])
    witness = "\n".join(SENTENCES[:30])
    # Three list items in a row that readability lacks go; one alone stays (an item
    # of the article's own list that readability dropped).
    expected = "\n".join([*SENTENCES[:28], item, *SENTENCES[28:30]])
    assert choose_body(ours, "", witness) == (expected, "trafilatura-trimmed")
    # A list readability has is the article's.
    listed = "\n".join([*SENTENCES[:15], *teasers, *SENTENCES[15:30]])
    assert choose_body(listed, "", listed.replace(SENTENCES[0], "")) == (
        listed, "trafilatura"
    )

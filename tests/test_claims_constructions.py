"""Claim extraction on small hand-written texts, one construction per test."""

from __future__ import annotations

import datetime as dt

import pytest

from claimwire.transform.claims import Claim, extract_claims, extract_claims_many
from claimwire.transform.claims.dates import resolve_date
from claimwire.transform.claims.quotes import find_quotes
from claimwire.transform.nlp import load_nlp


@pytest.fixture(scope="session")
def nlp():
    try:
        return load_nlp()
    except RuntimeError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(str(exc))


def run(nlp, text: str, published: dt.date | None = None, **kw) -> list[Claim]:
    claims = extract_claims(text, published, nlp=nlp, **kw)
    for c in claims:
        assert text[c.char_start : c.char_end] == c.content
    return claims


def only(claims: list[Claim]) -> Claim:
    assert len(claims) == 1, claims
    return claims[0]


def test_indirect_speech_with_role_date_and_number(nlp):
    text = "Finance Minister Jane Doe said on Monday that inflation would fall to 3 percent."
    c = only(run(nlp, text, dt.date(2024, 5, 8)))
    assert c.speaker == "Finance Minister Jane Doe"
    assert c.speaker_canonical == "Jane Doe"
    assert c.speaker_role == "Finance Minister"
    assert c.speaker_type == "person"
    assert c.cue == "say"
    assert c.content == "inflation would fall to 3 percent"
    assert (c.quote_type, c.stance, c.via) == ("indirect", "assert", None)
    assert c.claimed_on == dt.date(2024, 5, 6)
    assert any(m.kind == "number" and m.value == 3.0 and m.unit == "percent" for m in c.mentions)


def test_direct_quote_before_cue(nlp):
    c = only(run(nlp, "“We will not retreat from the river,” said General Tom Brink."))
    assert c.content == "We will not retreat from the river"
    assert c.quote_type == "direct"
    assert c.speaker_canonical == "Tom Brink"
    assert c.speaker_role == "General"


def test_direct_quote_after_cue_with_colon(nlp):
    c = only(run(nlp, 'Brink told reporters: "The bridge is secure and the road is open."'))
    assert c.cue == "tell"
    assert c.content.startswith("The bridge is secure")
    assert c.quote_type == "direct"
    assert c.speaker_canonical == "Brink"


def test_quote_over_several_sentences_is_one_record(nlp):
    c = only(run(nlp, '"The talks failed. We will try again next month," Maria Alvarez said.'))
    assert c.content == "The talks failed. We will try again next month"
    assert c.speaker_canonical == "Maria Alvarez"


def test_quote_over_two_paragraphs_is_one_record(nlp):
    text = (
        "Coach Sam Reid said the team “played with real courage tonight.\n\n"
        "“We knew the second half would decide everything.”"
    )
    c = only(run(nlp, text))
    assert c.content.startswith("the team “played")
    assert "would decide everything." in c.content
    assert c.quote_type == "direct"


def test_pronoun_speaker_named_in_previous_sentence(nlp):
    text = (
        "Mayor Lena Fox spoke at city hall on Friday.\n\n"
        '"The budget is balanced and the deficit is gone," she said.'
    )
    c = only(run(nlp, text, dt.date(2024, 3, 11)))
    assert c.speaker_canonical == "Lena Fox"
    assert c.content == "The budget is balanced and the deficit is gone"
    # The quote inherits the day on which the article places its speaker.
    assert c.claimed_on == dt.date(2024, 3, 8)


def test_name_colon_quote(nlp):
    text = "Professor Alan Grey:\n“The data show a clear warming trend over two decades.”"
    c = only(run(nlp, text))
    assert c.speaker_canonical == "Alan Grey"
    assert c.quote_type == "direct"
    assert c.content.startswith("The data show")


def test_according_to(nlp):
    c = only(run(nlp, "The factory will close in June, according to company documents."))
    assert c.cue == "according to"
    assert c.speaker_canonical == "company documents"
    assert c.content == "The factory will close in June"


def test_according_to_as_outer_source(nlp):
    text = "According to Reuters, the minister said that the plant would be sold."
    c = only(run(nlp, text))
    assert c.speaker_canonical == "minister"
    assert c.via == "Reuters"
    assert c.content == "the plant would be sold"


def test_nested_attribution_keeps_inner_source(nlp):
    c = only(run(nlp, "Reuters reported that the ministry warned that fuel prices would rise."))
    assert c.speaker_canonical == "ministry"
    assert c.cue == "warn"
    assert c.via == "Reuters"
    assert c.content == "fuel prices would rise"


def test_deny_cue(nlp):
    c = only(run(nlp, "The company denied that it had misled investors about the merger."))
    assert c.stance == "deny"
    assert c.content == "it had misled investors about the merger"


def test_calling_it_groundless_is_deny(nlp):
    c = only(run(nlp, "The spokesman called the allegations groundless."))
    assert c.cue == "call"
    assert c.stance == "deny"
    assert c.speaker_type == "unnamed"


def test_cannot_confirm_is_uncertain(nlp):
    c = only(run(nlp, "Police said they could not confirm the number of victims."))
    assert c.stance == "uncertain"


def test_negated_confirm_is_not_assert(nlp):
    c = only(run(nlp, "The ministry did not confirm that troops had crossed the border."))
    assert c.stance == "uncertain"
    assert c.content == "troops had crossed the border"


def test_negated_say_is_no_claim(nlp):
    assert run(nlp, "The minister did not say whether taxes would rise next year.") == []


def test_narration_headline_byline_and_question_are_not_claims(nlp):
    text = (
        "Storm Hits Coast As Residents Flee\nBy Anna Smith\n"
        "The storm reached the coast on Sunday.\n"
        '"Will the bridge be rebuilt before winter?" a resident asked.'
    )
    assert run(nlp, text) == []


def test_explicit_and_relative_dates(nlp):
    text = (
        "On October 13, Ukrainian President Volodymyr Zelenskyy said that North Korea "
        "was supplying Russia with personnel."
    )
    c = only(run(nlp, text, dt.date(2024, 10, 23)))
    assert c.claimed_on == dt.date(2024, 10, 13)
    assert {m.text for m in c.mentions if m.kind == "place"} == {"North Korea", "Russia"}
    y = only(
        run(nlp, "Officials said yesterday that the border would reopen.", dt.date(2024, 10, 23))
    )
    assert y.claimed_on == dt.date(2024, 10, 22)
    assert y.speaker_type == "unnamed"


def test_relative_date_without_publication_date_is_none(nlp):
    c = only(run(nlp, "The mayor said on Tuesday that the schools would reopen."))
    assert c.claimed_on is None


def test_number_with_unit(nlp):
    text = "South Korea's spy agency reported that North Korea had sent 1,500 special forces."
    c = only(run(nlp, text))
    nums = [m for m in c.mentions if m.kind == "number"]
    assert [(m.value, m.unit) for m in nums] == [(1500.0, "special forces")]
    assert c.speaker_type == "organization"


def test_surname_linked_to_full_name(nlp):
    text = (
        "Defence Secretary John Healey visited troops in Estonia on Thursday. "
        "Healey said the army needed more drones."
    )
    c = only(run(nlp, text, dt.date(2024, 6, 1)))
    assert c.speaker_canonical == "John Healey"
    assert c.speaker == "Defence Secretary John Healey"
    assert c.claimed_on == dt.date(2024, 5, 30)


def test_prefilter_and_full_parse_agree(nlp):
    text = (
        "Markets Slide\n\nShares fell sharply on Wednesday in early trading.\n\n"
        "Traders sold technology stocks. Analysts said the sell-off could last weeks.\n\n"
        "Recent Posts\n\nBank says rates will stay high for longer"
    )
    with_filter = run(nlp, text, dt.date(2024, 1, 5), prefilter=True)
    without = run(nlp, text, dt.date(2024, 1, 5), prefilter=False)
    assert with_filter == without
    assert [c.content for c in with_filter] == ["the sell-off could last weeks"]
    # No date of its own: the claim takes the story's day (Wednesday).
    assert with_filter[0].claimed_on == dt.date(2024, 1, 3)


def test_batch_form_matches_single_calls(nlp):
    items = [
        ("Officials said the road would reopen.", None),
        ("The weather was mild.", None),
        ('"We are ready," the coach said.', None),
    ]
    batch = list(extract_claims_many(items, nlp=nlp, batch_size=2))
    assert batch == [extract_claims(t, p, nlp=nlp) for t, p in items]
    assert [len(b) for b in batch] == [1, 0, 1]


def test_quote_pairing_over_paragraphs():
    text = "He said “first part.\n\n“second part.” Then “short” words."
    spans = [text[q.inner_start : q.inner_end] for q in find_quotes(text)]
    assert spans == ["first part.\n\n“second part.", "short"]


@pytest.mark.parametrize(
    ("expr", "day"),
    [
        ("on Wednesday", dt.date(2024, 10, 16)),
        ("Sunday", dt.date(2024, 10, 20)),
        ("on 28 October 2024", dt.date(2024, 10, 28)),
        ("December 30", dt.date(2023, 12, 30)),
        ("yesterday", dt.date(2024, 10, 19)),
        ("over the weekend", dt.date(2024, 10, 19)),
    ],
)
def test_resolve_date(expr, day):
    published = dt.date(2024, 10, 20) if "December" not in expr else dt.date(2024, 1, 3)
    assert resolve_date(expr, published) == day


def test_load_nlp_unknown_model_raises():
    with pytest.raises(RuntimeError, match="no_such_model"):
        load_nlp("no_such_model")

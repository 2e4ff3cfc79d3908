"""The README's scoring rule on hand-made claims."""

from __future__ import annotations

import pytest

from claimwire.transform.claims.scoring import (
    macro_f1,
    match,
    name_words,
    score,
    speaker_match,
    token_f1,
    tokens,
)


def claim(content: str, doc: str = "d1", **fields) -> dict:
    base = {
        "doc": doc,
        "speaker": "Mark Rutte",
        "speaker_aliases": ["Rutte", "NATO Secretary General Mark Rutte"],
        "content": content,
        "stance": "assert",
        "quote_type": "indirect",
        "claimed_on": None,
    }
    base.update(fields)
    return base


def test_tokens_are_lowercased_letters_and_digits():
    assert tokens("NATO’s 10,000 troops — “now”!") == ["nato", "s", "10", "000", "troops", "now"]


def test_token_f1_counts_repeated_words_once_each():
    assert token_f1("a b c d", "a b c d") == 1.0
    assert token_f1("a a b", "a b") == pytest.approx(0.8)
    assert token_f1("x y", "z") == 0.0


def test_match_needs_same_document_and_half_overlap():
    gold = [claim("north korea sent troops to russia")]
    assert match([claim("north korea sent troops to russia", doc="d2")], gold) == []
    # 2 of 6 gold words and 2 predicted words: F1 = 2 * 1 * (1/3) / (4/3) = 0.5
    assert [(i, j) for i, j, _ in match([claim("north korea")], gold)] == [(0, 0)]
    assert match([claim("korea")], gold) == []


def test_matching_is_one_to_one_best_overlap_first():
    gold = [claim("the troops have arrived in kursk"), claim("the troops have arrived")]
    pred = [claim("the troops have arrived"), claim("the troops have arrived in kursk today")]
    pairs = {(i, j) for i, j, _ in match(pred, gold)}
    # Pred 0 is an exact copy of gold 1 and goes first; pred 1 then takes gold 0.
    assert pairs == {(0, 1), (1, 0)}
    one = match([claim("the troops have arrived")], gold)
    assert [(i, j) for i, j, _ in one] == [(0, 1)]


def test_speaker_match_uses_name_words_not_titles():
    gold = claim("x")
    assert speaker_match("Rutte", gold)
    assert speaker_match("NATO chief Mark Rutte", gold)
    assert not speaker_match("NATO Secretary General", {**gold, "speaker_aliases": []})
    assert not speaker_match("Secretary General", gold)
    assert not speaker_match(None, gold)
    assert name_words("the US") == {"us"}
    assert speaker_match("The US", claim("x", speaker="the US", speaker_aliases=[]))


def test_macro_f1_over_stance_labels():
    pairs = [
        ("assert", "assert"),
        ("assert", "assert"),
        ("deny", "assert"),
        ("uncertain", "uncertain"),
    ]
    # assert: P 2/3 R 1 -> 0.8; deny: 0; uncertain: 1 -> mean 0.6
    assert macro_f1(pairs) == pytest.approx(0.6)
    # a label absent from gold and predictions is left out
    assert macro_f1([("assert", "assert")]) == 1.0


def test_score_figures():
    gold = [
        claim("north korea sent troops", stance="assert", claimed_on="2024-10-28"),
        claim("the report is a hoax", stance="deny", quote_type="direct"),
        claim("we cannot confirm the reports", stance="uncertain", claimed_on="2024-10-16"),
    ]
    pred = [
        claim("north korea sent troops", speaker="Rutte", claimed_on="2024-10-28"),
        claim("the report is a hoax", speaker="Kremlin", stance="deny", quote_type="indirect"),
        claim("completely unrelated words here"),
    ]
    s = score(pred, gold)
    assert (s["n_matched"], s["n_predicted"], s["n_gold"]) == (2, 3, 3)
    assert s["precision"] == pytest.approx(2 / 3)
    assert s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 / 3)
    assert s["speaker_accuracy"] == 0.5
    assert s["stance_accuracy"] == 1.0
    assert s["stance_macro_f1"] == 1.0
    assert s["quote_type_accuracy"] == 0.5
    # only the matched gold claim with a date counts
    assert (s["date_accuracy"], s["n_dated"]) == (1.0, 1)


def test_score_of_nothing_is_zero():
    s = score([], [claim("a b c")])
    assert (s["f1"], s["recall"], s["speaker_accuracy"]) == (0.0, 0.0, 0.0)

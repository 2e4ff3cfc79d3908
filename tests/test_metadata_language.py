"""Language from the text, validated markup, disagreement reported, and the claim gate."""

from __future__ import annotations

import pytest

from claimwire.transform.extract import extract_article
from claimwire.transform.language import (
    claims_skip_reason,
    detect_language,
    normalize_code,
    resolve_language,
)

ENGLISH = (
    "The council approved the new harbour plan on Monday after a long debate. The mayor said "
    "the project would create hundreds of jobs, but opponents warned about the costs and the "
    "damage to the coastline."
)
GERMAN = (
    "Der Stadtrat hat am Montag nach langer Debatte den neuen Hafenplan beschlossen. Die "
    "Bürgermeisterin sagte, das Projekt werde Hunderte Arbeitsplätze schaffen, doch Gegner "
    "warnten vor den Kosten und den Schäden an der Küste."
)


def test_detects_german_and_english() -> None:
    assert detect_language(GERMAN) == "de"
    assert detect_language(ENGLISH) == "en"
    assert detect_language("") is None
    assert detect_language(" ... ") is None


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en-GB", "en"), ("de_DE", "de"), ("nb", "no"), ("iw", "he"), ("utf-8", None),
     ("utf", None), ("xx", None), ("", None), (None, None), ("english", None)],
)
def test_normalize_code(tag: str | None, code: str | None) -> None:
    assert normalize_code(tag) == code


def test_text_overrides_wrong_markup_and_the_conflict_is_reported() -> None:
    info = resolve_language("en", GERMAN)
    assert (info.code, info.markup, info.detected, info.conflict) == ("de", "en", "de", True)


def test_markup_decides_when_the_text_is_too_short() -> None:
    info = resolve_language("de-AT", "Kurz.")
    assert info.code == "de"


def test_invalid_markup_is_not_a_language() -> None:
    info = resolve_language("utf", ENGLISH)
    assert (info.code, info.markup, info.conflict) == ("en", None, False)


def test_claims_gate() -> None:
    assert claims_skip_reason("en") is None
    assert claims_skip_reason(None) is None
    assert claims_skip_reason("de") == "language:de"


def _page(lang: str, text: str) -> str:
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(3))
    return (
        f'<html lang="{lang}"><head><title>Hafen</title></head><body><article>'
        f"<h1>Hafenplan beschlossen</h1>{paragraphs}</article></body></html>"
    )


def test_german_page_declared_english_is_german() -> None:
    result = extract_article(_page("en", GERMAN))
    assert result.language == "de"
    assert result.language_markup == "en"
    assert result.language_detected == "de"
    assert result.language_conflict
    assert claims_skip_reason(result.language) == "language:de"


def test_english_page_with_a_bad_header_is_english() -> None:
    result = extract_article(_page("utf", ENGLISH))
    assert (result.language, result.language_markup, result.language_conflict) == (
        "en", None, False)

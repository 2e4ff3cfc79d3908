"""Dev cases for claims round two: dates, complex syntax, speakers.

Each line of tests/data/claims/cases.jsonl is a short text (written for
this purpose, or a sentence of the shared dev articles) with the claims it
must yield.  Expected fields: exact values, or a `~` suffix for "contains";
`content_has` asks the content to include a phrase.  An empty `expect`
means the text holds no claim.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from claimwire.transform.claims import Claim, extract_claims
from claimwire.transform.nlp import load_nlp

CASES = Path(__file__).parent / "data" / "claims" / "cases.jsonl"


def load_cases() -> list[dict[str, Any]]:
    with CASES.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def nlp():
    try:
        return load_nlp()
    except RuntimeError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(str(exc))


def _value(claim: Claim, field: str) -> Any:
    value = getattr(claim, field, None)
    return value.isoformat() if isinstance(value, dt.date) else value


def field_errors(claim: Claim, want: dict[str, Any]) -> list[str]:
    errors = []
    for field, expected in want.items():
        if field == "content_has":
            if expected not in claim.content:
                errors.append(f"content lacks {expected!r}")
        elif field.endswith("~"):
            got = _value(claim, field[:-1]) or ""
            if expected.lower() not in got.lower():
                errors.append(f"{field[:-1]}: {got!r} does not contain {expected!r}")
        elif _value(claim, field) != expected:
            errors.append(f"{field}: {_value(claim, field)!r} != {expected!r}")
    return errors


def case_errors(case: dict[str, Any], claims: list[Claim]) -> list[str]:
    """Why the claims do not fit the case (empty when they do)."""
    if not case["expect"]:
        return [f"unexpected claim {c.content!r} by {c.speaker!r}" for c in claims]
    errors = []
    for want in case["expect"]:
        attempts = [field_errors(c, want) for c in claims]
        if not any(not e for e in attempts):
            best = min(attempts, key=len) if attempts else ["no claim at all"]
            errors.append(f"{want}: " + "; ".join(best))
    return errors


def run_case(case: dict[str, Any], nlp) -> list[Claim]:
    published = dt.date.fromisoformat(case["published"]) if case["published"] else None
    return extract_claims(case["text"], published, nlp=nlp)


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["id"])
def test_case(case, nlp):
    claims = run_case(case, nlp)
    for c in claims:
        assert case["text"][c.char_start : c.char_end] == c.content
        assert c.speaker.lower() not in ("audio", "video", "footage"), c
    assert case_errors(case, claims) == []


def test_every_kind_has_cases():
    kinds = {c["kind"] for c in load_cases()}
    assert kinds == {"dates", "syntax", "speakers"}

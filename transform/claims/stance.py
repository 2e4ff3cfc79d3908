"""Decide whether a source asserts, denies or doubts the content."""

from __future__ import annotations

import re

from .lexicon import DENY_CUES, DENY_MARKERS, UNCERTAIN_CUES, UNCERTAIN_MARKERS, wordset

_UNCERTAIN_RE = re.compile(
    r"\b(?:cannot|can ?not|can't|can\u2019t|could not|couldn't|couldn\u2019t|unable to|"
    r"not able to|impossible to)\s+(?:\w+\s+)?(?:independently\s+)?"
    r"(?:confirm|verify|validate|corroborate|substantiate|speak to|say whether|say if|know)\b"
    r"|" + "|".join(re.escape(m) for m in UNCERTAIN_MARKERS),
    re.I,
)
_DENY_RE = re.compile(r"\b(?:" + "|".join(re.escape(m) for m in DENY_MARKERS) + r")", re.I)

# Cues whose negation means the source withholds support ("did not
# confirm"), as opposed to "did not say", which is no claim at all.
VERIFY_CUES = wordset("confirm verify corroborate acknowledge")


def classify(cue: str, content: str, *, negated: bool = False) -> str:
    """Return "assert", "deny" or "uncertain"."""
    if negated:
        return "uncertain"
    if cue in DENY_CUES:
        return "deny"
    if cue in UNCERTAIN_CUES:
        return "uncertain"
    if _UNCERTAIN_RE.search(content):
        return "uncertain"
    if _DENY_RE.search(content):
        return "deny"
    return "assert"

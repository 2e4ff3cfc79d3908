"""Entities and quantities named inside a claim's content."""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token

from .lexicon import wordset, wordset_list
from .model import ClaimMention

_KINDS = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
_NUMBER_LABELS = wordset("CARDINAL QUANTITY MONEY PERCENT")
_WORD_NUMBERS = {
    w: float(i)
    for i, w in enumerate(
        wordset_list(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
_WORD_NUMBERS.update({"thirty": 30.0, "forty": 40.0, "fifty": 50.0, "hundred": 100.0})
_SCALES = {
    "hundred": 1e2,
    "hundreds": 1e2,
    "thousand": 1e3,
    "thousands": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "trillion": 1e12,
    "dozen": 12.0,
    "dozens": 12.0,
}
_CURRENCY = {"$": "USD", "\u20ac": "EUR", "\u00a3": "GBP", "\u00a5": "JPY"}
# Words that qualify a count rather than name what is counted.
_NOT_UNIT = wordset("total more additional other some about around over nearly")
_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")


def parse_number(text: str) -> float | None:
    """'10,000' -> 10000.0, '1.5 million' -> 1500000.0, 'three' -> 3.0."""
    words = text.lower().replace("-", " ").split()
    value: float | None = None
    scale = 1.0
    for w in words:
        m = _NUM_RE.search(w)
        if m and value is None:
            raw = m.group(0)
            # A comma followed by three digits is a thousands separator.
            raw = re.sub(r",(?=\d{3}\b)", "", raw).replace(",", ".")
            try:
                value = float(raw)
            except ValueError:
                return None
        elif w in _WORD_NUMBERS and value is None:
            value = _WORD_NUMBERS[w]
        elif w in _SCALES:
            scale *= _SCALES[w]
    if value is None:
        return scale if scale > 1 else None
    return value * scale


def _unit(ent: Span) -> str | None:
    if ent.label_ == "PERCENT":
        return "percent"
    if ent.label_ == "MONEY":
        for sym, code in _CURRENCY.items():
            if sym in ent.text:
                return code
    root = ent.root
    head: Token | None = None
    if root.dep_ in ("nummod", "quantmod", "amod", "compound") and root.head.i >= ent.end - 1:
        head = root.head
    else:
        of = [c for c in root.children if c.dep_ == "prep" and c.lower_ == "of"]
        objs = [g for g in of[0].children if g.dep_ == "pobj"] if of else []
        head = objs[0] if objs else None
    if head is None or head.pos_ not in ("NOUN", "PROPN"):
        return None
    words = [head]
    i = head.i - 1
    while i >= ent.end:
        tok = head.doc[i]
        if tok.dep_ in ("amod", "compound") and tok.text.islower() and tok.lower_ not in _NOT_UNIT:
            words.insert(0, tok)
            i -= 1
            continue
        break
    return " ".join(t.text for t in words)


def mentions_in(doc: Doc, offset: int, start: int, end: int) -> list[ClaimMention]:
    """Mentions whose characters fall inside [start, end) of the article."""
    out: list[ClaimMention] = []
    for ent in doc.ents:
        s, e = offset + ent.start_char, offset + ent.end_char
        if s < start or e > end:
            continue
        if ent.label_ in _KINDS:
            text = ent.text
            for suffix in ("'s", "\u2019s"):
                text = text.removesuffix(suffix)
            out.append(ClaimMention(_KINDS[ent.label_], text))
        elif ent.label_ in _NUMBER_LABELS:
            value = parse_number(ent.text)
            if value is not None:
                out.append(ClaimMention("number", ent.text, value, _unit(ent)))
    return out

"""Score predicted claims against gold claims (the rule in the dataset README).

Pure functions over plain dicts with the gold-file field names, so that the
same code scores JSON Lines files and extractor output.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .lexicon import STOPWORDS, TITLE_WORDS

MATCH_THRESHOLD = 0.5
STANCES = ("assert", "deny", "uncertain")

_WORD = re.compile(r"[^\W_]+")


def tokens(text: str | None) -> list[str]:
    """Lower-cased word tokens: runs of letters and digits."""
    return _WORD.findall((text or "").lower())


def token_f1(a: str, b: str) -> float:
    """Token-level F1 between two texts (multiset overlap)."""
    ta, tb = Counter(tokens(a)), Counter(tokens(b))
    common = sum((ta & tb).values())
    if common == 0:
        return 0.0
    p = common / sum(ta.values())
    r = common / sum(tb.values())
    return 2 * p * r / (p + r)


def name_words(text: str | None) -> set[str]:
    """Tokens of a speaker that can identify it: not titles, not function words."""
    return {t for t in tokens(text) if t not in TITLE_WORDS and t not in STOPWORDS}


def speaker_match(predicted: str | None, gold: Mapping[str, Any]) -> bool:
    """True when the predicted speaker shares a name word with the gold speaker or an alias."""
    pred = name_words(predicted)
    if not pred:
        return False
    for name in [gold.get("speaker"), *(gold.get("speaker_aliases") or [])]:
        if pred & name_words(name):
            return True
    return False


def match(
    predicted: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int, float]]:
    """One-to-one matching of (predicted index, gold index, F1), best overlap first.

    Only claims of the same document can match, and only when the token F1
    of their contents is at least MATCH_THRESHOLD.
    """
    pairs: list[tuple[float, int, int]] = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            if p.get("doc") != g.get("doc"):
                continue
            f1 = token_f1(p.get("content", ""), g.get("content", ""))
            if f1 >= MATCH_THRESHOLD:
                pairs.append((f1, i, j))
    # Ties are broken by position so that the result is deterministic.
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out: list[tuple[int, int, float]] = []
    for f1, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j, f1))
    return sorted(out, key=lambda t: t[1])


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def macro_f1(pairs: Iterable[tuple[str, str]], labels: Sequence[str] = STANCES) -> float:
    """Macro-averaged F1 of (gold, predicted) label pairs.

    Labels absent from both gold and predictions are left out of the
    average (they carry no information either way).
    """
    pairs = list(pairs)
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        n_pred = sum(1 for _, p in pairs if p == label)
        n_gold = sum(1 for g, _ in pairs if g == label)
        if n_pred == 0 and n_gold == 0:
            continue
        prec, rec = _ratio(tp, n_pred), _ratio(tp, n_gold)
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def score(
    predicted: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """All figures of the README's scoring rule."""
    pairs = match(predicted, gold)
    n_match = len(pairs)
    precision = _ratio(n_match, len(predicted))
    recall = _ratio(n_match, len(gold))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    matched = [(predicted[i], gold[j]) for i, j, _ in pairs]
    speaker_ok = sum(1 for p, g in matched if speaker_match(p.get("speaker"), g))
    stance_pairs = [(g.get("stance"), p.get("stance")) for p, g in matched]
    stance_ok = sum(1 for g, p in stance_pairs if g == p)
    quote_ok = sum(1 for p, g in matched if p.get("quote_type") == g.get("quote_type"))
    dated = [(p, g) for p, g in matched if g.get("claimed_on")]
    date_ok = sum(1 for p, g in dated if _iso(p.get("claimed_on")) == _iso(g.get("claimed_on")))
    return {
        "n_predicted": len(predicted),
        "n_gold": len(gold),
        "n_matched": n_match,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "speaker_accuracy": _ratio(speaker_ok, n_match),
        "stance_accuracy": _ratio(stance_ok, n_match),
        "stance_macro_f1": macro_f1(stance_pairs),
        "quote_type_accuracy": _ratio(quote_ok, n_match),
        "date_accuracy": _ratio(date_ok, len(dated)),
        "n_dated": len(dated),
        "pairs": pairs,
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)

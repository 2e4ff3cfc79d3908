"""Find quotation spans in raw text, including quotes over several paragraphs.

Work on the raw string rather than on spaCy tokens: a quote often runs over
sentence and paragraph boundaries that the parser treats independently.
"""

from __future__ import annotations

from dataclasses import dataclass

QUOTE_CHARS = '"\u201c\u201d\u201e\u00ab\u00bb'
OPENERS = "\u201c\u201e\u00ab"
CLOSERS = "\u201d\u00bb"
_BEFORE_OPEN = " \t\n([{\u2014\u2013-/:;"

# How many paragraphs a quote left open may run on before we give up and
# close it at the end of its own paragraph.
MAX_CONTINUATION_PARAGRAPHS = 6


@dataclass(frozen=True)
class QuoteSpan:
    """A quotation: `start`/`end` are the mark positions, `inner` the text between."""

    start: int  # index of the opening mark
    end: int  # index just after the closing mark (or paragraph end when unclosed)
    inner_start: int
    inner_end: int

    def words(self, text: str) -> int:
        return len(text[self.inner_start : self.inner_end].split())


def _role(text: str, i: int) -> str:
    """Return "open", "close" or "either" for the quote mark at `i`."""
    prev = text[i - 1] if i > 0 else "\n"
    nxt = text[i + 1] if i + 1 < len(text) else "\n"
    looks_open = prev in _BEFORE_OPEN and not nxt.isspace()
    looks_close = not prev.isspace() and (nxt.isspace() or not nxt.isalnum())
    if looks_open and not looks_close:
        return "open"
    if looks_close and not looks_open:
        return "close"
    ch = text[i]
    if ch in OPENERS:
        return "open"
    if ch in CLOSERS:
        return "close"
    return "either"


def _para_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _at_para_start(text: str, i: int) -> bool:
    line_start = text.rfind("\n", 0, i) + 1
    return text[line_start:i].strip() == ""


def find_quotes(text: str) -> list[QuoteSpan]:
    """Pair quotation marks into spans (ordered, non-overlapping)."""
    marks = [(i, _role(text, i)) for i, ch in enumerate(text) if ch in QUOTE_CHARS]
    spans: list[QuoteSpan] = []
    open_at: int | None = None
    k = 0
    while k < len(marks):
        pos, role = marks[k]
        if open_at is None:
            if role != "close":
                open_at = pos
            k += 1
            continue
        crossed = text.count("\n", open_at, pos) > 0
        if not crossed:
            if role == "open" and text[pos] in OPENERS and text[open_at] in OPENERS:
                # Two openers in one paragraph: the first was never closed.
                spans.append(_span(text, open_at, _para_end(text, open_at), closed=False))
                open_at = pos
            else:
                spans.append(_span(text, open_at, pos + 1, closed=True))
                open_at = None
            k += 1
            continue
        # The quote left its paragraph open.  Continue it when the next mark
        # reopens at a paragraph start (the usual multi-paragraph convention)
        # or is a bare closer within a few paragraphs.
        paras_between = text.count("\n\n", open_at, pos) + text.count("\n", open_at, pos)
        near = paras_between <= MAX_CONTINUATION_PARAGRAPHS * 2
        if role == "open" and _at_para_start(text, pos) and near:
            k += 1  # keep the quote open; the new opener is a continuation mark
            continue
        if role in ("close", "either") and near and not _at_para_start(text, pos):
            spans.append(_span(text, open_at, pos + 1, closed=True))
            open_at = None
            k += 1
            continue
        spans.append(_span(text, open_at, _para_end(text, open_at), closed=False))
        open_at = None  # reprocess this mark as a fresh one
    if open_at is not None:
        spans.append(_span(text, open_at, _para_end(text, open_at), closed=False))
    return spans


def _span(text: str, start: int, end: int, *, closed: bool) -> QuoteSpan:
    inner_end = end - 1 if closed else end
    inner_start = start + 1
    # Trailing commas and spaces belong to the attribution, not to the quote.
    while inner_end > inner_start and text[inner_end - 1] in " ,\n\t":
        inner_end -= 1
    while inner_start < inner_end and text[inner_start].isspace():
        inner_start += 1
    return QuoteSpan(start, end, inner_start, inner_end)


def quoted_fraction(text: str, start: int, end: int, quotes: list[QuoteSpan]) -> float:
    """Share of the word characters in text[start:end] that lie inside quotes."""
    total = 0
    inside = 0
    for i in range(start, end):
        if not text[i].isalnum():
            continue
        total += 1
        if any(q.inner_start <= i < q.inner_end for q in quotes if q.start < end and q.end > start):
            inside += 1
    return inside / total if total else 0.0

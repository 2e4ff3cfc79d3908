"""Split an article into paragraphs, drop page furniture, pre-filter candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import DATE_HINT
from .lexicon import CUE_LEMMAS, inflections
from .quotes import QUOTE_CHARS, QuoteSpan

# Everything after one of these lines is navigation, not the article.
_FURNITURE_START = re.compile(
    r"^\s*(recent posts|related (articles|stories|posts|news)|read more|more stories|"
    r"you may also like|most read|popular posts|latest news|share this( article)?|"
    r"comments?|leave a (reply|comment))\s*:?\s*$",
    re.I,
)
_BYLINE = re.compile(r"^\s*(by|author|written by|posted by|photo|image|credit)\b[^.]{0,60}$", re.I)
# A paragraph that ends in sentence punctuation (a closing quote or bracket
# may follow) is prose; anything else is a headline, label or caption stub.
_TERMINAL = re.compile(r"[.!?][\"\u201d\u2019')\]]*\s*$")
# "date 2024-10-20 (MENAFN)", "KYIV, Oct 28 (Reuters) -": wire datelines
# in front of the first sentence are not part of it.
_DATELINE = re.compile(
    r"^\s*(?:date\s+)?\d{4}-\d{2}-\d{2}\s*(?:\([^)]{1,40}\))?\s*[-\u2013\u2014:]?\s*"
    r"|^[A-Z][A-Za-z .,'-]{1,60}\((?:AP|AFP|Reuters|[A-Z]{2,10})\)\s*[-\u2013\u2014:]\s*"
)
_TEASER = re.compile(r"(\u2026|\.\.\.)\s*$")

_CUE_FORMS = sorted({f for lemma in CUE_LEMMAS for f in inflections(lemma)}, key=len, reverse=True)
CANDIDATE_RE = re.compile(
    r"\b(?:" + "|".join(map(re.escape, _CUE_FORMS)) + r")\b|according to|[" + QUOTE_CHARS + "]",
    re.I,
)


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    prose: bool  # False for headlines, bylines, captions and furniture


def paragraphs(text: str) -> list[Paragraph]:
    """Non-empty lines of the text with their offsets and a prose flag."""
    out: list[Paragraph] = []
    furniture = False
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.strip()
        if not stripped:
            continue
        start += len(line) - len(line.lstrip())
        end -= len(line) - len(line.rstrip())
        if not out:
            m = _DATELINE.match(line.strip())
            if m and m.end() < len(stripped):
                start += m.end()
                stripped = stripped[m.end() :]
        if _FURNITURE_START.match(stripped):
            furniture = True
        prose = (
            not furniture
            and bool(_TERMINAL.search(stripped))
            and not _TEASER.search(stripped)
            and not _BYLINE.match(stripped)
        )
        out.append(Paragraph(start, end, prose))
    return out


def select_paragraphs(
    text: str, paras: list[Paragraph], quotes: list[QuoteSpan], *, prefilter: bool
) -> list[Paragraph]:
    """Stretches of text worth parsing, in order.

    Without the pre-filter every prose paragraph is parsed.  With it, only
    sentences holding a cue word, a quotation mark or "according to" (or
    lying inside a quotation), plus the sentence before each of them (for
    pronouns and a quote's speaker) and every sentence naming a day (for
    event dates); neighbouring kept sentences of one paragraph are parsed
    together.
    """
    prose = [p for p in paras if p.prose or _inside_quote(p, quotes)]
    if not prefilter:
        return prose
    sents = [(s, e, k) for k, p in enumerate(prose) for s, e in sentence_spans(text, p)]
    keep: set[int] = set()
    for i, (s, e, _) in enumerate(sents):
        chunk = text[s:e]
        if CANDIDATE_RE.search(chunk) or any(q.start < e and s < q.end for q in quotes):
            keep.add(i)
            # The sentence before often names the speaker of a "he said" or
            # dates the event ("X visited Y on Tuesday. X said ...").
            if i > 0:
                keep.add(i - 1)
        elif DATE_HINT.search(chunk):
            # Dated sentences place speakers and the story in time; keeping
            # them makes the pre-filtered dates equal to the full parse's.
            keep.add(i)
    out: list[Paragraph] = []
    for i in sorted(keep):
        s, e, k = sents[i]
        if out and i - 1 in keep and sents[i - 1][2] == k:
            out[-1] = Paragraph(out[-1].start, e, prose[k].prose)
        else:
            out.append(Paragraph(s, e, prose[k].prose))
    return out


# A sentence ends at . ! or ? (plus closing quotes or brackets) followed by
# space and a capital, a digit or an opening quote.  Splitting too little is
# harmless (the parser splits again), splitting inside a sentence is not, so
# short words and dotted abbreviations ("U.S.", "Rep.") never end one.
_SENT_END = re.compile(r"(?<=[.!?])[\"\u201d\u2019')\]]*\s+(?=[\"\u201c\u2018(]?[A-Z0-9])")


def sentence_spans(text: str, p: Paragraph) -> list[tuple[int, int]]:
    """Conservative sentence spans of one paragraph (absolute offsets)."""
    out = []
    start = p.start
    for m in _SENT_END.finditer(text, p.start, p.end):
        word = text[max(p.start, m.start() - 12) : m.start()].split()
        last = word[-1] if word else ""
        core = last.strip("\"\u201d\u2019')].!?")
        if len(core) <= 3 or "." in core:
            continue
        out.append((start, m.start()))
        start = m.end()
    out.append((start, p.end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _inside_quote(p: Paragraph, quotes: list[QuoteSpan]) -> bool:
    return any(q.inner_start <= p.start and p.end <= q.end + 1 for q in quotes)

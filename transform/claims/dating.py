"""Give each draft claim the day its statement was made, and say how.

Order of evidence, most specific first:
1. a date in the claim's own sentence that dates the cue ("said on Oct. 25");
2. an earlier-occasion marker in that sentence ("previously denied"): no date;
3. a date named earlier in the same paragraph, which carries to the claims
   after it ("On Oct. 25 the talks collapsed. The minister said ...");
4. the day on which the article places the speaker ("X visited Y on Tuesday");
5. the article's main event day (its first dated event).
A named date that cannot be resolved (no year, no publication date) stops
the search: the claim keeps no date and the reason, never a borrowed one.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass

from .dates import DateContext, DateReading, find_date_expressions, read_date
from .drafts import Draft, Parsed
from .lexicon import EARLIER_MARKERS, STOPWORDS
from .quotes import QuoteSpan
from .segment import Paragraph
from .speakers import SpeakerPhrase

_EARLIER_RE = re.compile(
    r"\b(?:" + "|".join(EARLIER_MARKERS) + r"|at the time|in the past|last year|"
    r"earlier this (?:month|year)|in (?:19|20)\d\d)\b",
    re.I,
)


@dataclass(frozen=True)
class ClaimDate:
    day: dt.date | None
    note: str | None  # how the day was found, or why there is none


@dataclass(frozen=True)
class _Phrase:
    start: int
    end: int
    expr: str
    reading: DateReading
    sent_start: int
    sent_end: int
    para: int  # index of the article paragraph
    verb: int | None  # absolute offset of the verb it dates, None if it dates a noun

    @property
    def usable(self) -> bool:
        return self.reading.day is not None


def _date_attachment(span):
    """The verb a date phrase modifies, or None when it modifies a noun.

    "a press briefing on Wednesday" under a verb's prepositional phrase
    still dates that verb's event.
    """
    root = span.root
    if root.dep_ == "pobj" and root.head.dep_ == "prep":
        attach = root.head.head
    elif root.dep_ in ("npadvmod", "tmod", "advmod", "obl", "prep", "appos"):
        attach = root.head
    elif root.dep_ == "pcomp" and root.head.dep_ == "prep":
        attach = root.head.head  # "since last March"
    else:
        return None
    if attach.pos_ in ("NOUN", "PROPN") and attach.dep_ == "pobj" and attach.head.dep_ == "prep":
        attach = attach.head.head
    return attach if attach.pos_ in ("VERB", "AUX") else None


def _phrases(
    parsed: list[Parsed], quotes: list[QuoteSpan], ctx: DateContext, para_starts: list[int]
) -> list[_Phrase]:
    out = []
    for p in parsed:
        for sent in p.doc.sents:
            s0 = p.offset + sent.start_char
            for a, b in find_date_expressions(sent.text):
                if any(q.start <= s0 + a < q.end for q in quotes):
                    continue
                reading = read_date(sent.text[a:b], ctx)
                if reading is None:
                    continue
                span = sent.char_span(a, b, alignment_mode="expand")
                attach = _date_attachment(span) if span is not None else None
                out.append(
                    _Phrase(
                        s0 + a,
                        s0 + b,
                        sent.text[a:b],
                        reading,
                        s0,
                        p.offset + sent.end_char,
                        bisect.bisect_right(para_starts, s0 + a) - 1,
                        p.offset + attach.idx if attach is not None else None,
                    )
                )
    return out


def _note(where: str, f: _Phrase) -> str:
    month = ", month only" if f.reading.precision == "month" else ""
    return f"{where}: {f.expr!r} ({f.reading.note}{month})"


def assign_dates(
    text: str,
    drafts: list[Draft],
    parsed: list[Parsed],
    quotes: list[QuoteSpan],
    ctx: DateContext,
    paras: list[Paragraph],
) -> dict[int, ClaimDate]:
    """claimed_on and its note per draft (keyed by id)."""
    para_starts = [p.start for p in paras]
    every = _phrases(parsed, quotes, ctx, para_starts)
    phrases = [f for f in every if f.verb is not None]
    contents = [(d.start, d.end) for d in drafts]
    # Dates inside someone's claim date that claim's content, not events.
    free = [f for f in phrases if not any(s <= f.start < e for s, e in contents)]
    events = [f for f in free if f.usable and f.reading.precision == "day"]
    story = events[0] if events else None
    anchors = _speaker_anchors(parsed, events)
    own: dict[int, _Phrase | None] = {}
    for d in drafts:
        mine = [
            f
            for f in every
            if (f.verb is not None or d.speaker.start <= f.start < d.speaker.end)
            and d.sent_start <= f.start < d.sent_end
            and not (d.start <= f.start < d.end)
            and (
                d.cue_tok is None
                or f.verb in _clause_verbs(d)
                or d.speaker.start <= f.start < d.speaker.end  # "the ministry's Oct. 30 statement"
            )
        ]
        own[id(d)] = min(mine, key=lambda f: abs(f.start - d.cue_pos)) if mine else None
        f = own[id(d)]
        if f is not None and f.usable and f.reading.precision == "day":
            anchors.append((d.cue_pos, _key(d.speaker), f))
    result: dict[int, ClaimDate] = {}
    for d in drafts:
        f = own[id(d)]
        if f is not None:
            result[id(d)] = ClaimDate(f.reading.day, _note("sentence", f))
            continue
        context = text[d.sent_start : d.start] + " " + text[d.end : d.sent_end]
        if _EARLIER_RE.search(context):
            result[id(d)] = ClaimDate(None, "an earlier occasion, no date named")
            continue
        para = bisect.bisect_right(para_starts, d.cue_pos) - 1
        before = [
            f
            for f in free
            if f.para == para and f.start < min(d.cue_pos, d.start) and f.reading.precision == "day"
        ]
        if before:
            f = max(before, key=lambda f: f.start)
            result[id(d)] = ClaimDate(f.reading.day, _note("paragraph", f))
            continue
        k = _key(d.speaker)
        mine_a = [a for a in anchors if _same_source(a[1], k)]
        if mine_a:
            f = min(mine_a, key=lambda a: abs(a[0] - d.cue_pos))[2]
            result[id(d)] = ClaimDate(f.reading.day, _note("speaker", f))
        elif story is not None:
            result[id(d)] = ClaimDate(story.reading.day, _note("story", story))
        else:
            result[id(d)] = ClaimDate(None, None)
    return result


def _speaker_anchors(
    parsed: list[Parsed], events: list[_Phrase]
) -> list[tuple[int, str, _Phrase]]:
    """Named entities in a dated sentence: the article places them on that day."""
    out = []
    for p in parsed:
        for ent in p.doc.ents:
            if ent.label_ not in ("PERSON", "ORG", "GPE", "NORP"):
                continue
            pos = p.offset + ent.start_char
            near = [f for f in events if f.sent_start <= pos < f.sent_end]
            if near:
                f = min(near, key=lambda f: abs(f.start - pos))
                out.append((pos, ent_key(ent.text, ent.label_), f))
    return out


def _clause_verbs(d: Draft) -> set[int]:
    """Absolute offsets of the verbs whose dates date the cue.

    The cue verb, the verbs it hangs from ("visited X and said"), and
    verbs that modify it outside the content ("Speaking on Monday, X said").
    """
    tok = d.cue_tok
    base = d.cue_pos - tok.idx
    out = {d.cue_pos}
    for child in tok.children:
        if child.dep_ in ("advcl", "prep", "npadvmod", "advmod") or child.tag_ == "VBG":
            for t in child.subtree:
                pos = base + t.idx
                if t.pos_ in ("VERB", "AUX") and not (d.start <= pos < d.end):
                    out.add(pos)
    while tok.dep_ in ("advcl", "conj", "xcomp") and tok.head.i != tok.i:
        tok = tok.head
        out.add(base + tok.idx)
    return out


def _key(phrase: SpeakerPhrase) -> str:
    name = phrase.name.lower()
    if phrase.kind == "person" and " and " not in name:
        return name.split()[-1] if name.split() else name
    return name


def _same_source(a: str, b: str) -> bool:
    """ "hur" and "ukraine's military intelligence agency (hur)" are one source."""
    if a == b:
        return True
    wa, wb = set(re.findall(r"[^\W_]+", a)), set(re.findall(r"[^\W_]+", b))
    wa -= STOPWORDS
    wb -= STOPWORDS
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def ent_key(text: str, label: str) -> str:
    name = text.removesuffix("'s").removesuffix("\u2019s")
    if label == "PERSON":
        return name.lower().split()[-1]
    words = name.lower().split()
    while words and words[0] in ("the", "a", "an"):
        words.pop(0)
    return " ".join(words)

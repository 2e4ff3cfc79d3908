"""Public entry points: article text in, claim records out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from ..nlp import load_nlp
from .dates import DateContext, date_context, dateline_date
from .dating import ClaimDate, assign_dates
from .drafts import DIRECT_SHARE, Draft, Parsed, cue_drafts, standalone_quote_drafts
from .mentions import mentions_in
from .model import Claim, ClaimMention
from .quotes import QuoteSpan, find_quotes, quoted_fraction
from .resolve import (
    apply_according,
    apply_nesting,
    canonicalise,
    fix_demonyms,
    fix_kinds,
    merge_participles,
    name_vias,
    person_names,
    resolve_anaphora,
    resolve_speakers,
    speaker_aliases,
    subject_anchors,
)
from .segment import Paragraph, paragraphs, select_paragraphs
from .speakers import SpeakerPhrase, is_junk
from .stance import classify

EXTRACTOR_VERSION = "claims-2"


class _Prepared:
    """An article split and pre-filtered, waiting for its paragraphs to be parsed."""

    def __init__(self, text: str, published: dt.date | None, prefilter: bool) -> None:
        self.text = text
        self.published = published if published is not None else dateline_date(text)
        self.dates: DateContext = date_context(text, self.published)
        self.paras: list[Paragraph] = paragraphs(text)
        self.quotes: list[QuoteSpan] = find_quotes(text)
        self.selected = select_paragraphs(text, self.paras, self.quotes, prefilter=prefilter)

    def chunks(self) -> list[str]:
        return [self.text[p.start : p.end] for p in self.selected]


def extract_claims(
    text: str,
    published: dt.date | None = None,
    *,
    nlp: Any = None,
    prefilter: bool = True,
) -> list[Claim]:
    """Extract the attributed claims of one article."""
    return next(extract_claims_many([(text, published)], nlp=nlp, prefilter=prefilter))


def extract_claims_many(
    items: Iterable[tuple[str, dt.date | None]],
    *,
    nlp: Any = None,
    prefilter: bool = True,
    batch_size: int = 64,
) -> Iterator[list[Claim]]:
    """Extract claims for many articles, parsing their paragraphs with `nlp.pipe`."""
    nlp = nlp or load_nlp()
    batch: list[_Prepared] = []
    for text, published in items:
        batch.append(_Prepared(text, published, prefilter))
        if len(batch) >= batch_size:
            yield from _run(batch, nlp)
            batch = []
    if batch:
        yield from _run(batch, nlp)


def _run(batch: list[_Prepared], nlp: Any) -> Iterator[list[Claim]]:
    texts = [chunk for art in batch for chunk in art.chunks()]
    docs = iter(nlp.pipe(texts, batch_size=256))
    parsed_per_article = [[Parsed(p, next(docs)) for p in art.selected] for art in batch]
    for art, parsed in zip(batch, parsed_per_article, strict=True):
        yield _claims(art, parsed)


def _claims(art: _Prepared, parsed: list[Parsed]) -> list[Claim]:
    text, quotes = art.text, art.quotes
    drafts: list[Draft] = []
    for p in parsed:
        drafts.extend(cue_drafts(text, p, quotes))
    apply_according(drafts)
    apply_nesting(text, drafts)
    resolve_anaphora(text, drafts)
    merge_participles(text, drafts)
    drafts = [d for d in drafts if not d.drop]
    # Names inside quotes or inside someone's indirect speech are not the
    # antecedents of a later "he said".
    anchors = [
        a
        for a in subject_anchors(parsed)
        if not any(q.start <= a.pos < q.end for q in quotes)
        and not any(d.start <= a.pos < d.end for d in drafts if not d.according)
    ]
    known = {a.phrase.name.lower().split()[-1] for a in anchors if a.phrase.name}
    drafts += standalone_quote_drafts(text, quotes, art.paras, drafts, {k: k for k in known})
    fix_kinds(drafts, anchors, parsed)
    fix_demonyms(drafts, parsed)
    # Outer sources of nested claims are resolved too, so that `via` names them.
    outers = [o for d in drafts if (o := d.via_draft) is not None and o.drop]
    resolve_speakers(drafts + outers, anchors)
    name_vias(drafts)
    drafts = [d for d in drafts if not d.drop and not is_junk(d.speaker)]
    canonicalise(drafts, anchors, person_names(parsed))
    drafts = _dedupe(drafts)
    dates = assign_dates(text, drafts, parsed, quotes, art.dates, art.paras)
    aliases = speaker_aliases(drafts, anchors)
    claims = [_to_claim(text, d, dates[id(d)], aliases[id(d)], parsed, quotes) for d in drafts]
    return sorted(claims, key=lambda c: (c.char_start, c.char_end))


_SUBORDINATE = frozenset(["advcl", "relcl", "acl", "pcomp", "pobj"])


def _dedupe(drafts: list[Draft]) -> list[Draft]:
    """One record per attribution: drop repeats of a span by the same source,
    and give a quotation to one speaker only (the one of a main-clause cue)."""

    def rank(d: Draft) -> tuple[int, int]:
        sub = d.cue_tok is not None and d.cue_tok.dep_ in _SUBORDINATE
        return (1 if sub else 0, d.cue_pos)

    seen: set[tuple[int, int, str]] = set()
    quoted: set[tuple[int, int]] = set()
    out = []
    for d in sorted(drafts, key=lambda d: (d.start, rank(d))):
        key = (d.start, d.end, d.speaker.name.lower())
        if key in seen or (d.quote_type == "direct" and (d.start, d.end) in quoted):
            continue
        seen.add(key)
        if d.quote_type == "direct":
            quoted.add((d.start, d.end))
        out.append(d)
    return out


def _to_claim(
    text: str,
    d: Draft,
    claimed_on: ClaimDate,
    aliases: tuple[str, ...],
    parsed: list[Parsed],
    quotes: list[QuoteSpan],
) -> Claim:
    content = text[d.start : d.end]
    mentions: list[ClaimMention] = []
    for p in parsed:
        if p.para.end > d.start and p.para.start < d.end:
            mentions.extend(mentions_in(p.doc, p.offset, d.start, d.end))
    sp = d.speaker
    return Claim(
        speaker=sp.text,
        speaker_canonical=sp.name,
        speaker_role=sp.role,
        speaker_type=_speaker_type(sp),
        cue=d.cue,
        content=content,
        quote_type=(
            "direct"
            if quoted_fraction(text, d.start, d.end, quotes) >= DIRECT_SHARE
            else "indirect"
        ),
        stance=classify(d.cue, f"{content} {d.hint}", negated=d.negated),
        claimed_on=claimed_on.day,
        date_note=claimed_on.note,
        speaker_aliases=aliases,
        via=d.via,
        char_start=d.start,
        char_end=d.end,
        mentions=tuple(mentions),
    )


def _speaker_type(sp: SpeakerPhrase) -> str:
    if sp.kind == "pronoun":
        return "unnamed"
    if sp.kind == "organization" and sp.entity == "GPE":
        return "country"  # a state speaking through its capital or its name
    return sp.kind

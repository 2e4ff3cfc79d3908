"""Finish drafts: nesting and `via`, pronoun speakers, canonical names, dates."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .dating import _key, ent_key
from .drafts import Draft, Parsed, _trim
from .lexicon import COGNITION_CUES, UNNAMED_HEADS, wordset
from .speakers import SpeakerPhrase, describe

_SUBJECT_DEPS = wordset("nsubj nsubjpass")


_CONTRAST = wordset("while whereas but although though")


def apply_nesting(text: str, drafts: list[Draft]) -> None:
    """Inner cue inside another claim's content: keep the innermost source.

    "Reuters claims that the Pentagon warned that X" keeps only the
    Pentagon's claim, via Reuters.  An inner attribution in a side clause
    ("X said Y, after Politico reported Z") keeps both, and the outer
    content stops where the side clause begins.
    """
    for outer in sorted(drafts, key=lambda d: d.end - d.start, reverse=True):
        if outer.according or outer.drop:
            continue
        for inner in drafts:
            if inner is outer or inner.drop or inner.according:
                continue
            if not (outer.start <= inner.cue_pos < outer.end):
                continue
            if inner.cue in COGNITION_CUES:
                inner.drop = True  # "said the president still believed X": part of X
                continue
            pure = (
                inner.cue_tok is not None
                and outer.content_head is not None
                and inner.cue_tok == outer.content_head
            )
            if pure:
                if inner.speaker.kind == "pronoun":
                    inner.drop = True  # "Zelensky said he warned X": one claim
                else:
                    inner.via = outer.speaker.text
                    outer.drop = True
                continue
            if inner.cue_tok is None:
                continue
            left = inner.cue_tok.left_edge
            edge = inner.cue_pos - (inner.cue_tok.idx - left.idx)
            if edge > outer.start:
                outer.start, outer.end = _trim(text, outer.start, min(outer.end, edge))
                if len(text[outer.start : outer.end].split()) < 2 and not outer.anaphoric:
                    outer.drop = True
            same = inner.speaker.kind == "pronoun" or inner.speaker.name == outer.speaker.name
            if not same and left.lower_ not in _CONTRAST:
                inner.via = inner.via or outer.speaker.text


def resolve_anaphora(text: str, drafts: list[Draft]) -> None:
    """Content "this" / "these allegations" takes the previous claim's content."""
    for d in drafts:
        if not d.anaphoric or d.drop:
            continue
        # "dismissed these allegations, calling them a hoax": the participle
        # claim carries the real content.
        if d.cue_tok is not None and any(
            o.cue_tok is not None and o.cue_tok.head == d.cue_tok and not o.drop
            for o in drafts
            if o is not d
        ):
            d.drop = True
            continue
        earlier = [
            o
            for o in drafts
            if o is not d
            and not o.drop
            and not o.anaphoric
            and o.end <= d.cue_pos
            and d.cue_pos - o.end < 400
        ]
        if not earlier:
            d.drop = True
            continue
        ante = max(earlier, key=lambda o: o.end)
        d.start, d.end, d.quote_type = ante.start, ante.end, ante.quote_type
        d.anaphoric = False


def merge_participles(text: str, drafts: list[Draft]) -> None:
    """ "questioned the narrative, suggesting it was fabricated": one claim.

    A cue with a short nominal object and a participle cue of the same source
    hanging from it says one thing; the participle completes the object.
    """
    for d in drafts:
        if d.drop or d.cue_tok is None or d.content_head is None or d.quote_type != "indirect":
            continue
        if d.content_head.dep_ != "dobj" or len(text[d.start : d.end].split()) > 4:
            continue
        for o in drafts:
            if o is d or o.drop or o.cue_tok is None or o.cue_tok.tag_ != "VBG":
                continue
            if o.cue_tok.head == d.cue_tok and o.start >= d.end:
                d.end = o.end
                o.drop = True


def apply_according(drafts: list[Draft]) -> None:
    """ "X said Y, according to Z": Z is the outer source (via), not a claim."""
    for acc in drafts:
        if not acc.according or acc.drop:
            continue
        same_sentence = [
            d
            for d in drafts
            if d is not acc
            and not d.according
            and not d.drop
            and d.sent_start <= acc.cue_pos < max(d.sent_end, d.end + 2)
            and not (d.start <= acc.cue_pos < d.end)
        ]
        if same_sentence:
            for d in same_sentence:
                d.via = d.via or acc.speaker.text
            acc.drop = True


@dataclass
class _Anchor:
    pos: int
    phrase: SpeakerPhrase


def subject_anchors(parsed: list[Parsed]) -> list[_Anchor]:
    """Named sources in subject position: antecedents for pronoun speakers."""
    out: list[_Anchor] = []
    for p in parsed:
        for ent in p.doc.ents:
            if ent.label_ != "PERSON":
                continue
            root = ent.root
            head = root
            while head.dep_ in ("appos", "compound", "conj") and head.head.i != head.i:
                head = head.head
            if head.dep_ in _SUBJECT_DEPS or root.dep_ in _SUBJECT_DEPS:
                phrase = describe(head if head.dep_ in _SUBJECT_DEPS else root, p.offset)
                if phrase is not None and phrase.kind == "person":
                    out.append(_Anchor(p.offset + ent.start_char, phrase))
    return out


def fix_kinds(drafts: list[Draft], anchors: list[_Anchor], parsed: list[Parsed]) -> None:
    """A bare surname the tagger missed ("Morrison said") is still a person."""
    surnames = {a.phrase.name.split()[-1].lower() for a in anchors if a.phrase.name}
    for p in parsed:
        for ent in p.doc.ents:
            if ent.label_ == "PERSON":
                surnames.add(ent_key(ent.text, "PERSON"))
    for d in drafts:
        sp = d.speaker
        words = sp.name.split()
        if (
            sp.kind in ("organization", "unnamed")
            and 1 <= len(words) <= 3
            and all(w[:1].isupper() for w in words)
            and words[-1].lower() in surnames
        ):
            d.speaker = replace(sp, kind="person")


def resolve_speakers(drafts: list[Draft], anchors: list[_Anchor]) -> None:
    """Replace pronoun speakers by the nearest compatible named source."""
    pool = sorted(
        anchors
        + [_Anchor(d.speaker.start, d.speaker) for d in drafts if d.speaker.kind != "pronoun"],
        key=lambda a: a.pos,
    )
    for d in sorted(drafts, key=lambda d: d.cue_pos):
        if d.speaker.kind != "pronoun":
            continue
        pron = d.speaker.name
        ok = _compatible(pron)
        # Sources resolved earlier (including pronouns) are antecedents too.
        before = [a for a in pool if a.pos < d.speaker.start and ok(a.phrase)]
        if not before:
            d.drop = True
            continue
        found = before[-1].phrase
        d.speaker = replace(found, start=d.speaker.start, end=d.speaker.end)
        pool.append(_Anchor(d.speaker.start, d.speaker))
        pool.sort(key=lambda a: a.pos)


_COLLECTIVE = wordset("media press people public")


def _compatible(pronoun: str):
    def person(p: SpeakerPhrase) -> bool:
        if p.kind == "person":
            return not p.plural and " and " not in p.name
        # "North Korea's representative ... he declined": a singular human noun
        return (
            p.kind == "unnamed"
            and p.head in UNNAMED_HEADS
            and not p.plural
            and p.head not in _COLLECTIVE
        )

    def group(p: SpeakerPhrase) -> bool:
        return p.kind in ("organization", "unnamed") or p.plural

    def thing(p: SpeakerPhrase) -> bool:
        return p.kind == "organization"

    if pronoun in ("he", "she", "him", "her"):
        return person
    if pronoun in ("they", "them"):
        return group
    return thing


def canonicalise(drafts: list[Draft], anchors: list[_Anchor]) -> None:
    """Link surname-only mentions to the full name and pick the most specific form."""
    phrases = [a.phrase for a in anchors] + [d.speaker for d in drafts]
    full: dict[str, str] = {}
    for p in phrases:
        if p.kind == "person" and len(p.name.split()) > 1 and " and " not in p.name:
            full.setdefault(_key(p), p.name)
    for d in drafts:
        sp = d.speaker
        if sp.kind == "person" and len(sp.name.split()) == 1 and _key(sp) in full:
            d.speaker = replace(sp, name=full[_key(sp)])
    best: dict[str, SpeakerPhrase] = {}
    for p in phrases + [d.speaker for d in drafts]:
        k = _key(p)
        if p.kind == "person" and k in full:
            p = replace(p, name=full[k])
        cur = best.get(k)
        if cur is None or _specificity(p) > _specificity(cur):
            best[k] = p
    for d in drafts:
        top = best.get(_key(d.speaker))
        if top is None:
            continue
        d.speaker = replace(
            d.speaker,
            text=top.text if _specificity(top) > _specificity(d.speaker) else d.speaker.text,
            name=top.name if len(top.name) > len(d.speaker.name) else d.speaker.name,
            role=d.speaker.role or top.role,
        )


def _specificity(p: SpeakerPhrase) -> tuple[int, int]:
    # Prefer forms without an appositive comma, then the longest.
    words = p.text.split()
    return (0 if "," in p.text or len(words) > 10 else 1, len(words))

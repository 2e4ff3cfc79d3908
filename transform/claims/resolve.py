"""Finish drafts: nesting and `via`, pronoun speakers, canonical names, dates."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .dating import _key, ent_key
from .drafts import Draft, Parsed, _trim
from .lexicon import COGNITION_CUES, TITLE_WORDS, UNNAMED_HEADS, wordset
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
                    inner.via_draft = outer
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
            if not same and left.lower_ not in _CONTRAST and inner.via is None:
                inner.via = outer.speaker.text
                inner.via_draft = outer


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
                # "Volker ... and Tim Morrison ... testified": a conjoined
                # subject is described on its own, not as the first conjunct.
                own = root.dep_ == "conj" or head.dep_ not in _SUBJECT_DEPS
                phrase = describe(root if own else head, p.offset)
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
        if sp.kind in ("organization", "unnamed") and all(
            _named_person(part, surnames) for part in sp.name.split(" and ")
        ):
            d.speaker = replace(sp, kind="person")


def _named_person(name: str, surnames: set[str]) -> bool:
    words = name.split()
    return (
        1 <= len(words) <= 3
        and all(w[:1].isupper() for w in words)
        and words[-1].lower() in surnames
    )


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


def person_names(parsed: list[Parsed]) -> dict[str, str]:
    """Surname -> full name of the article's PERSON entities, when unambiguous."""
    seen: dict[str, set[str]] = {}
    for p in parsed:
        for ent in p.doc.ents:
            words = ent.text.removesuffix("'s").removesuffix("\u2019s").split()
            while words and words[0].lower().strip(".") in TITLE_WORDS:
                words.pop(0)
            if len(words) >= 2 and all(w[:1].isupper() for w in words) and ent.label_ == "PERSON":
                seen.setdefault(words[-1].lower(), set()).add(" ".join(words))
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def canonicalise(
    drafts: list[Draft], anchors: list[_Anchor], names: dict[str, str] | None = None
) -> None:
    """Link surname-only mentions to the full name and pick the most specific form."""
    phrases = [a.phrase for a in anchors] + [d.speaker for d in drafts]
    full: dict[str, str] = {}
    for p in phrases:
        if p.kind == "person" and len(p.name.split()) > 1 and " and " not in p.name:
            full.setdefault(_key(p), p.name)
    for k, v in (names or {}).items():
        full.setdefault(k, v)
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


def _specificity(p: SpeakerPhrase) -> tuple[int, int, int]:
    # Prefer forms without an appositive comma, then "title + name" over
    # "name, description", then the longest.
    words = p.text.split()
    return (
        0 if "," in p.text or len(words) > 10 else 1,
        1 if p.text.endswith(p.name) else 0,
        len(words),
    )


def name_vias(drafts: list[Draft]) -> None:
    """`via` names the outer source once its pronoun is resolved ("she wrote that
    a colleague told her X": via is the woman, not "she")."""
    for d in drafts:
        outer = d.via_draft
        if outer is None:
            continue
        sp = outer.speaker
        if sp.kind == "pronoun":
            d.via = None  # an outer "he" with no antecedent names no one
        else:
            d.via = sp.name if sp.kind == "person" else sp.text


def fix_demonyms(drafts: list[Draft], parsed: list[Parsed]) -> None:
    """ "Ukrainian claims that X": the source is the country the article names.

    The adjective's stem must begin a place name of the article ("Ukrain-" ->
    "Ukraine", "Israel-i" -> "Israel"); with none, the claim has no
    identifiable source and is dropped.
    """
    places: dict[str, int] = {}
    for p in parsed:
        for ent in p.doc.ents:
            if ent.label_ == "GPE":
                name = ent.text.removeprefix("the ").strip()
                places[name] = places.get(name, 0) + 1
    for d in drafts:
        sp = d.speaker
        if not sp.demonym:
            continue
        found = _country_of(sp.name, places)
        if found is None:
            d.drop = True
        else:
            d.speaker = replace(
                sp, text=found, name=found, kind="organization", entity="GPE", demonym=False
            )


_DEMONYM_ENDINGS = ("ian", "ean", "ese", "ish", "an", "i", "n")


def _country_of(adjective: str, places: dict[str, int]) -> str | None:
    low = adjective.lower()
    stems = [low[: -len(e)] for e in _DEMONYM_ENDINGS if low.endswith(e)] + [low]
    hits = [
        name
        for name in places
        if name.lower() != low  # the tagger may call the adjective itself a place
        and any(len(st) >= 4 and name.lower().split()[-1].startswith(st) for st in stems)
    ]
    return max(hits, key=lambda n: places[n]) if hits else None


def speaker_aliases(drafts: list[Draft], anchors: list[_Anchor]) -> dict[int, tuple[str, ...]]:
    """Other forms the article uses for each draft's speaker (keyed by id)."""
    forms: dict[str, list[str]] = {}
    for p in [a.phrase for a in anchors] + [d.speaker for d in drafts]:
        if p.kind == "pronoun":
            continue
        bucket = forms.setdefault(_key(p), [])
        for f in (p.text, p.name):
            if f and f not in bucket:
                bucket.append(f)
    out = {}
    for d in drafts:
        own = {d.speaker.text, d.speaker.name}
        out[id(d)] = tuple(f for f in forms.get(_key(d.speaker), []) if f not in own)
    return out

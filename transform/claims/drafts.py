"""Turn parsed paragraphs into draft claims: cue, speaker phrase, content span.

A draft still carries unresolved pronoun speakers and no date; `resolve`
finishes it.  All offsets are absolute positions in the article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span, Token

from .lexicon import (
    BYLINE_CUES,
    CLAIM_NOUNS,
    CLAUSE_ONLY_CUES,
    CUE_LEMMAS,
    IRREALIS_HEADS,
    PROPOSITION_NOUNS,
    RAISE_OBJECTS,
    TITLE_WORDS,
    wordset,
)
from .quotes import QUOTE_CHARS, QuoteSpan, quoted_fraction
from .segment import Paragraph
from .speakers import SpeakerPhrase, _comma_before, describe, subject_of
from .stance import VERIFY_CUES

DIRECT_SHARE = 0.5  # content this much inside quotation marks counts as direct
_STRIP = " \t\n,;:.\u2014\u2013-"
# Cues that may introduce a quotation in a neighbouring clause.
QUOTE_CUES = wordset(
    """
    say tell add warn insist explain write tweet post state declare announce reply
    respond argue claim remark note stress emphasize emphasise continue recall confirm
    acknowledge admit concede testify complain
    """
)
_CALL_LIKE = wordset("call dub label brand describe")
_CALL_PARTICLES = wordset("on for off up in out upon")
_CONTENT_PREPS = wordset("on of about")
_NAME_JOINERS = wordset("of the and de al bin van von da di la le el")


@dataclass
class Draft:
    cue: str
    cue_pos: int
    speaker: SpeakerPhrase
    start: int
    end: int
    quote_type: str
    sent_start: int
    sent_end: int
    negated: bool = False
    via: str | None = None
    via_draft: Draft | None = None  # the outer attribution, for naming `via` once resolved
    cue_tok: Token | None = None
    content_head: Token | None = None
    according: bool = False
    anaphoric: bool = False  # content is "this"/"these allegations": needs an antecedent
    hint: str = ""  # words outside the content that bear on stance ("a hoax")
    drop: bool = False


@dataclass
class Parsed:
    para: Paragraph
    doc: Doc

    @property
    def offset(self) -> int:
        return self.para.start


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip edge punctuation, a leading complementiser and unbalanced quote marks."""
    changed = True
    while changed and start < end:
        changed = False
        while start < end and text[start] in _STRIP:
            start += 1
            changed = True
        while start < end and text[end - 1] in _STRIP:
            end -= 1
            changed = True
        if re.match(r"(that|whether)\s", text[start:end]):
            start += text[start:end].index(" ") + 1
            changed = True
        tail = re.search(r"\s(and|but|or|while|as)$", text[start:end])
        if tail:
            end = start + tail.start()
            changed = True
        inner = text[start:end]
        if inner and inner[0] in QUOTE_CHARS and not any(c in QUOTE_CHARS for c in inner[1:]):
            start += 1
            changed = True
        elif inner and inner[-1] in QUOTE_CHARS and not any(c in QUOTE_CHARS for c in inner[:-1]):
            end -= 1
            changed = True
    return start, end


def _words(text: str) -> int:
    return len(re.findall(r"[^\W_]+", text))


def _tokens_range(tokens: list[Token]) -> tuple[int, int]:
    return min(t.idx for t in tokens), max(t.idx + len(t.text) for t in tokens)


def _content_tokens(verb: Token, cue: str) -> tuple[list[Token], Token | None]:
    """Tokens of the proposition governed by a cue verb, and its head token."""
    kids = list(verb.children)
    after = [c for c in kids if c.i > verb.i]
    if cue in _CALL_LIKE:
        if any(
            c.dep_ == "prt" or (c.dep_ == "prep" and c.lower_ in _CALL_PARTICLES)
            for c in after
            if c.i <= verb.i + 2
        ):
            return [], None  # "called on X to ...", "called for talks"
        parts = [
            c
            for c in after
            if c.dep_ in ("dobj", "oprd", "ccomp", "xcomp")
            or (c.dep_ == "prep" and c.lower_ == "as")
        ]
        if not parts:
            return [], None
        return [t for c in parts for t in c.subtree], parts[0]
    if cue == "raise":
        obj = next((c for c in after if c.dep_ == "dobj" and c.lower_ in RAISE_OBJECTS), None)
        if obj is None:
            return [], None
        for holder in (obj, verb):
            for c in holder.children:
                if c.dep_ == "prep" and c.lower_ in ("about", "over", "regarding"):
                    objs = [g for g in c.children if g.dep_ in ("pobj", "pcomp")]
                    if objs:
                        return list(objs[0].subtree), objs[0]
        return [], None
    ccomps = [c for c in kids if c.dep_ == "ccomp"]
    if ccomps:
        pick = next((c for c in ccomps if c.i > verb.i), ccomps[-1])
        return list(pick.subtree), pick
    # "remarked during a session that X": the parser hangs the clause on the
    # noun of an adverbial; it is still the cue's complement.
    for c in after:
        if c.dep_ == "prep":
            for obj in c.children:
                for clause in obj.children:
                    if clause.dep_ in ("acl", "relcl") and clause.left_edge.lower_ == "that":
                        return list(clause.subtree), clause
    if cue in CLAUSE_ONLY_CUES or cue == "rule":
        return [], None
    if cue == "point":
        for c in after:
            if c.dep_ == "prep" and c.lower_ == "to":
                objs = [g for g in c.children if g.dep_ == "pobj"]
                if objs:
                    return _clause_of_noun(objs[0]), objs[0]
        return [], None
    for c in after:
        if c.dep_ == "dobj":
            toks = _clause_of_noun(c)
            if len(toks) < len(list(c.subtree)):
                return toks, c
            extra = [
                x
                for x in after
                if x.i > c.i
                and (x.dep_ == "oprd" or (x.dep_ == "prep" and x.lower_ in ("of", "as")))
            ]
            return toks + [t for x in extra for t in x.subtree], c
        if c.dep_ == "prep" and c.lower_ in _CONTENT_PREPS:
            objs = [g for g in c.children if g.dep_ in ("pobj", "pcomp")]
            if objs:
                return _clause_of_noun(objs[0]), objs[0]
    passive = next((c for c in kids if c.dep_ == "nsubjpass"), None)
    if passive is not None and any(c.dep_ == "agent" for c in kids):
        return _clause_of_noun(passive), passive
    return [], None


def _clause_of_noun(noun: Token) -> list[Token]:
    """For "claims that X" / "the fact that X" / "the notion of X", just X."""
    if noun.lemma_.lower() in PROPOSITION_NOUNS or noun.lower_ in PROPOSITION_NOUNS:
        for c in noun.children:
            if c.dep_ in ("acl", "ccomp", "relcl") and c.left_edge.lower_ == "that":
                return list(c.subtree)
            if c.dep_ == "prep" and c.lower_ in ("about", "of", "regarding"):
                objs = [g for g in c.children if g.dep_ in ("pobj", "pcomp")]
                if objs:
                    return list(objs[0].subtree)
    return list(noun.subtree)


def _quote_at(quotes: list[QuoteSpan], pos: int) -> QuoteSpan | None:
    for q in quotes:
        if q.inner_start <= pos < q.inner_end:
            return q
    return None


def _enclosing_quote(quotes: list[QuoteSpan], start: int, end: int) -> QuoteSpan | None:
    """The quote that holds the whole range (give or take its marks)."""
    for q in quotes:
        if q.start <= start and end <= q.end:
            return q
    return None


def _misparsed_clause(verb: Token, sent: Span, off: int, quotes: list[QuoteSpan]) -> list[Token]:
    """ "Analysts said the sell-off could last weeks" parsed without a clause.

    When a speech verb has no complement but a subject follows it in the
    sentence, the rest of the sentence from that subject on is the clause.
    """
    rest = []
    for t in sent:
        if t.i <= verb.i:
            continue
        if t.text in (".", "!", "?", ";"):
            break
        rest.append(t)
    for t in rest:
        if t.dep_ not in ("nsubj", "nsubjpass") or t.head.i == verb.i:
            continue
        # Only a clause that starts right after the verb ("said (that) the
        # X ..."), not one inside a later adverbial ("... as the House ...").
        if t.left_edge.i > verb.i + 2 or any(
            c.dep_ == "mark" and c.lower_ != "that" for c in t.head.children
        ):
            return []
        if _quote_at(quotes, off + t.idx) is not None:
            return []
        return [x for x in rest if x.i >= t.left_edge.i and not x.is_punct]
    return []


def _whole_quotes(quotes: list[QuoteSpan], start: int, end: int) -> tuple[int, int]:
    """Widen a content span so that no quotation is cut in half."""
    for q in quotes:
        if start <= q.start < end < q.end:
            end = q.end
        if q.start < start < q.end <= end:
            start = q.start
    return start, end


def _adjacent_quote(
    quotes: list[QuoteSpan], sent_start: int, sent_end: int, pos: int
) -> QuoteSpan | None:
    """The quote nearest to a cue within the cue's sentence (or touching it)."""
    best = None
    best_dist = 10**9
    for q in quotes:
        if q.end < sent_start - 2 or q.start > sent_end + 2:
            continue
        dist = q.start - pos if q.start >= pos else pos - q.end
        if dist < best_dist:
            best, best_dist = q, dist
    return best


def cue_drafts(text: str, parsed: Parsed, quotes: list[QuoteSpan]) -> list[Draft]:
    """Drafts for every reporting cue and "according to" in one paragraph."""
    out: list[Draft] = []
    off = parsed.offset
    for sent in parsed.doc.sents:
        for tok in sent:
            if (
                tok.lower_ == "according"
                and tok.i + 1 < len(tok.doc)
                and (tok.doc[tok.i + 1].lower_ == "to")
            ):
                finder = _according
            elif _is_cue(tok):
                finder = _from_cue
            elif tok.pos_ == "NOUN" and tok.lower_ in CLAIM_NOUNS:
                finder = _from_claim_noun
            else:
                continue
            if _quote_at(quotes, off + tok.idx) is not None:
                continue  # a cue inside a quotation belongs to the quoted speaker
            d = finder(text, tok, sent, off, quotes)
            if d is not None:
                out.append(d)
    return out


def _is_cue(tok: Token) -> bool:
    if tok.lemma_.lower() not in CUE_LEMMAS and tok.lower_ not in ("warning",):
        return False
    if tok.pos_ == "VERB" or tok.tag_ == "VBG":
        return True
    # "with Minister Ayman Safadi warning of X": the tagger often calls the
    # gerund a noun; its source is the name compounded onto it.
    return tok.lower_.endswith("ing") and any(
        c.dep_ in ("compound", "poss") and c.ent_type_ in ("PERSON", "ORG", "NORP", "GPE")
        for c in tok.children
    )


_REFUSALS = wordset("decline refuse fail")


def _from_cue(
    text: str, verb: Token, sent: Span, off: int, quotes: list[QuoteSpan]
) -> Draft | None:
    pos = off + verb.idx
    if verb.dep_ == "xcomp" and verb.head.lemma_.lower() in _REFUSALS:
        return None  # "declined to comment on X" says nothing about X
    if _irrealis(verb):
        return None  # "urged Congress to declare that X": asked for, not said
    if _byline(verb):
        return None  # "Smith reports on energy for Reuters": a job, not a claim
    cue = "warn" if verb.lower_ == "warning" else verb.lemma_.lower()
    negated = any(c.dep_ == "neg" for c in verb.children)
    if negated and cue not in VERIFY_CUES:
        return None  # "did not say X", "didn't deny X": the source said nothing
    if cue == "point":
        if not any(c.dep_ == "prep" and c.lower_ == "to" for c in verb.children):
            return None
        cue = "point to"
    if cue == "raise":
        obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
        if obj is None or obj.lower_ not in RAISE_OBJECTS or verb.tag_ == "VBG":
            return None  # ", raising questions about X" is the writer's comment
        cue = "raise " + ("concerns" if obj.lower_.startswith("concern") else "questions")
    subj = subject_of(verb)
    if subj is None:
        return None
    speaker = describe(subj, off)
    if speaker is None:
        return None
    toks, head = _content_tokens(verb, cue)
    if not toks and cue in QUOTE_CUES:
        toks = _misparsed_clause(verb, sent, off, quotes)
    hint = ""
    if cue in _CALL_LIKE and head is not None:
        # "calling it a hoax": the label says how the source sees the content
        labels = [c for c in verb.children if c.dep_ in ("oprd", "xcomp", "ccomp")]
        hint = " ".join(t.text for c in labels for t in c.subtree)
        if head.dep_ == "dobj" and head.lower_ in _PRONOUN_OBJECTS:
            # "calling it X": the content is what "it" stands for when the
            # sentence names it, else the label X itself.
            clause = _antecedent_clause(verb)
            label = [t for c in labels for t in c.subtree]
            if clause:
                toks, head = clause, clause[0]
            elif label:
                toks, head = label, labels[0]
    # The speaker phrase is never part of the content.
    toks = [t for t in toks if not (speaker.start <= off + t.idx < speaker.end)]
    sent_start, sent_end = off + sent.start_char, off + sent.end_char
    start = end = -1
    quote_type = "indirect"
    if toks:
        s, e = _tokens_range(toks)
        start, end = _trim(text, off + s, off + e)
        q = _enclosing_quote(quotes, start, end) if end > start else None
        if q is not None:
            start, end, quote_type = q.inner_start, q.inner_end, "direct"
        else:
            start, end = _whole_quotes(quotes, start, end)
    if end <= start:
        if cue not in QUOTE_CUES:
            return None
        q = _adjacent_quote(quotes, sent_start, sent_end, pos)
        if q is None:
            return None
        start, end, quote_type, head = q.inner_start, q.inner_end, "direct", None
    if quote_type == "indirect":
        quote_type = _quote_type(text, start, end, quotes)
    if quote_type == "indirect" and re.match(r"(who|which|whom|whose)\b", text[start:end]):
        return None  # a relative clause misread as the complement
    anaphoric = quote_type == "indirect" and bool(_ANAPHORIC.match(text[start:end]))
    if quote_type == "indirect" and _words(text[start:end]) < 2 and not anaphoric:
        return None
    return _span_draft(
        text,
        quotes,
        cue,
        pos,
        speaker,
        start,
        end,
        sent_start,
        sent_end,
        quote_type=quote_type,
        negated=negated,
        cue_tok=verb,
        content_head=head,
        anaphoric=anaphoric,
        hint=hint,
    )


def _quote_type(text: str, start: int, end: int, quotes: list[QuoteSpan]) -> str:
    """ "direct" when text[start:end] stands mostly inside quotation marks, else "indirect"."""
    return "direct" if quoted_fraction(text, start, end, quotes) >= DIRECT_SHARE else "indirect"


def _span_draft(
    text: str,
    quotes: list[QuoteSpan],
    cue: str,
    pos: int,
    speaker: SpeakerPhrase,
    start: int,
    end: int,
    sent_start: int,
    sent_end: int,
    quote_type: str | None = None,
    **more: Any,
) -> Draft:
    """The draft of a cue at `pos` whose content is text[start:end] in the sentence
    text[sent_start:sent_end]; its quote type, unless given, by `_quote_type`."""
    return Draft(
        cue=cue,
        cue_pos=pos,
        speaker=speaker,
        start=start,
        end=end,
        quote_type=quote_type or _quote_type(text, start, end, quotes),
        sent_start=sent_start,
        sent_end=sent_end,
        **more,
    )


def _irrealis(verb: Token) -> bool:
    """A cue in the infinitive of a request or intention, or of a verb with
    its own object ("asked him to confirm X"), reports nothing said."""
    if verb.dep_ != "xcomp" or verb.head.i == verb.i:
        return False
    gov = verb.head
    if gov.lemma_.lower() in IRREALIS_HEADS:
        return True
    return any(c.dep_ in ("dobj", "iobj") and c.i < verb.i for c in gov.children) and any(
        c.dep_ == "aux" and c.lower_ == "to" for c in verb.children
    )


def _byline(verb: Token) -> bool:
    if verb.lemma_.lower() not in BYLINE_CUES:
        return False
    if any(c.dep_ in ("ccomp", "dobj") for c in verb.children):
        return False
    # "reports on energy policy for Reuters": the "for" may hang on the topic.
    return any(
        c.dep_ == "prep"
        and c.lower_ == "for"
        and any(g.pos_ == "PROPN" or g.ent_type_ in ("ORG", "WORK_OF_ART") for g in c.subtree)
        for c in verb.subtree
    )


_PRONOUN_OBJECTS = wordset("it this that them these those")


def _antecedent_clause(verb: Token) -> list[Token]:
    """For "declined to comment on the news that X, calling it Y": X."""
    if verb.dep_ not in ("advcl", "conj", "xcomp"):
        return []
    own = {t.i for t in verb.subtree}
    for tok in verb.head.subtree:
        if tok.i in own or tok.lemma_.lower() not in PROPOSITION_NOUNS | {"news"}:
            continue
        for c in tok.children:
            if c.dep_ in ("acl", "ccomp", "relcl") and c.left_edge.lower_ == "that":
                return list(c.subtree)
    return []


_ANAPHORIC = re.compile(
    r"^(?:(?:this|that|it|these|those|the|such)\s*)?"
    r"(?:claims?|allegations?|reports?|assertions?|accusations?|rumou?rs?|suggestions?)?$",
    re.I,
)
_NOUN_CUES = {"claim": "claim", "allegation": "allege", "assertion": "assert", "report": "report"}


def _from_claim_noun(
    text: str, noun: Token, sent: Span, off: int, quotes: list[QuoteSpan]
) -> Draft | None:
    """ "Ukrainian claims that X", "claims made by Zelensky about X"."""
    pos = off + noun.idx
    source: Token | None = None
    for c in noun.children:
        if (c.dep_ == "poss" and c.pos_ == "PROPN") or (
            c.dep_ == "amod" and c.ent_type_ in ("NORP", "GPE", "ORG")
        ):
            source = c
        elif c.dep_ == "acl":
            for agent in c.children:
                if agent.dep_ == "agent":
                    objs = [g for g in agent.children if g.dep_ == "pobj"]
                    source = objs[0] if objs else source
    if source is None:
        return None
    toks = _clause_of_noun(noun)
    if toks == list(noun.subtree):
        return None  # no proposition attached to the noun
    speaker = describe(source, off)
    if speaker is None:
        return None
    s, e = _tokens_range(toks)
    start, end = _trim(text, off + s, off + e)
    if _words(text[start:end]) < 2:
        return None
    cue = _NOUN_CUES.get(noun.lemma_.lower(), "claim")
    return _span_draft(
        text, quotes, cue, pos, speaker, start, end, off + sent.start_char, off + sent.end_char
    )


def _according(
    text: str, tok: Token, sent: Span, off: int, quotes: list[QuoteSpan]
) -> Draft | None:
    pos = off + tok.idx
    to = tok.doc[tok.i + 1]
    objs = [c for c in to.children if c.dep_ == "pobj"]
    if not objs:
        return None
    speaker = describe(objs[0], off, appos=False)
    if speaker is None:
        return None
    phrase = sorted(
        [tok, *(t for t in to.subtree if not _under_appos(t, objs[0]))], key=lambda t: t.i
    )
    a_start, a_end = off + phrase[0].idx, off + phrase[-1].idx + len(phrase[-1].text)
    sent_start, sent_end = off + sent.start_char, off + sent.end_char
    before = _trim(text, sent_start, a_start)
    after = _trim(text, a_end, sent_end)
    if _interrupts(tok, phrase):
        # "The army, according to a spokesman, has recaptured the village":
        # the phrase sits inside the clause, which is the content.
        start, end = _trim(text, sent_start, sent_end)
    else:
        start, end = max((before, after), key=lambda r: r[1] - r[0])
    if _words(text[start:end]) < 3:
        return None
    return _span_draft(
        text, quotes, "according to", pos, speaker, start, end, sent_start, sent_end, according=True
    )


def _interrupts(according: Token, phrase: list[Token]) -> bool:
    """True when "according to X" stands between a clause's subject and its verb."""
    verb = according.head
    if verb.pos_ not in ("VERB", "AUX") or verb.i < phrase[-1].i:
        return False
    return any(
        c.dep_ in ("nsubj", "nsubjpass", "expl") and c.i < phrase[0].i for c in verb.children
    )


def _under_appos(tok: Token, root: Token) -> bool:
    while tok.i != root.i and tok.head.i != tok.i:
        if tok.dep_ == "appos" and tok.head.i == root.i and _comma_before(tok):
            return True
        tok = tok.head
    return False


def standalone_quote_drafts(
    text: str,
    quotes: list[QuoteSpan],
    paras: list[Paragraph],
    drafts: list[Draft],
    known_people: dict[str, str],
) -> list[Draft]:
    """Quotes with no cue of their own: "Name: "..."" and quote continuations."""
    out: list[Draft] = []
    para_starts = [p.start for p in paras]
    for q in quotes:
        if any(d.start < q.inner_end and q.inner_start < d.end for d in drafts + out):
            continue
        inner = text[q.inner_start : q.inner_end]
        if _words(inner) < 3 or inner.rstrip().rstrip('"\u201d').endswith("?"):
            continue
        pi = _para_index(para_starts, q.start)
        para = paras[pi]
        before = re.sub(r"^\(?\d{1,2}[.)]\s*$", "", text[para.start : q.start].strip())
        name = None
        if before.endswith(":"):
            name = before[:-1].strip()
        elif not before and pi > 0:
            prev = text[paras[pi - 1].start : paras[pi - 1].end].strip()
            if prev.endswith(":"):
                name = prev[:-1].strip()
        if name is not None and _looks_like_name(name):
            speaker = _name_phrase(name, known_people, para.start + text[para.start :].find(name))
            out.append(_quote_draft(q, speaker, text))
            continue
        if before and not re.search(r"[.!?][\"\u201d\u2019]?$", before):
            continue  # an inline quote inside narration
        if not para.prose:
            continue  # a quoted headline or pull quote
        whole_para = not before and q.end >= para.end - 1
        if whole_para and _words(inner) < 8 and not re.search(r"[.!?]", inner):
            continue  # a quoted heading such as '"My fears have been realized"'
        prev_drafts = [d for d in drafts + out if d.end <= q.start]
        if not prev_drafts:
            continue
        last = max(prev_drafts, key=lambda d: d.end)
        if _para_index(para_starts, last.end) < pi - 1:
            continue  # too far from the last attribution to inherit its speaker
        out.append(_quote_draft(q, last.speaker, text))
    return out


def _quote_draft(q: QuoteSpan, speaker: SpeakerPhrase, text: str) -> Draft:
    return Draft(
        cue="say",
        cue_pos=q.start,
        speaker=speaker,
        start=q.inner_start,
        end=q.inner_end,
        quote_type="direct",
        sent_start=q.start,
        sent_end=q.end,
    )


def _para_index(starts: list[int], pos: int) -> int:
    lo = 0
    for i, s in enumerate(starts):
        if s <= pos:
            lo = i
        else:
            break
    return lo


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 8:
        return False
    return all(
        w[:1].isupper() or w.lower() in _NAME_JOINERS or w.lower().strip(".") in TITLE_WORDS
        for w in words
    )


def _name_phrase(name: str, known_people: dict[str, str], start: int) -> SpeakerPhrase:
    words = name.split()
    role_words = []
    while len(words) > 1 and words[0].lower().strip(".") in TITLE_WORDS:
        role_words.append(words.pop(0))
    bare = " ".join(words)
    last = words[-1].lower()
    kind = "person" if last in known_people or role_words else "organization"
    return SpeakerPhrase(name, bare, " ".join(role_words) or None, kind, start, start + len(name))

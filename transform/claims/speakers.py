"""Find a cue's speaker phrase and describe it (name, role, type)."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Span, Token

from .lexicon import (
    FIRST_PERSON,
    GROUP_PRONOUNS,
    MEDIUM_NOUNS,
    ORG_HEADS,
    PERSON_PRONOUNS,
    THING_PRONOUNS,
    TITLE_WORDS,
    UNNAMED_HEADS,
    UTTERANCE_NOUNS,
    wordset,
)

_RELATIVE = wordset("which who that whom")
_DROP_DEPS = wordset("relcl acl advcl punct cc prep")
_LEADING_DETS = wordset("the a an much of some many")


@dataclass(frozen=True)
class SpeakerPhrase:
    """A speaker as found in one sentence, with absolute character offsets."""

    text: str  # as written, e.g. "NATO Secretary General Mark Rutte"
    name: str  # name with titles stripped, e.g. "Mark Rutte"; pronoun when unresolved
    role: str | None
    kind: str  # "person" | "organization" | "unnamed" | "pronoun"
    start: int
    end: int
    head: str = ""  # lower-cased head word, e.g. "spokesperson"
    plural: bool = False
    entity: str = ""  # spaCy entity label of the head ("GPE" for a country or city)
    # A bare nationality adjective ("Ukrainian claims"): the source is the
    # country, which the article must name for the claim to keep a speaker.
    demonym: bool = False


def _cue_ancestor(verb: Token) -> Token | None:
    from .lexicon import COMMUNICATION_CUES

    for anc in verb.ancestors:
        if anc.pos_ == "VERB" and anc.lemma_.lower() in COMMUNICATION_CUES:
            return anc
    return None


def subject_of(verb: Token) -> Token | None:
    """The grammatical source of a cue verb, following participles and relatives."""
    if verb.dep_ in ("advcl", "conj") and not any(
        c.dep_ in ("nsubj", "nsubjpass") for c in verb.children
    ):
        # "X said that Y ..., saying Z" / "X said Y and added Z": the parser
        # often hangs the second cue inside the first one's complement; the
        # source is still the first cue's subject.
        anc = _cue_ancestor(verb)
        if anc is not None:
            return subject_of(anc)
    for child in verb.children:
        if child.dep_ == "csubj":
            # "Audio obtained from HUR suggests X"
            inner = [g for g in child.children if g.dep_ in ("nsubj", "nsubjpass")]
            return inner[0] if inner else child
        if child.dep_ == "nsubj":
            if child.lower_ in _RELATIVE and verb.dep_ == "relcl":
                return _issuer(verb.head)
            return child
        if child.dep_ == "agent":
            objs = [g for g in child.children if g.dep_ == "pobj"]
            if objs:
                return objs[0]
    quoted = _quoted_as(verb)
    if quoted is not None:
        return quoted
    if (
        verb.dep_ in ("advcl", "conj", "xcomp", "pcomp")
        and verb.head.i != verb.i
        and verb.head.pos_ in ("VERB", "AUX")
    ):
        # "..., saying that X" / "... and added X": the governing verb's subject
        return subject_of(verb.head)
    if verb.dep_ == "acl" and verb.tag_ == "VBG":
        return _issuer(verb.head)  # "resolutions declaring X"
    if verb.dep_ == "relcl":
        return None
    # "with Minister Ayman Safadi warning of X": the gerund carries its source
    # as a compound modifier.
    names = [c for c in verb.children if c.dep_ in ("compound", "poss") and c.pos_ == "PROPN"]
    if names and (verb.tag_ == "VBG" or verb.lower_.endswith("ing")):
        return names[-1]
    # "According to Yonhap, the envoy confirmed X": the parser may take the
    # real subject for an apposition of the "according to" source.
    for child in verb.children:
        if child.lower_ == "according":
            for to in child.children:
                for obj in to.children:
                    appos = [a for a in obj.children if a.dep_ == "appos"]
                    if appos:
                        return appos[0]
    return None


def _issuer(noun: Token) -> Token:
    """ "The ministry issued a statement saying X": the ministry, not the statement.

    An utterance noun that is the object of a verb (or of a preposition
    under one: "said in a statement that ...") speaks for that verb's subject.
    """
    if noun.lemma_.lower() not in UTTERANCE_NOUNS and noun.lower_ not in UTTERANCE_NOUNS:
        return noun
    gov = None
    if noun.dep_ == "dobj":
        gov = noun.head
    elif noun.dep_ == "pobj" and noun.head.dep_ == "prep":
        gov = noun.head.head
    if gov is None or gov.pos_ not in ("VERB", "AUX"):
        return noun
    subj = next((c for c in gov.children if c.dep_ == "nsubj"), None)
    if subj is None:
        subj = next(
            (g for c in gov.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"),
            None,
        )
    if subj is None or subj.lower_ in _RELATIVE:
        return noun
    return subj


def _quoted_as(verb: Token) -> Token | None:
    """ "X was quoted (by TASS) as saying Y": the source is X."""
    if verb.dep_ != "pcomp" or verb.head.lower_ != "as":
        return None
    gov = verb.head.head
    if gov.lemma_.lower() not in ("quote", "cite"):
        return None
    return next((c for c in gov.children if c.dep_ in ("nsubjpass", "dobj")), None)


def phrase_tokens(head: Token, *, appos: bool = True) -> list[Token]:
    """The speaker noun phrase around `head`, without clauses hanging off it."""
    ids: set[int] = set()

    def walk(tok: Token, top: bool) -> None:
        ids.add(tok.i)
        for child in tok.children:
            if child.dep_ in _DROP_DEPS and not (child.dep_ == "prep" and _short_prep(child)):
                continue
            # "Secretary General, Mark Rutte": an apposition of the head is
            # the name; deeper ones ("Rutte, 57, a Dutch politician") are not.
            # Without `appos`, only a comma-separated apposition is dropped
            # ("the news agency TASS" keeps TASS).
            if child.dep_ == "appos" and not (top and appos) and (not top or _comma_before(child)):
                continue
            walk(child, False)

    walk(head, True)
    # Keep one contiguous run around the head so stray tokens do not glue in;
    # punctuation inside the run (commas around an apposition) is allowed.
    doc = head.doc
    lo = hi = head.i
    def gap(t: Token) -> bool:
        return t.is_punct or (t.dep_ == "cc" and t.head.i in ids)

    while lo - 1 in ids or (lo - 2 in ids and gap(doc[lo - 1])):
        lo -= 1
    while hi + 1 in ids or (hi + 2 in ids and gap(doc[hi + 1])):
        hi += 1
    # "agency (HUR)": the parser may leave the closing bracket outside.
    if hi + 1 < len(doc) and doc[hi + 1].text == ")" and _open_brackets(doc[lo : hi + 1]) > 0:
        hi += 1
    run = list(doc[lo : hi + 1])
    if _open_brackets(run) > 0:
        cut = max(i for i, t in enumerate(run) if t.text == "(")
        run = run[:cut] if cut > 0 else run[1:]
    while (
        run and run[-1].is_punct and not (run[-1].text == ")" and any(t.text == "(" for t in run))
    ):
        run.pop()
    while run and run[0].is_punct:
        run.pop(0)
    return run


def _open_brackets(tokens) -> int:
    return sum(1 for t in tokens if t.text == "(") - sum(1 for t in tokens if t.text == ")")


def _comma_before(tok: Token) -> bool:
    i = tok.left_edge.i - 1
    return i >= 0 and tok.doc[i].text == ","


def _short_prep(prep: Token) -> bool:
    # "A spokesperson for the British Foreign Office", "head of Ukraine's
    # intelligence": a prepositional modifier is part of the source's name.
    return prep.lower_ in ("for", "of", "to", "at", "from") and len(list(prep.subtree)) <= 9


def describe(head: Token, offset: int, *, appos: bool = True) -> SpeakerPhrase | None:
    """Describe the speaker phrase headed by `head` (None for first person)."""
    low = head.lower_
    is_pron = head.pos_ == "PRON"
    if is_pron and low in FIRST_PERSON:
        return None  # the journalist or a quoted "we": not an attributable source
    start = offset + head.idx
    if is_pron and low in PERSON_PRONOUNS | GROUP_PRONOUNS | THING_PRONOUNS:
        return SpeakerPhrase(
            head.text,
            low,
            None,
            "pronoun",
            start,
            start + len(head.text),
            low,
            low in GROUP_PRONOUNS,
        )
    if is_pron:
        return None
    if head.lemma_.lower() in MEDIUM_NOUNS or head.lower_ in MEDIUM_NOUNS:
        # "Audio obtained from HUR suggests X": the source is HUR; a bare
        # "Video shows X" has none.
        origin = _medium_origin(head)
        return describe(origin, offset, appos=appos) if origin is not None else None
    toks = phrase_tokens(head, appos=appos)
    if not toks:
        return None
    doc = head.doc
    span = doc[toks[0].i : toks[-1].i + 1]
    text = span.text
    persons = [e for e in doc.ents if e.label_ == "PERSON" and _inside(e, span)]
    # "the Zelensky regime" is an organisation although it contains a name:
    # the phrase is a person only when its head is the name or a title.
    head_is_person = (
        head.ent_type_ == "PERSON"
        or head.lower_.strip(".") in TITLE_WORDS
        or (
            head.dep_ != "conj"
            and any(c.dep_ in ("appos", "conj") and c.ent_type_ == "PERSON" for c in head.children)
        )
    )
    names_joined = head.pos_ == "PROPN" and any(
        c.dep_ == "conj" and c.pos_ == "PROPN" for c in head.children
    )
    if names_joined and persons and head_is_person:
        # "both Vindman and Williams": one source of several named people.
        words = [t for t in span if not t.is_punct or t.text in "-'"]
        while words and words[0].lower_ in _LEADING_DETS | {"both", "all", "either"}:
            words.pop(0)
        name = doc[words[0].i : words[-1].i + 1].text if words else ""
        role = None
        kind = "person"
    elif persons and head_is_person:
        first, last = persons[0], persons[-1]
        name_span = doc[first.start : last.end]
        name = _strip_possessive(_strip_titles(name_span))
        role = _role(span, name_span)
        kind = "person"
    else:
        name = _strip_leading(span)
        role = None
        kind = _org_or_unnamed(head, span)
    name = " ".join(name.split())
    if not name:
        return None
    plural = head.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in head.children)
    return SpeakerPhrase(
        " ".join(text.split()),
        name,
        role,
        kind,
        offset + span.start_char,
        offset + span.end_char,
        head.lower_,
        plural,
        head.ent_type_,
        demonym=len(span) == 1 and _is_demonym(head),
    )


def _is_demonym(tok: Token) -> bool:
    """ "Ukrainian", "Israeli": a nationality adjective standing alone."""
    if tok.pos_ == "ADJ":
        return True
    return tok.ent_type_ == "NORP" and tok.tag_ in ("NNP", "JJ") and not tok.lower_.endswith("s")


def _medium_origin(head: Token) -> Token | None:
    # "Audio obtained from HUR suggests": the origin may hang on the
    # participle whose subject the medium is.
    scope = list(head.subtree)
    if head.dep_ in ("nsubj", "nsubjpass") and head.head.dep_ == "csubj":
        scope += list(head.head.children)
    for tok in scope:
        if tok.dep_ == "prep" and tok.lower_ in ("from", "by", "of") and tok.i > head.i:
            objs = [g for g in tok.children if g.dep_ == "pobj"]
            if objs and (objs[0].pos_ == "PROPN" or objs[0].ent_type_):
                return objs[0]
    return None


def _inside(ent: Span, span: Span) -> bool:
    return ent.start >= span.start and ent.end <= span.end


_NAME_PREFIXES = TITLE_WORDS | wordset("u.s us uk u.k eu un")


def _strip_titles(span: Span) -> str:
    words = [t for t in span if not t.is_punct]
    while words and words[0].lower_.strip(".") in _NAME_PREFIXES:
        words.pop(0)
    return span.doc[words[0].i : words[-1].i + 1].text if words else span.text


def _strip_possessive(name: str) -> str:
    for suffix in ("'s", "\u2019s"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _strip_leading(span: Span) -> str:
    words = list(span)
    while words and words[0].lower_ in _LEADING_DETS:
        words.pop(0)
    return span.doc[words[0].i : words[-1].i + 1].text if words else ""


def _role(span: Span, name: Span) -> str | None:
    doc = span.doc
    before = [
        t for t in doc[span.start : name.start] if t.lower_ not in ("the", "a", "an", "both", "all")
    ]
    after = list(doc[name.end : span.end])
    # A title word written before the name ("Colonel", "Secretary General")
    # can fall inside the PERSON entity; move it to the role.
    inner = [t for t in name if not t.is_punct]
    lead = []
    while inner and inner[0].lower_.strip(".") in _NAME_PREFIXES:
        lead.append(inner.pop(0))
    parts = before + lead
    while parts and parts[-1].is_punct:
        parts.pop()
    if parts:
        return doc[parts[0].i : parts[-1].i + 1].text
    while after and (after[0].is_punct or after[0].dep_ == "case"):
        after.pop(0)
    while after and after[-1].is_punct:
        after.pop()
    if after:
        return doc[after[0].i : after[-1].i + 1].text
    return None


def _org_or_unnamed(head: Token, span: Span) -> str:
    lemma = head.lemma_.lower()
    if head.ent_type_ in ("ORG", "GPE", "NORP", "FAC", "LOC") and head.pos_ == "PROPN":
        return "organization"
    if lemma in UNNAMED_HEADS or head.lower_ in UNNAMED_HEADS:
        return "unnamed"
    if lemma in ORG_HEADS or head.lower_ in ORG_HEADS:
        return "organization"
    if head.pos_ == "PROPN" and not head.ent_type_ and head.text.istitle():
        return "person"  # a bare name the tagger did not recognise ("Brink said")
    if head.pos_ == "PROPN" or any(t.ent_type_ in ("ORG", "GPE") for t in span):
        return "organization"
    return "unnamed"


def is_junk(phrase: SpeakerPhrase) -> bool:
    """A speaker that names no source: a fragment, a bare adjective or medium."""
    if phrase.kind == "pronoun":
        return False
    name = phrase.name
    if not any(ch.isalpha() for ch in name) or phrase.demonym:
        return True
    if name.count("(") != name.count(")") or name.count("[") != name.count("]"):
        return True
    return name.lower() in MEDIUM_NOUNS

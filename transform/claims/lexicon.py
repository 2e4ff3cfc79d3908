"""Word lists for reporting cues, stance and speaker analysis.

Kept in one place so that adding a cue verb or a stance marker is a
one-line change that every module sees.
"""

from __future__ import annotations


def wordset(text: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words of `text`."""
    return frozenset(text.split())


def wordset_list(text: str) -> list[str]:
    """The whitespace-separated words of `text`, in order."""
    return text.split()


# Verbs of communication: their subject is a source and their complement is
# the attributed proposition.  A nested cue of this kind inside another
# claim's content yields the inner claim (`via` = outer source).
COMMUNICATION_CUES = wordset("""
    say tell claim state add announce warn confirm report insist acknowledge allege
    assert argue accuse call clarify note signal disclose emphasize emphasise stress
    reiterate testify declare tweet write post explain predict suggest mention reveal
    admit concede maintain contend estimate remark indicate highlight corroborate dub
    rule observe point recall caution vow deny dismiss reject dispute refute raise
    rebut debunk contest repudiate question doubt reply respond comment inform assure
    affirm hint speculate forecast complain boast charge tout describe label brand
    """)

# Verbs of cognition count as cues at the top level ("Rutte believes that X"),
# but inside another claim they are part of its content, not a new source.
COGNITION_CUES = wordset("believe consider think fear conclude")

CUE_LEMMAS = COMMUNICATION_CUES | COGNITION_CUES

DENY_CUES = wordset("deny dismiss reject refute dispute rebut debunk contest repudiate")
UNCERTAIN_CUES = wordset("question doubt")

# Cues whose object is not a proposition ("told reporters", "claimed
# victory", "maintains an office"): only a clause or a quotation is content.
CLAUSE_ONLY_CUES = wordset("""
    say tell add claim write post tweet reply respond testify insist argue explain
    conclude maintain contend rule suggest indicate note remark believe think fear
    mention signal hint recall observe caution acknowledge admit concede vow assure
    inform comment boast complain
    """)

# "raise questions/concerns about X" is a cue only with these objects.
RAISE_OBJECTS = wordset("question questions concern concerns doubt doubts")

# Irregular inflections for the cheap regex pre-filter.
_IRREGULAR = {
    "say": ["said", "says", "saying"],
    "tell": ["told", "tells", "telling"],
    "write": ["wrote", "written", "writes", "writing"],
    "think": ["thought", "thinks", "thinking"],
}


def inflections(lemma: str) -> list[str]:
    """Surface forms of a regular English verb, good enough for a pre-filter."""
    if lemma in _IRREGULAR:
        return [lemma, *_IRREGULAR[lemma]]
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    forms = [lemma, lemma + "s", lemma + "es", stem + "ed", stem + "ing"]
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        forms += [lemma[:-1] + "ies", lemma[:-1] + "ied"]
    if lemma[-1] not in "aeiouwxy" and lemma[-2] in "aeiou":
        # "dub" -> "dubbed", "admit" -> "admitted", British "signalled"; extra
        # forms cost nothing in a pre-filter.
        forms += [lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"]
    return forms


# Words in the content that mark the source as rejecting a proposition.
DENY_MARKERS = (
    "hoax",
    "sham",
    "fake",
    "groundless",
    "baseless",
    "unfounded",
    "untrue",
    "not true",
    "false",
    "a lie",
    "lies",
    "fabricated",
    "fabrication",
    "nonsense",
    "debunked",
    "charade",
    "propaganda",
    "rumour",
    "rumor",
    "nothing to do with",
    "illegitimate",
    "no truth",
    "smear",
    "witch hunt",
    "absurd",
    "ridiculous",
    "disinformation",
    "misinformation",
    "no basis",
    "not credible",
    "fiction",
    "purported",
)

# Markers of a source that does not vouch for the proposition.
UNCERTAIN_MARKERS = (
    "cannot confirm",
    "can't confirm",
    "can not confirm",
    "could not confirm",
    "couldn't confirm",
    "unable to confirm",
    "cannot verify",
    "can't verify",
    "could not verify",
    "couldn't verify",
    "unable to verify",
    "cannot validate",
    "can't validate",
    "not able to confirm",
    "no evidence",
    "no proof",
    "not clear",
    "unclear",
    "can't speak to",
    "cannot speak to",
    "not sure",
    "no way to know",
    "impossible to know",
    "impossible to verify",
    "not known",
    "don't know whether",
    "do not know whether",
    "unconfirmed",
    "cannot independently",
    "could not independently",
)

# Title and role words: stripped from canonical names, and not "name words"
# when the scorer compares speakers.
TITLE_WORDS = wordset("""
    president vice secretary general minister prime foreign defense defence interior
    finance chief head spokesperson spokesman spokeswoman ambassador senator sen rep
    representative congressman congresswoman governor mayor chairman chairwoman chair
    director former new deputy colonel col lt lieutenant gen major maj captain capt
    sergeant sgt admiral adm commander mr mrs ms miss dr prof professor sir dame lord
    lady king queen prince princess pope cardinal bishop rev reverend judge justice
    attorney counsel press state senior top leader premier chancellor envoy special
    official officer adviser advisor aide ceo cfo founder executive analyst expert
    retired acting interim then current incoming outgoing ex
    """)

STOPWORDS = wordset("""
    the a an of and or to in on at for by with from as s his her their its our my
    this that these those much many some both all
    """)

PERSON_PRONOUNS = wordset("he she him her")
GROUP_PRONOUNS = wordset("they them")
THING_PRONOUNS = wordset("it")
FIRST_PERSON = wordset("i we me us you")

# Head nouns of an unnamed human source ("officials said", "a spokesperson").
UNNAMED_HEADS = wordset("""
    official officials source sources spokesperson spokesman spokeswoman analyst analysts
    expert experts diplomat diplomats resident residents witness witnesses settler settlers
    side sides lawmaker lawmakers critic critics observer observers people person man
    woman men women representative representatives aide aides officer officers media
    insider insiders researcher researchers scientist scientists activist activists
    investigator investigators prosecutor prosecutors lawyer lawyers members member
    protester protesters supporter supporters opponent opponents commentator commentators
    """)

# Head nouns of an organisational source.
ORG_HEADS = wordset("""
    ministry court government agency service services administration house council
    committee league authority union office department party military army navy police
    intelligence commission parliament congress senate cabinet embassy bureau company
    firm group organization organisation alliance coalition regime kremlin pentagon
    statement report resolution resolutions courts newspaper outlet network force forces
    audio video document documents study survey data
    """)

# Nouns of an utterance that speaks for whoever issued it ("X issued a
# statement saying ..."): the issuer is the source.
UTTERANCE_NOUNS = wordset("""
    statement statements communique communiqué release letter message post tweet note
    notice announcement declaration memo address speech remarks comment comments
    """)

# Recordings and pictures: a source only through whoever made or released
# them ("audio obtained from HUR"); alone they are no speaker.
MEDIUM_NOUNS = wordset("""
    audio video videos footage recording recordings photo photos photograph photographs
    image images picture pictures clip clips tape tapes screenshot screenshots
    """)

# Verbs whose infinitive complement is asked for or intended, not done:
# "urged Congress to declare that X", "is expected to announce X".
IRREALIS_HEADS = wordset("""
    urge call ask demand press pressure plead appeal encourage invite push want plan
    intend hope expect seek try attempt need wish prepare threaten aim order instruct
    request beg implore challenge dare
    """)

# Verbs of a journalist's job: "Smith reports for Reuters", "writes for X".
BYLINE_CUES = wordset("report write cover contribute")

# Nouns that introduce a reported claim ("Ukrainian claims that X").
CLAIM_NOUNS = wordset("claim claims allegation allegations assertion assertions report reports")
# Nouns whose "that" clause or "of/about" object is the real proposition
# ("the UK's position that X", "pointed to the fact that X").
PROPOSITION_NOUNS = CLAIM_NOUNS | wordset("""
    fact notion idea possibility position view belief assessment stance conclusion
    warning suggestion accusation accusations argument contention statement
    """)

# Words that mark a statement as made on an earlier occasion than the
# article's main event, so it must not inherit that event's date.
EARLIER_MARKERS = wordset("previously earlier formerly once initially")

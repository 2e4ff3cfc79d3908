"""One speaker, one identity: link speaker mentions across the whole warehouse.

Pure functions, no database: the caller passes the night's new mentions and
a way to look up stored identities by key; the result says which identities
are new or gained aliases, and which identity each new mention belongs to.

Incremental by construction: a mention only ever meets the stored
identities that share one of its keys (a transliteration-folded surname, an
organisation's word bag or acronym), so the cost grows with the new
mentions, not with the warehouse.  Stored identities keep their id and, with
one exception, their canonical name (a surname-only person is upgraded when
a full name arrives); they may gain aliases.

How names are compared (general rules, no lists of people):
- persons: same surname after transliteration folding (y/i, -iy/-ii/-yy
  endings, kiy/ky, w/v, j/i, ph/f, kh/h, x/ks, doubled letters) and a
  string similarity check, and compatible first names (equal, an initial,
  the same consonant skeleton as in Vladimir/Volodymyr, or similar);
  a surname alone joins the one person it can be, or the one that shares its
  story; otherwise it stays apart;
- organisations and countries: the same bag of content words ("Defense
  Department" / "Department of Defense"), an acronym of the long form
  ("NATO", "U.S."), an alias the article itself gave, or one bag inside the
  other when both appear in one story ("the Pentagon" and "the Pentagon
  press office" are not merged without such support);
- anonymous sources ("officials"): exact normalised name only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from .lexicon import STOPWORDS, TITLE_WORDS, wordset

PERSON, ORGANIZATION, COUNTRY, ANONYMOUS = "person", "organization", "country", "anonymous"
# Claim-stage speaker types and the identity type each becomes.
_TYPES = {
    "person": PERSON,
    "organization": ORGANIZATION,
    "organisation": ORGANIZATION,
    "country": COUNTRY,
    "unnamed": ANONYMOUS,
    "anonymous": ANONYMOUS,
}
SURNAME_SIMILARITY = 0.85
GIVEN_SIMILARITY = 0.75


@dataclass(frozen=True)
class SpeakerMention:
    """One claim's speaker as the claim stage saw it."""

    key: str  # the caller's handle for this mention, e.g. the claim id
    name: str  # speaker_canonical
    speaker_type: str  # person | organization | country | unnamed
    article_id: str
    story_id: str | None = None
    aliases: tuple[str, ...] = ()  # other names the article used for the same source


@dataclass(frozen=True)
class Identity:
    id: str
    canonical: str
    type: str  # person | organization | country | anonymous
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdentityBatch:
    """What a night's mentions changed."""

    # New identities, and stored ones that gained aliases or a fuller name.
    identities: tuple[Identity, ...]
    # Mention key -> identity id; None for a mention that names no single
    # source ("Vindman and Williams") or no source at all.
    mapping: dict[str, str | None]
    # Lookup keys of the identities above, for the caller's key index.
    keys: dict[str, frozenset[str]] = field(default_factory=dict)


Lookup = Callable[[set[str]], Iterable[Identity]]


# ---------------------------------------------------------------- names


def fold(text: str) -> str:
    """Lower case, accents and typographic apostrophes removed."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_NAME_SUFFIXES = wordset("jr sr ii iii iv phd md")
_ORG_QUALIFIERS = STOPWORDS | wordset("'s s")


def translit(word: str) -> str:
    """Fold the usual romanisation variants of one name word to one spelling.

    Zelenskyy / Zelensky / Zelenskiy / Zelenskij -> "zelenski"; Wolodymyr ->
    "volodimir"; Aleksandr / Alexandr -> "aleksandr".
    """
    w = fold(word).replace("'", "").replace("-", "")
    for a, b in (("ph", "f"), ("kh", "h"), ("ck", "k"), ("x", "ks"), ("q", "k"), ("w", "v")):
        w = w.replace(a, b)
    w = w.replace("j", "y").replace("y", "i")
    w = re.sub(r"(.)\1+", r"\1", w)  # doubled letters: Zelenskii -> Zelenski
    return w


def skeleton(word: str) -> str:
    """First letter and consonants of a folded word: the blocking key."""
    # s/z differ between romanisations (Selenskyj / Zelensky); the
    # similarity check after blocking still tells Sara from Zara.
    w = translit(word).replace("z", "s")
    return w[:1] + re.sub(r"[aeiou]", "", w[1:]) if w else ""


@dataclass(frozen=True)
class PersonName:
    given: tuple[str, ...]  # folded given names (may be empty)
    surname: str  # folded surname


def person_name(text: str) -> PersonName | None:
    """Given names and surname of a person's name, titles and appositions removed."""
    text = re.split(r"[,(\[]| - | \u2014 ", text)[0]
    text = re.sub(r"['\u2019]s\b", "", text)
    words = _WORD.findall(fold(text))
    while words and (words[0].strip(".") in TITLE_WORDS or words[0] in ("the", "a", "an")):
        words.pop(0)
    while words and words[-1] in _NAME_SUFFIXES:
        words.pop()
    # "Ukrainian President Volodymyr Zelensky": whatever precedes the last
    # title word is the title's qualifier, not a given name.
    titles = [i for i, w in enumerate(words[:-1]) if w.strip(".") in TITLE_WORDS]
    if titles:
        words = words[titles[-1] + 1 :]
    if not words or " and " in f" {text.lower()} ":
        return None
    return PersonName(tuple(words[:-1]), words[-1])


def _org_words(text: str) -> list[str]:
    text = fold(text).replace(".", "")
    return [w for w in _WORD.findall(text.replace("'s", "")) if w not in _ORG_QUALIFIERS]


def org_bag(text: str) -> str:
    """Sorted content words: "the Defense Department" == "Department of Defense"."""
    return " ".join(sorted(set(_org_words(text))))


def acronym(text: str) -> str | None:
    """ "NATO", "U.S." as acronyms; "North Atlantic Treaty Organization" -> "nato"."""
    raw = text.strip().removeprefix("the ").removeprefix("The ")
    compact = raw.replace(".", "").replace(" ", "")
    if 2 <= len(compact) <= 6 and compact.isalpha() and (
        compact.isupper() or (compact[0].isupper() and "." in raw)
    ):
        return compact.lower()
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", raw) if w.lower() not in STOPWORDS]
    if len(words) >= 2 and all(w[0].isupper() for w in words):
        return "".join(w[0] for w in words).lower()
    return None


def _bracket_acronyms(text: str) -> list[str]:
    """ "military intelligence agency (HUR)" names "HUR" too."""
    return re.findall(r"\(([A-Z][A-Za-z.]{1,7})\)", text)


# ---------------------------------------------------------------- keys


def _class(identity_type: str) -> str:
    # Organisations and countries are looked up together: "the US" may be
    # either in the claim stage's eyes.
    return "org" if identity_type in (ORGANIZATION, COUNTRY) else identity_type


def name_keys(name: str, identity_type: str) -> set[str]:
    """Lookup keys of one name form."""
    cls = _class(identity_type)
    if identity_type == PERSON:
        pn = person_name(name)
        return {f"person:{skeleton(pn.surname)}"} if pn else set()
    if cls == "org":
        b = org_bag(name)
        keys = {f"org:bag:{b}"} if b else set()
        words = b.split()
        if 3 <= len(words) <= 6:
            # One word less ("U.S. Department of Defense" -> "defense
            # department") finds a shorter form; never down to one word, or a
            # key such as "department" would gather the whole warehouse.
            keys |= {f"org:bag:{' '.join(w for w in words if w != x)}" for x in words}
        ac = acronym(name)
        if ac:
            keys.add(f"org:acr:{ac}")
        keys.update(f"org:acr:{a.replace('.', '').lower()}" for a in _bracket_acronyms(name))
        return keys
    norm = " ".join(_org_words(name))
    return {f"{cls}:{norm}"} if norm else set()


def identity_keys(identity: Identity) -> frozenset[str]:
    """Every key under which an identity must be found (store these)."""
    keys: set[str] = set()
    for form in (identity.canonical, *identity.aliases):
        keys |= name_keys(form, identity.type)
    return frozenset(keys)


def identity_id(canonical: str, identity_type: str, taken: Callable[[str], bool]) -> str:
    """A stable, readable id derived from the canonical name."""
    slug = "-".join(_WORD.findall(fold(canonical).replace("'", ""))) or "x"
    digest = hashlib.sha1(f"{identity_type}|{fold(canonical)}".encode()).hexdigest()[:6]
    base = f"{identity_type}:{slug[:60]}"
    if not taken(base):
        return base
    return f"{base}~{digest}"


# ---------------------------------------------------------------- matching


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _given_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return True
    x, y = a[0].strip("."), b[0].strip(".")
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]  # "V. Zelensky"
    tx, ty = translit(x), translit(y)
    return (
        tx == ty
        or skeleton(x) == skeleton(y)  # Vladimir / Volodymyr
        or _similar(tx, ty) >= GIVEN_SIMILARITY
    )


def persons_match(a: str, b: str) -> bool:
    """Could two person-name forms name the same person?"""
    pa, pb = person_name(a), person_name(b)
    if pa is None or pb is None:
        return False
    ta, tb = translit(pa.surname), translit(pb.surname)
    if ta != tb and _similar(ta, tb) < SURNAME_SIMILARITY:
        return False
    return _given_compatible(pa.given, pb.given)


def _full(name: str) -> bool:
    pn = person_name(name)
    return pn is not None and bool(pn.given)


@dataclass
class _Cluster:
    """An identity being built: a stored one (with id) or a new one."""

    type: str
    forms: Counter[str] = field(default_factory=Counter)  # surface forms -> mentions
    stored: Identity | None = None
    places: set[str] = field(default_factory=set)  # article and story ids
    upgraded: str | None = None  # a fuller canonical name for a stored surname-only person

    def names(self) -> list[str]:
        base = [self.stored.canonical, *self.stored.aliases] if self.stored else []
        return base + [f for f in self.forms if f not in base]

    def has_full(self) -> bool:
        return any(_full(n) for n in self.names())


def _forms_of(m: SpeakerMention, itype: str) -> list[str]:
    """The mention's name and the aliases that are names of the same source."""
    forms = [m.name.strip()]
    for alias in m.aliases:
        alias = alias.strip()
        if not alias or alias in forms:
            continue
        if itype == PERSON:
            if persons_match(alias, m.name):
                pn = person_name(alias)
                if pn is not None:
                    forms.append(_person_form(alias))
        elif itype in (ORGANIZATION, COUNTRY):
            forms.append(re.sub(r"^(?:the|The)\s+", "", alias))
    out: list[str] = []
    for f in forms:
        if f and f not in out:
            out.append(f)
    return out


def mention_keys(m: SpeakerMention) -> set[str]:
    """The keys `resolve_identities` looks a mention up by (to fetch them at once)."""
    itype = _TYPES.get(m.speaker_type, ORGANIZATION)
    keys: set[str] = set()
    for form in _forms_of(m, itype):
        keys |= name_keys(form, itype)
    return keys


def _person_form(text: str) -> str:
    """ "Ukrainian President Volodymyr Zelensky" -> "Volodymyr Zelensky" (as written)."""
    text = re.split(r"[,(\[]", text)[0].strip()
    text = re.sub(r"['\u2019]s$", "", text)
    words = text.split()
    while len(words) > 1 and (
        fold(words[0]).strip(".") in TITLE_WORDS
        or not words[0][:1].isupper()
        or fold(words[0]).endswith(("ian", "ean", "ese", "ish"))
    ):
        words.pop(0)
    return " ".join(words)


def _valid(name: str) -> bool:
    """A name of a source, not a fragment."""
    if not any(ch.isalpha() for ch in name):
        return False
    return name.count("(") == name.count(")") and name.count('"') % 2 == 0


def _alias_order(name: str) -> tuple[str, str]:
    return fold(name), name


def resolve_identities(
    mentions: Sequence[SpeakerMention],
    lookup: Lookup | None = None,
    *,
    story_identities: Mapping[str, set[str]] | None = None,
) -> IdentityBatch:
    """Decide the identity of each new mention.

    `lookup(keys)` returns the stored identities having any of `keys`
    (e.g. a query on a key table); without it the batch is resolved on its
    own.  `story_identities` may give, for the stories and articles of the
    new mentions, the ids of stored identities already quoted there: it
    settles a surname that more than one stored person could have.
    """
    lookup = lookup or (lambda keys: ())
    story_identities = story_identities or {}
    clusters: list[_Cluster] = []
    by_key: dict[str, list[int]] = defaultdict(list)
    stored_at: dict[str, int] = {}
    mapping: dict[str, str | None] = {}
    assigned: dict[str, int] = {}

    def index(ci: int, names: Iterable[str]) -> None:
        for n in names:
            for k in name_keys(n, clusters[ci].type):
                if ci not in by_key[k]:
                    by_key[k].append(ci)

    def candidates(keys: set[str]) -> list[int]:
        for ident in lookup(keys):
            if ident.id not in stored_at:
                stored_at[ident.id] = len(clusters)
                clusters.append(_Cluster(ident.type, stored=ident))
                index(stored_at[ident.id], [ident.canonical, *ident.aliases])
        found: list[int] = []
        for k in keys:
            found += [ci for ci in by_key.get(k, []) if ci not in found]
        return found

    def countries(words: set[str]) -> bool:
        """Do all these words name a country (stored or in this batch)?"""
        for w in words:
            keys = {f"org:bag:{w}", f"org:acr:{w}"}
            candidates(keys)
            if not any(clusters[ci].type == COUNTRY for k in keys for ci in by_key.get(k, [])):
                return False
        return bool(words)

    # Countries first, then full names, so that a qualifier or a bare
    # surname later finds what it refers to.
    order = sorted(
        range(len(mentions)),
        key=lambda i: (
            0 if mentions[i].speaker_type == COUNTRY else 1 if _full(mentions[i].name) else 2,
            i,
        ),
    )
    for i in order:
        m = mentions[i]
        itype = _TYPES.get(m.speaker_type, ORGANIZATION)
        if not _valid(m.name) or (itype == PERSON and person_name(m.name) is None):
            mapping[m.key] = None
            continue
        forms = _forms_of(m, itype)
        keys: set[str] = set()
        for f in forms:
            keys |= name_keys(f, itype)
        cands = [ci for ci in candidates(keys) if _class(clusters[ci].type) == _class(itype)]
        places = {p for p in (m.article_id, m.story_id) if p}
        ci = _choose(m, itype, forms, cands, clusters, places, story_identities, countries)
        if ci is None:
            clusters.append(_Cluster(itype))
            ci = len(clusters) - 1
        cl = clusters[ci]
        if itype == PERSON and cl.stored is not None and not cl.has_full() and _full(forms[0]):
            cl.upgraded = forms[0]
        cl.forms.update(forms)
        cl.places |= places
        index(ci, forms)
        assigned[m.key] = ci
    return _finish(clusters, assigned, mapping, stored_at)


def _choose(
    m: SpeakerMention,
    itype: str,
    forms: list[str],
    cands: list[int],
    clusters: list[_Cluster],
    places: set[str],
    story_identities: Mapping[str, set[str]],
    countries: Callable[[set[str]], bool],
) -> int | None:
    def shares_story(ci: int) -> bool:
        cl = clusters[ci]
        if cl.places & places:
            return True
        return cl.stored is not None and any(
            cl.stored.id in story_identities.get(p, ()) for p in places
        )

    if itype == PERSON:
        ok = [ci for ci in cands if any(persons_match(forms[0], n) for n in clusters[ci].names())]
        if not _full(forms[0]):
            # A bare surname: the one person it can be, or the one in its story.
            people = [ci for ci in ok if clusters[ci].has_full()] or ok
            if len(people) > 1:
                people = [ci for ci in people if shares_story(ci)]
            if len(people) == 1:
                return people[0]
            # Still ambiguous: the surname-only identity kept for such cases.
            bare = [ci for ci in ok if not clusters[ci].has_full()]
            return bare[0] if bare else None
        # A full name never joins a person known by another first name; it
        # joins a surname-only identity only when that is the sole choice.
        full = [ci for ci in ok if clusters[ci].has_full()]
        if full:
            return _best(full, forms[0], clusters, shares_story)
        return ok[0] if len(ok) == 1 else None
    if itype == ANONYMOUS:
        norm = " ".join(_org_words(forms[0]))
        same = [
            ci
            for ci in cands
            if any(" ".join(_org_words(n)) == norm for n in clusters[ci].names())
        ]
        return same[0] if same else None
    return _choose_org(forms, cands, clusters, shares_story, countries)


def _best(options: list[int], name: str, clusters: list[_Cluster], shares_story) -> int:
    def score(ci: int) -> tuple[int, float]:
        sim = max(
            _similar(translit(name), translit(n)) for n in clusters[ci].names() if _full(n)
        )
        return (1 if shares_story(ci) else 0, sim)

    return max(options, key=score)


def _acronyms(forms: Iterable[str]) -> set[str]:
    return {a for f in forms if (a := acronym(f))} | {
        a.replace(".", "").lower() for f in forms for a in _bracket_acronyms(f)
    }


def _choose_org(
    forms: list[str],
    cands: list[int],
    clusters: list[_Cluster],
    shares_story,
    qualifiers: Callable[[set[str]], bool],
):
    bags = {org_bag(f) for f in forms} - {""}
    acrs = _acronyms(forms)
    same_bag = [ci for ci in cands if bags & {org_bag(n) for n in clusters[ci].names()}]
    if same_bag:
        return max(same_bag, key=lambda ci: (shares_story(ci), sum(clusters[ci].forms.values())))
    by_acr = [ci for ci in cands if acrs & _acronyms(clusters[ci].names())]
    if len(by_acr) == 1:
        return by_acr[0]
    if len(by_acr) > 1:
        local = [ci for ci in by_acr if shares_story(ci)]
        return local[0] if len(local) == 1 else None
    # One name inside the other: when the two share a story (the text links
    # them), or when all that differs is a country ("U.S. Department of
    # Defense" / "Department of Defense") and only one candidate fits.
    nested = []
    for ci in cands:
        for n in clusters[ci].names():
            other = set(org_bag(n).split())
            for x in bags:
                b = set(x.split())
                if other and b and (b < other or other < b):
                    if shares_story(ci):
                        return ci
                    if qualifiers(b ^ other):
                        nested.append(ci)
    nested = list(dict.fromkeys(nested))
    return nested[0] if len(nested) == 1 else None


def _canonical(cl: _Cluster) -> str:
    forms = cl.forms
    if cl.type == PERSON:
        full = [f for f in forms if _full(f)]
        pool = full or list(forms)
    else:
        pool = list(forms)
    return max(pool, key=lambda f: (forms[f], len(f.split()), len(f)))


def _finish(
    clusters: list[_Cluster],
    assigned: dict[str, int],
    mapping: dict[str, str | None],
    stored_at: dict[str, int],
) -> IdentityBatch:
    taken = {cl.stored.id for cl in clusters if cl.stored is not None}
    out: dict[int, Identity] = {}
    for ci, cl in enumerate(clusters):
        if not cl.forms:
            continue  # a stored identity that no new mention joined
        if cl.stored is not None:
            old = cl.stored
            canonical = cl.upgraded or old.canonical
            known = {fold(x) for x in (canonical, *old.aliases)}
            # Forms are a set: sorted (fold, then the exact text) so the same
            # input always gives the same alias list ("NATO ..." and "Nato ...").
            extra = [f for f in sorted(cl.forms, key=_alias_order) if fold(f) not in known]
            aliases = list(old.aliases)
            if cl.upgraded and old.canonical not in aliases:
                aliases.append(old.canonical)
            aliases += [a for a in extra if a not in aliases]
            if canonical != old.canonical or aliases != list(old.aliases):
                out[ci] = replace(
                    old, canonical=canonical, aliases=tuple(a for a in aliases if a != canonical)
                )
            else:
                out[ci] = old
            continue
        canonical = _canonical(cl)
        new_id = identity_id(canonical, cl.type, lambda x: x in taken)
        taken.add(new_id)
        aliases = tuple(sorted({f for f in cl.forms if f != canonical}, key=_alias_order))
        out[ci] = Identity(new_id, canonical, cl.type, aliases)
    for key, ci in assigned.items():
        mapping[key] = out[ci].id
    changed = tuple(
        ident
        for ci, ident in out.items()
        if clusters[ci].stored is None or ident != clusters[ci].stored
    )
    return IdentityBatch(changed, mapping, {i.id: identity_keys(i) for i in changed})


class IdentityStore:
    """An in-memory key index of stored identities (what the warehouse table
    does with a key column), with `lookup` for `resolve_identities`."""

    def __init__(self, identities: Iterable[Identity] = ()) -> None:
        self._by_id: dict[str, Identity] = {}
        self._by_key: dict[str, set[str]] = defaultdict(set)
        self.add(identities)

    def add(self, identities: Iterable[Identity]) -> None:
        for ident in identities:
            self._by_id[ident.id] = ident
            for k in identity_keys(ident):
                self._by_key[k].add(ident.id)

    def lookup(self, keys: set[str]) -> list[Identity]:
        ids = {i for k in keys for i in self._by_key.get(k, ())}
        return [self._by_id[i] for i in sorted(ids)]

    def __getitem__(self, identity_id: str) -> Identity:
        return self._by_id[identity_id]

    def __len__(self) -> int:
        return len(self._by_id)


def mention_of(key: str, claim, article_id: str, story_id: str | None = None) -> SpeakerMention:
    """The identity input of one claim record (a `Claim` of this package)."""
    return SpeakerMention(
        key,
        claim.speaker_canonical,
        claim.speaker_type,
        article_id,
        story_id,
        tuple(a for a in (claim.speaker, *claim.speaker_aliases) if a != claim.speaker_canonical),
    )

"""The article's authors as a list of names, as the page writes them.

Sources, the first that yields a name wins, because they are not independent
(meta tags and bylines are usually rendered from the same field as JSON-LD):
1. JSON-LD `author` of the article item (strings, Person/Organization objects,
   lists, lists of lists);
2. author meta tags (`author`, `article:author`, `parsely-author`, `dc.creator`, ...);
3. the byline element: `rel=author` links, `itemprop=author`, author-page links,
   a value labelled as the author ("<strong>Autor</strong> Name"), then elements
   whose class names it a byline.

What is kept is a name: a byline prefix ("By", "Von", "Por") and a trailing
initials tag "(obe)" are removed; several names in one string ("A and B",
"A, B und C") are split. What is dropped: the site's own name (a publisher
credited as author, matched as in `headline.site_names`), URLs, e-mail
addresses, numeric ids, and strings too long to be a name. News agencies
credited for wire copy (AP, dpa, Reuters) are kept: they are the author of
record. The page's capitalisation is kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from lxml.html import HtmlElement

from claimwire.formats.htmlmeta import labelled_values
from claimwire.transform.headline import names_site

AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "cxenseparse:author",  # the cXense analytics tag, filled from the byline field
)
# Labels of the author on a page's metadata list ("<strong>Autor</strong> Name").
AUTHOR_LABELS = frozenset({
    "author", "authors", "autor", "autorin", "autoren", "autorin/autor", "autor/autorin",
    "autor*in", "auteur", "auteurs", "autore", "autori", "autores", "forfatter",
    "författare", "yazar", "penulis", "written by",
})
_ARTICLE_TYPE = re.compile(r"(Article|Posting|Report)$")
_PREFIX = re.compile(
    r"^(?:(?:written|reported|text|reporting|story|words)\s+)?"
    r"(?:by|von|por|par|di|da|de|door|av|af|przez|od|tekst|text|autor|autorin|author|"
    r"reporter|redakce|yazan|oleh)\s*[:\-–]?\s+",
    re.I,
)
_TRAILING_TAG = re.compile(r"\s*\([^()]{1,40}\)\s*$")
# Conjunctions between names in one byline string, in the languages of the dev pages.
_CONJUNCTION = re.compile(
    r"\s*(?:;|\s&\s|\s(?:and|und|y|et|e|og|och|en|i|ve|und|oraz|a|és)\s)\s*", re.I
)
_URL = re.compile(r"(?:https?:|www\.|\.(?:com|org|net|de|html?)(?:/|$))", re.I)
_EMAIL = re.compile(r"\S{1,64}@\S{1,255}\.\w{1,63}")  # bounded: bylines can be megabytes
_BYLINE_CLASS = re.compile(r"byline|author|autor", re.I)
_SLUG = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")
# Author pages: /author/jane-doe, /autoren/name/max-kolter, /journalists/...
_AUTHOR_PATH = re.compile(
    r"/(?:author|authors|autor|autoren|auteur|auteurs|autore|autori|autores|journalist|"
    r"journalists|reporter|reporters|yazar|penulis|profil/autor)/",
    re.I,
)
# More author-page links than this are a list of staff, not a byline.
_MAX_LINKED_AUTHORS = 4
_MAX_NAME_CHARS = 60
_MAX_NAME_WORDS = 6


def author_list(
    tree: HtmlElement,
    meta: dict[str, str],
    json_ld_items: Sequence[dict[str, Any]],
    sites: Sequence[str],
) -> list[str]:
    """Author names of the article, in page order, without the site's own name."""
    sources: tuple[Callable[[], list[str]], ...] = (
        lambda: _json_ld_authors(json_ld_items),
        # Each meta tag on its own: one holding the site's name gives way to the next.
        *(lambda key=key: [meta[key]] if meta.get(key) else [] for key in AUTHOR_META),
        lambda: _byline_authors(tree),  # walks the whole page: only when needed
    )
    for index, source in enumerate(sources):
        names = clean_authors(source(), sites)
        if names:
            return _with_co_authors(tree, names, sites) if index == 0 else names
    return []


# A byline block is short: a few names, perhaps roles and a date.
_MAX_BYLINE_BLOCK_CHARS = 300


def _with_co_authors(tree: HtmlElement, names: list[str], sites: Sequence[str]) -> list[str]:
    """The names of the page's byline block when they are the structured data's
    names and more (structured data often carries the first author only).
    Only author markup inside one element whose class names it a byline
    counts: author links elsewhere on the page belong to other articles."""
    known = {name.casefold() for name in names}
    for block in tree.iter():
        if not isinstance(block.tag, str) or not _BYLINE_CLASS.search(block.get("class") or ""):
            continue
        if len(block.text_content()) > _MAX_BYLINE_BLOCK_CHARS:
            continue
        marked = clean_authors(_rel_author(block) or _itemprop_author(block), sites)
        if known <= {name.casefold() for name in marked}:
            return marked if len(marked) > len(names) else names
    return names


def clean_authors(raw: Iterable[str], sites: Sequence[str]) -> list[str]:
    """Split, clean and filter raw author strings; order kept, duplicates dropped."""
    names: list[str] = []
    seen: set[str] = set()
    for value in raw:
        for name in split_names(value):
            if not is_person_like(name) or names_site(name, sites):
                continue
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                names.append(name)
    return names


def split_names(value: str) -> list[str]:
    """One byline string to its names: "By A and B" -> ["A", "B"]."""
    text = " ".join(html.unescape(value or "").split())
    if not text or _URL.search(text) or _EMAIL.fullmatch(text):
        return [text] if text else []
    text = _PREFIX.sub("", text)
    parts = [p for p in _CONJUNCTION.split(text) if p.strip()]
    # Commas separate names ("Samya Kullab, Vasilisa Stepanenko"), except that a
    # one-word part after a name is a dateline ("Anna Sleegers, Frankfurt") and
    # one-word parts only are a single credit ("AFP, MANILA").
    split: list[str] = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) > 1 and any(len(p.split()) >= 2 for p in pieces):
            while len(pieces) > 1 and len(pieces[-1].split()) == 1:
                pieces.pop()
            split.extend(pieces)
        else:
            split.append(part.strip())
    return [_TRAILING_TAG.sub("", _PREFIX.sub("", p)).strip(" ,;:-–|") for p in split]


def is_person_like(name: str) -> bool:
    """A string that can be a name: letters, short, no URL, e-mail or id."""
    if not name or len(name) > _MAX_NAME_CHARS or len(name.split()) > _MAX_NAME_WORDS:
        return False
    if _URL.search(name) or "@" in name:
        return False
    if _SLUG.fullmatch(name):
        return False  # "chuck-ross": a URL slug or user id, not how the page writes the name
    letters = sum(c.isalpha() for c in name)
    digits = sum(c.isdigit() for c in name)
    return letters >= 2 and digits == 0


def _json_ld_authors(items: Sequence[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for item in items:
        types = item.get("@type")
        types = types if isinstance(types, list) else [types]
        if not any(isinstance(t, str) and _ARTICLE_TYPE.search(t) for t in types):
            continue
        _collect(item.get("author"), names, depth=0)
        if names:
            break
    return names


def _collect(value: Any, names: list[str], depth: int) -> None:
    if depth > 4:
        return
    if isinstance(value, str):
        names.append(value)
    elif isinstance(value, list):
        for entry in value:
            _collect(entry, names, depth + 1)
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            names.append(name)
        elif isinstance(name, list):
            _collect(name, names, depth + 1)


def _byline_authors(tree: HtmlElement) -> list[str]:
    """Names from the byline markup: rel=author, itemprop=author, author-page links, classes."""
    for find in (_rel_author, _itemprop_author, _author_links,
                 lambda t: labelled_values(t, AUTHOR_LABELS, limit=1)):
        if found := find(tree):
            return found
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "meta", "html"):
            continue
        if _BYLINE_CLASS.search(element.get("class") or "") or _BYLINE_CLASS.search(
            element.get("id") or ""
        ):
            text = " ".join(element.text_content().split())
            if 2 < len(text) <= 120:
                return [text]
    return []


def _rel_author(tree: HtmlElement) -> list[str]:
    return [
        " ".join(e.text_content().split())
        for e in tree.iter("a", "link", "span")
        if "author" in (e.get("rel") or "").lower().split() and e.text_content().strip()
    ]


def _itemprop_author(tree: HtmlElement) -> list[str]:
    names = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag == "meta":
            continue
        if "author" in (element.get("itemprop") or "").lower().split():
            name = element.find('.//*[@itemprop="name"]')
            text = " ".join((name if name is not None else element).text_content().split())
            if text:
                names.append(text)
    return names


def _author_links(tree: HtmlElement) -> list[str]:
    names: list[str] = []
    for link in tree.iter("a"):
        if _AUTHOR_PATH.search(link.get("href") or ""):
            text = " ".join(link.text_content().split())
            if len(text.split()) >= 2 and text not in names:
                names.append(text)
    return names if len(names) <= _MAX_LINKED_AUTHORS else names[:1]

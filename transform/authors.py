"""The article's authors as a list of names, as the page writes them.

Sources, the first that yields a name wins, because they are not independent
(meta tags and bylines are usually rendered from the same field as JSON-LD):
1. JSON-LD `author` of the article item (strings, Person/Organization objects,
   lists, lists of lists);
2. author meta tags (`author`, `article:author`, `parsely-author`, `dc.creator`, ...);
3. the byline element: `rel=author` links, `itemprop=author`, author-page links,
   a value labelled as the author ("<strong>Autor</strong> Name"), then elements
   whose class names it a byline.

When none of these names a person, a signature line is looked for: the
article text's first or last paragraph when it is nothing but a name in bold
("<p><strong>Lê Phương</strong></p>", how many outlets sign their articles);
`signature_author` does that once the body is known.

What is kept is a name: a byline prefix ("By", "Von", "Por") and a trailing
initials tag "(obe)" are removed; several names in one string ("A and B",
"A, B und C") are split. What is dropped: the site's own name (a publisher
credited as author, matched as in `headline.site_names`), URLs, e-mail
addresses, numeric ids, strings too long to be a name, a credited source
("Quelle: sid/dpa", "Source: ...": where the material came from, not who
wrote it) and the CMS's default account (an author whose profile is
`/author/admin/`: whoever pressed publish, under a display name). News
agencies credited for wire copy (AP, dpa, Reuters) are kept: they are the
author of record. The page's capitalisation is kept.
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
    r"^(?:(?:written|reported|text|reporting|story|words|updated|posted|additional\s+reporting)\s+)?"
    r"(?:by|von|por|par|di|da|de|door|av|af|przez|od|tekst|text|autor|autorin|author|"
    r"reporter|redakce|yazan|oleh)\s*[:\-–]?\s+",
    re.I,
)
# "Quelle: dpa", "Source : AFP": a source credit, in the languages of the dev pages.
_SOURCE_LABEL = re.compile(
    r"^(?:quelle|quellen|source|sources|fuente|fuentes|fonte|fontes|kilde|kilder|källa|"
    r"bron|bronnen|źródło|kaynak|sumber|nguồn)\s*:",
    re.I,
)
# Job titles end in these words ("AP Auto Writer", "Senior Correspondent").
_ROLE_WORDS = frozenset({
    "writer", "correspondent", "editor", "reporter", "columnist", "contributor",
    "photographer", "producer", "redakteur", "redakteurin", "korrespondent",
    "korrespondentin", "correspondant", "correspondante", "corresponsal", "journalist",
    "journalistin", "journaliste", "periodista", "giornalista",
})
# A class or id of the reader comments: "comments", "comment-author",
# "comment-form-author", "wp-comment-list" (not "commentary", an opinion section).
_COMMENT_TOKEN = re.compile(r"(?:[\w-]*[-_])?comments?(?:[-_][\w-]*)?")
# Characters of program text ("(adsbygoogle = window.adsbygoogle || []).push"), never of a name.
_CODE = re.compile(r"[{}\[\]=<>|;()]")
# An administrator's login shown as the author: "admin", "jdadmin", "Administrator".
_ACCOUNT_NAME = re.compile(r"\w*admin\w*", re.I)
# The last path segment of a CMS's default account's profile (WordPress: /author/admin/).
_ACCOUNT_SLUGS = frozenset({"admin", "administrator", "webmaster"})
_TRAILING_TAG = re.compile(r"\s*\([^()]{1,40}\)\s*$")
# Conjunctions between names in one byline string, in the languages of the dev pages.
_CONJUNCTION = re.compile(
    r"\s*(?:;|\s&\s|\s(?:and|und|y|et|e|og|och|en|i|ve|und|oraz|a|és)\s)\s*", re.I
)
# "Edited by ...": the editor's credit, not an author.
_EDITOR_CREDIT = re.compile(r"^(?:edited|editing|redigiert|bearbeitet)\s+(?:by|von)\b", re.I)
# What bylines glue after a name: a publication label with its time ("Published 3 min
# ago", "Aktualisiert am"), the outlet it was written for, the place it was written in.
_PUBLICATION_LABEL = re.compile(
    r"\s(?:published|updated|posted|veröffentlicht|aktualisiert|publié|publicado|pubblicato|"
    r"actualizado)\b.*$",
    re.I,
)
_AFTER_BAR = re.compile(r"\s\|(?:\s.*)?$")
_FOR_OUTLET = re.compile(r"\s(?:for|für)\s+\S.*$", re.I)
_IN_PLACE = re.compile(r"\sin\s+[A-Z][\w.-]*(?:\s[A-Z][\w.-]*)?$")
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
    """Split, clean and filter raw author strings; order kept, duplicates dropped
    (a name that is an earlier one with text glued on, "Carrie ArnoldContributing
    Writer" after "Carrie Arnold", is the same person)."""
    names: list[str] = []
    for value in raw:
        for name in split_names(value):
            if not is_person_like(name) or names_site(name, sites):
                continue
            if not any(_extends(name, earlier) for earlier in names):
                names.append(name)
    return names


def _extends(name: str, earlier: str) -> bool:
    """`name` is `earlier`, or `earlier` with text glued on that does not continue
    its last word ("Ann Leeds" is not "Ann Lee" extended)."""
    if name[: len(earlier)].casefold() != earlier.casefold():
        return False
    rest = name[len(earlier):]
    return not rest or not rest[0].islower()


def split_names(value: str) -> list[str]:
    """One byline string to its names: "By A and B" -> ["A", "B"]."""
    text = " ".join(html.unescape(value or "").split())
    if _SOURCE_LABEL.match(text):
        return []
    # Before the URL test: "By JANE DOE FOR DAILYMAIL.COM" and "Jane Doe | NJ Advance
    # Media for NJ.com" name a person; what follows " | " is the outlet or a date.
    text = _cut(_FOR_OUTLET, _cut(_AFTER_BAR, text))
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
            # "TOM KRISHER, AP Auto Writer": the part after a name is the person's role.
            split.extend([pieces[0], *(p for p in pieces[1:] if not _is_role(p))])
        else:
            split.append(part.strip())
    names = (_TRAILING_TAG.sub("", _PREFIX.sub("", p)).strip(" ,;:-–|") for p in split)
    return [_without_trailers(name) for name in names if not _EDITOR_CREDIT.match(name)]


def _without_trailers(name: str) -> str:
    """The name without what a byline glued after it: a handle or e-mail address
    ("Jane Doe @janedoe"), a time ("Nizaar Kinsella2 minutes ago": names hold no
    digits, so a name of two words or more ends at the first one), a publication
    label or the place ("in Kyiv"); `split_names` removed the outlet ("for The Guardian")."""
    words = name.split()
    handles = [w for w in words if "@" in w]
    if handles and len(handles) < len(words):
        name = " ".join(w for w in words if "@" not in w)
    digit = next((i for i, c in enumerate(name) if c.isdigit()), None)
    if digit is not None and len(name[:digit].split()) >= 2:
        name = name[:digit]
    return _cut(_IN_PLACE, _cut(_PUBLICATION_LABEL, name)).strip(" ,;:-–|")


def _cut(trailer: re.Pattern[str], text: str) -> str:
    """`text` without what `trailer` matches, unless nothing would be left."""
    shorter = trailer.sub("", text)
    return shorter if shorter.strip() else text


def _is_role(text: str) -> bool:
    words = text.split()
    return bool(words) and words[-1].casefold() in _ROLE_WORDS


def is_person_like(name: str) -> bool:
    """A string that can be a name: letters, short, no URL, e-mail or id."""
    if not name or len(name) > _MAX_NAME_CHARS or len(name.split()) > _MAX_NAME_WORDS:
        return False
    if _URL.search(name) or "@" in name or _CODE.search(name):
        return False
    if _ACCOUNT_NAME.fullmatch(name):
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
        if any(is_account_link(value.get(key)) for key in ("url", "@id")):
            return
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
            text = _text(element)
            if 2 < len(text) <= 120 and not _names_account(element) and not _in_comments(element):
                return [text]
    return []


def _in_comments(element: HtmlElement) -> bool:
    """Inside a form or the reader comments ("comment-form-author", "comment-author"):
    a field label or a commenter's name, not the article's byline."""
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html"):
            break
        if node.tag == "form":
            return True
        tokens = f"{node.get('class') or ''} {node.get('id') or ''}".lower().split()
        if any(_COMMENT_TOKEN.fullmatch(token) for token in tokens):
            return True
    return False


def _text(element: HtmlElement) -> str:
    """The element's text without the scripts inside it (an ad slot's code in a
    byline block is not part of the name), whitespace collapsed."""
    runs = element.xpath(".//text()[not(ancestor::script or ancestor::style)]")
    if not isinstance(runs, list):
        return ""
    return " ".join("".join(str(run) for run in runs).split())


def _names_account(element: HtmlElement) -> bool:
    """A byline element that links its name to the CMS's default account."""
    return any(is_account_link(link.get("href")) for link in element.iter("a"))


def _rel_author(tree: HtmlElement) -> list[str]:
    marked = (
        e for e in tree.iter("a", "link", "span")
        if "author" in (e.get("rel") or "").lower().split() and not is_account_link(e.get("href"))
    )
    return [text for text in map(_text, marked) if text]


def _itemprop_author(tree: HtmlElement) -> list[str]:
    names = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag == "meta":
            continue
        if "author" in (element.get("itemprop") or "").lower().split():
            name = element.find('.//*[@itemprop="name"]')
            text = _text(name if name is not None else element)
            if text:
                names.append(text)
    return names


def _author_links(tree: HtmlElement) -> list[str]:
    names: list[str] = []
    for link in tree.iter("a"):
        href = link.get("href") or ""
        if _AUTHOR_PATH.search(href) and not is_account_link(href):
            text = _text(link)
            if len(text.split()) >= 2 and text not in names:
                names.append(text)
    return names if len(names) <= _MAX_LINKED_AUTHORS else names[:1]


def is_account_link(url: Any) -> bool:
    """A profile URL of the CMS's default account ("https://x.example/author/admin/")."""
    if not isinstance(url, str) or not url:
        return False
    path = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1].casefold() in _ACCOUNT_SLUGS


# --- signature lines ---------------------------------------------------------

_SIGNATURE_MAX_WORDS = 4
_SIGNATURE_MAX_CHARS = 60
_BOLD = ("strong", "b")


def signature_candidates(tree: HtmlElement) -> list[str]:
    """Paragraphs that are nothing but a short name in bold, in page order.

    Read before the body is extracted (trafilatura prunes the tree); which of
    them signs the article is decided by `signature_author`.
    """
    found: list[str] = []
    for paragraph in tree.iter("p"):
        text = " ".join(paragraph.text_content().split())
        if not text or len(text) > _SIGNATURE_MAX_CHARS or not _name_shaped(text):
            continue
        bold = " ".join(
            element.text_content()
            for element in paragraph.iter(*_BOLD)
            if not any(ancestor.tag in _BOLD for ancestor in element.iterancestors())
        )
        if " ".join(bold.split()) == text:
            found.append(text)
    return found


def signature_author(candidates: Sequence[str], body: str, sites: Sequence[str]) -> list[str]:
    """The name a signature line gives, when it is the body's first or last line
    (the body without the headline: `extract.without_headline`)."""
    lines = [" ".join(line.split()) for line in body.splitlines() if line.strip()]
    if not lines or not candidates:
        return []
    for line in dict.fromkeys((lines[0], lines[-1])):
        if line in candidates and not _ordinary_words(line, lines):
            return clean_authors([line], sites)
    return []


def _ordinary_words(line: str, lines: Sequence[str]) -> bool:
    """Every word of `line` is written in lower case elsewhere in the text: a
    heading in capitals ("POTENTIAL DAMAGE"), not a name, whose words the
    article never writes in lower case."""
    lower = {
        word
        for other in lines
        if other != line
        for word in re.findall(r"\w+", other)
        if word.islower()
    }
    words = re.findall(r"\w+", line)
    return all(word.lower() in lower for word in words)


def _name_shaped(text: str) -> bool:
    """2-4 capitalised words of letters: "Lê Phương", "MTHOBISI SITHOLE", "J. Doe"."""
    words = text.split()
    if not 2 <= len(words) <= _SIGNATURE_MAX_WORDS:
        return False
    for word in words:
        core = word.replace("-", "").replace("'", "").replace("’", "").rstrip(".")
        if not core or not core.isalpha() or not core[0].isupper():
            return False
    return True

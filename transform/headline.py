"""The headline shown on the page, without the site name.

Pages state their headline up to four times: the JSON-LD `headline`, the
`<h1>`, `og:title` and `<title>`. The last two are written for search results
and link previews, so they carry the site name ("... | CBC News", "... - WELT").
When the JSON-LD headline and the `<h1>` agree, that is the headline. When they
do not, the `<h1>` often carries a kicker ("Kultur : ...", "Eskalation im Nahen
Osten - ...") or is a newer rewrite, so the sources the publisher writes for
machines come first: JSON-LD, then `og:title`, then `<h1>`, then `<title>`
(on the fundus dev pages this order matched 87% of expected headlines, a
majority vote of the four 85%, `<h1>` first 78%).

Site names are stripped by a general rule, not a list of sites: a part of a
title cut off by a separator (| - – — : · • ：) is dropped when it names the site
(it matches `og:site_name`, the publisher, `application-name` or the host) or
when it is what remains after removing another source's headline from it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from lxml.html import HtmlElement

# Separators between a headline and a site name or section; spaced ASCII hyphens
# only, so "Covid-19" is not cut.
_SEPARATOR = re.compile(r"\s+[|\-–—·•»«:]\s+|\s*[|｜：]\s*|\s+[:–—]\s*")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»″"} | {c: "'" for c in "‘’‚‛‹›′`´"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_MAX_TITLE_CHARS = 600
# Titles cut into more parts than this are lists, not "headline | site".
_MAX_PARTS = 8
# A headline shorter than this is a label ("Top-Thema"), not the article's headline.
_MIN_HEADLINE_CHARS = 8
_HOST_WORDS = re.compile(r"\w+")
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "ne", "or", "go", "gob", "edu"}


def normalize_title(text: str | None) -> str:
    """Comparison form: NFKC, no zero-width characters, plain quotes and dashes, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = _ZERO_WIDTH.sub("", text).translate(_QUOTES).translate(_DASHES)
    return " ".join(text.split())


def clean_title(text: str | None) -> str | None:
    """Display form: entities decoded, zero-width characters and extra spaces removed."""
    if not text:
        return None
    # No headline is this long; the cap keeps the part-matching below cheap on junk.
    text = _ZERO_WIDTH.sub("", html.unescape(text[:_MAX_TITLE_CHARS]))
    text = " ".join(text.split())
    return text or None


def site_names(meta: dict[str, str], publisher: str | None, url: str | None) -> list[str]:
    """Names the page uses for its site: og:site_name, publisher, application-name, host."""
    names = [meta.get("og:site_name"), meta.get("application-name"), publisher]
    # The host's registered name without its suffix: "zeit" of www.zeit.de,
    # "orf" of news.orf.at, "bbc" of www.bbc.co.uk.
    labels = [label for label in (urlsplit(url or "").hostname or "").split(".") if label]
    if len(labels) >= 2:
        name = labels[-2]
        if name in _SECOND_LEVEL and len(labels) >= 3:
            name = labels[-3]
        names.append(name)
    return [name for name in names if name and name.strip()]


def strip_site_name(title: str, sites: Iterable[str], headline: str | None = None) -> str:
    """`title` without leading/trailing separator-cut parts that name the site.

    With `headline` (another source's headline), a title that contains it plus
    separated extra parts is cut down to it: "<headline> - Section | Site".
    """
    title = clean_title(title) or ""
    if headline:
        cut = _cut_to(title, headline)
        if cut:
            return cut
    sites = list(sites)
    parts = _split(title)
    changed = True
    while changed and len(parts) > 1:
        changed = False
        for index in (len(parts) - 1, 0):
            if names_site(parts[index][0], sites):
                del parts[index]
                changed = True
                break
    result = _join(parts) if parts else title
    # "Golem.de: headline": a colon is a separator only after the site's own name,
    # since "Tiktok: Brüssel untersucht ..." is a headline.
    prefix, colon, rest = result.partition(": ")
    if colon and rest and names_site(prefix, sites):
        result = rest.strip()
    return result


def choose_headline(
    tree: HtmlElement,
    meta: dict[str, str],
    json_ld_headlines: Sequence[str],
    sites: Sequence[str],
) -> str | None:
    """The page's headline: the value most of its headline sources agree on."""
    h1 = _first_h1(tree)
    json_ld = next((h for h in (clean_title(v) for v in json_ld_headlines) if h), None)
    title_element = tree.find(".//title")
    page_title = clean_title(title_element.text_content()) if title_element is not None else None
    og_title = clean_title(meta.get("og:title") or meta.get("twitter:title"))

    # Site-name stripping is guided by the structured sources when they exist.
    reference = json_ld or h1
    sources = (("json-ld", json_ld), ("h1", h1), ("og", og_title), ("title", page_title))
    stripped = {
        name: strip_site_name(value, sites, reference if value is not reference else None)
        for name, value in sources
        if value
    }
    json_ld_value, h1_value = stripped.get("json-ld"), stripped.get("h1")
    if json_ld_value and h1_value and same_headline(json_ld_value, h1_value):
        return json_ld_value
    for name in ("json-ld", "og", "h1", "title"):
        value = stripped.get(name)
        if value and len(value) >= _MIN_HEADLINE_CHARS:
            return value
    return next(iter(stripped.values()), None)


def same_headline(one: str, other: str) -> bool:
    """The same headline, whatever its quotes, dashes, spacing and case."""
    return normalize_title(one).casefold() == normalize_title(other).casefold()


def _first_h1(tree: HtmlElement) -> str | None:
    """Text of the article's <h1>: inside <article>/<main> first, else the first on the page."""
    scopes = [*tree.iter("article"), *tree.iter("main")]
    for scope in [*scopes, tree]:
        for element in scope.iter("h1"):
            text = clean_title(element.text_content())
            if text and len(text) >= _MIN_HEADLINE_CHARS:
                return text
    return None


def _cut_to(title: str, headline: str) -> str | None:
    """The headline if `title` is it plus separator-cut parts before and/or after."""
    want = normalize_title(headline).casefold()
    parts = _split(title)
    if len(parts) > _MAX_PARTS:
        return None
    for start in range(len(parts)):
        for end in range(len(parts), start, -1):
            if (start, end) == (0, len(parts)):
                continue
            piece = _join(parts[start:end])
            if normalize_title(piece).casefold() == want:
                return piece
    return None


def _split(title: str) -> list[tuple[str, str]]:
    """(part, separator that follows it) pairs; the last part has an empty separator."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _SEPARATOR.finditer(title):
        if match.start() == 0 or match.end() >= len(title):
            continue
        parts.append((title[position : match.start()], match.group()))
        position = match.end()
    parts.append((title[position:], ""))
    return [(part.strip(), sep) for part, sep in parts if part.strip()]


def _join(parts: list[tuple[str, str]]) -> str:
    text = "".join(part + sep for part, sep in parts[:-1]) + parts[-1][0]
    return text.strip()


def names_site(text: str, sites: Iterable[str]) -> bool:
    """Whether `text` is (a form of) one of the site names.

    Compared as runs of words, so "ZEIT ONLINE" names zeit.de, "WELT" names
    "DIE WELT" and "Globalnews.ca" names "Global News", while "Ulrich Welter"
    does not name "WELT".
    """
    words = _site_words(text)
    if not words:
        return False
    return any(_same_site(words, other) for other in (_site_words(s) for s in sites) if other)


def _site_words(name: str) -> list[str]:
    """Lower-case words without accents: "Seznam Zprávy" and seznamzpravy.cz meet."""
    folded = unicodedata.normalize("NFKD", normalize_title(name).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _HOST_WORDS.findall(folded)


def _same_site(one: list[str], other: list[str]) -> bool:
    whole_one, whole_other = "".join(one), "".join(other)
    if whole_one == whole_other:
        return True
    return _run_equals(one, whole_other) or _run_equals(other, whole_one)


def _run_equals(words: list[str], key: str) -> bool:
    """Some run of consecutive `words`, concatenated, is `key` (of 3+ characters)."""
    if len(key) < 3:
        return False
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if joined == key:
                return True
            if len(joined) >= len(key):
                break
    return False

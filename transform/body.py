"""Article body: trafilatura's precision extraction, checked by two independent witnesses.

Trafilatura with `favor_precision` is the best single extractor on both dev
sets, but its two failure modes are one-sided and each can be seen from outside:

- It loses part of the article (a body split across containers, text it takes
  for boilerplate). The page's own JSON-LD `articleBody` is written by the
  publisher for machines and is the whole article when present; when it is at
  least twice as long as our text and contains nearly all of it, our text is a
  fragment and the JSON-LD body replaces it.
- It keeps boilerplate next to the article (teasers, promos, bios). Readability
  scores containers by their prose, not by link density as trafilatura does, so
  it fails differently. When readability's text is a shorter subset of ours
  (70-100% of its length, nearly all of it inside ours), the difference is
  what only trafilatura kept. Our text is then trimmed at its edges: the
  trailing lines readability does not have (what follows an article: teasers,
  bios, subscription prompts) and the short leading ones (bylines, captions,
  labels). Lines inside the article and leading paragraphs stay even when
  readability lacks them: taking readability's text whole lost lead paragraphs
  and embedded quotes (on 10 dev pages, down to -0.12 F1). Since only edges
  are cut, a witness nearly as long as our text is as safe as a shorter one
  (up to 100% rather than 95%). Dev body F1 +0.0026 and +0.0013 on the two
  sets over taking readability's text; one page of 221 is 0.002 below
  trafilatura's text alone. Inside the article, only runs of two or more list
  items readability lacks go: lists of links to other stories, which
  readability's cleaning drops and trafilatura keeps (+0.0004 / +0.0011 on the
  dev sets, 2 and 4 pages better, none worse; a single missing item was the
  article's on one dev page).

Before trafilatura reads the tree, the elements that hold nothing are removed
with their tails kept (see `without_empty_elements`): its precision mode drops
the text that follows an empty element.

Both checks are pure containment and length tests between independent
extractions, so they carry no page-specific vocabulary. The thresholds were
checked on both dev sets (article-extraction benchmark and fundus pages, whose
publishers do not overlap), each acting as the held-out check of the other; see
`bench/quality.py`.

When trafilatura finds nothing, the JSON-LD body and then readability's text
are used rather than losing the article.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import trafilatura
from lxml.html import HtmlElement, fromstring

log = logging.getLogger(__name__)

# Chosen on the benchmark's dev pages (macro F1 of 4-gram shingles, 91 pages):
#   bare defaults 0.958; include_comments=False 0.961; + favor_precision 0.974;
#   + fast (no fallback extractors) 0.970, i.e. the fallbacks buy recall.
# include_comments=False is also a requirement: reader comments are not the
# article. favor_precision drops link-dense and boilerplate-like blocks (teasers,
# "related" lists, bios), which is the failure that matters for claim extraction:
# a sentence from a sidebar attributed to the article is worse than a lost one.
# deduplicate stays off: its cache spans calls, so results would
# depend on which pages were extracted before. Metadata is read by our own
# modules, so trafilatura's (and its date guessing) is not asked for.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
    "fast": False,
    "deduplicate": False,
    "with_metadata": False,
}

# A JSON-LD body replaces ours only when ours is a fragment of it.
JSON_LD_MIN_RATIO = 2.0
# Readability trims ours only when its text is a large proper subset of ours:
# below 70% it has usually lost part of the article rather than boilerplate.
WITNESS_MIN_RATIO = 0.7
WITNESS_MAX_RATIO = 1.0
# Share of one text's 4-gram shingles that must occur in the other to call it contained.
CONTAINED = 0.9
# A leading line this short that readability lacks is a byline, caption or label,
# not the lead paragraph (which is a sentence or more).
MAX_TRIMMED_HEAD_WORDS = 15
# How trafilatura's text writes a list item, and how many in a row readability
# must lack to be a list of links rather than one item it dropped (a single
# item lost article text on a dev page).
LIST_ITEM_PREFIX = "- "
MIN_TRIMMED_LIST_ITEMS = 2
# A fallback text shorter than this is a caption or a teaser, not an article.
MIN_FALLBACK_WORDS = 25

_TOKEN = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]{0,500}>")
# The elements trafilatura deletes when empty (its CUT_EMPTY_ELEMS in 2.3).
_EMPTY_PRUNED_TAGS = frozenset({
    "article", "b", "blockquote", "dd", "div", "dt", "em", "i", "li", "main", "p", "pre", "q",
    "section", "span", "strong", "h1", "h2", "h3", "h4", "h5", "h6",
})
_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "dd")


@dataclass(frozen=True)
class Body:
    text: str
    # Which extraction the text is: "trafilatura", "trafilatura-trimmed" (edges and link
    # lists trimmed to readability's reading), "json-ld" or "readability"; None when empty.
    source: str | None
    error: str | None = None


def extract_body(tree: HtmlElement, url: str | None, json_ld_body: str | None) -> Body:
    """The article text of a parsed page. Prunes `tree` (trafilatura works in place)."""
    witness_tree = deepcopy(tree)
    primary = clean_text(_trafilatura_text(without_empty_elements(tree), url))
    json_ld = json_ld_text(json_ld_body)
    witness = _readability_text(witness_tree)
    text, source = choose_body(primary, json_ld, witness)
    if not text:
        return Body("", None, "no article text found")
    return Body(text, source, None)


def choose_body(primary: str, json_ld: str, witness: str) -> tuple[str, str | None]:
    """Pick the body among trafilatura's text, the JSON-LD body and readability's text."""
    primary_words = _word_count(primary)
    if primary_words == 0:
        for text, source in ((json_ld, "json-ld"), (witness, "readability")):
            if _word_count(text) >= MIN_FALLBACK_WORDS:
                return text, source
        return "", None
    if (
        _word_count(json_ld) >= JSON_LD_MIN_RATIO * primary_words
        and containment(primary, json_ld) >= CONTAINED
    ):
        return json_ld, "json-ld"
    witness_words = _word_count(witness)
    if WITNESS_MIN_RATIO * primary_words <= witness_words < WITNESS_MAX_RATIO * primary_words:
        witness_shingles = _shingles(witness)
        if _share_in(witness_shingles, _shingles(primary)) >= CONTAINED:
            trimmed = trim_to_witness(primary, witness, witness_shingles)
            if trimmed != primary:
                return trimmed, "trafilatura-trimmed"
    return primary, "trafilatura"


def trim_to_witness(
    primary: str, witness: str, witness_shingles: Counter[tuple[str, ...]]
) -> str:
    """`primary` without the trailing lines `witness` lacks, the short leading ones,
    and the runs of list items it lacks (`witness_shingles`: the witness's shingles)."""
    lines = primary.splitlines()
    witness_words = f" {' '.join(_TOKEN.findall(witness.lower()))} "
    has = [_in_witness(line, witness_shingles, witness_words) for line in lines]
    start, end = 0, len(lines)
    while end > start and not has[end - 1]:
        end -= 1
    while start < end and not has[start] and _word_count(lines[start]) <= MAX_TRIMMED_HEAD_WORDS:
        start += 1
    if end <= start:
        return primary
    dropped = _missing_lists(lines, has)
    return "\n".join(lines[i] for i in range(start, end) if i not in dropped)


def _missing_lists(lines: list[str], has: list[bool]) -> set[int]:
    """Indexes of the runs of at least MIN_TRIMMED_LIST_ITEMS list items (trafilatura
    writes `<li>` as "- ") that the witness lacks: lists of links to other articles
    inside ours, which readability's cleaning removed."""
    dropped: set[int] = set()
    run: list[int] = []
    for index, line in enumerate([*lines, ""]):
        if index < len(lines) and not has[index] and line.startswith(LIST_ITEM_PREFIX):
            run.append(index)
            continue
        if len(run) >= MIN_TRIMMED_LIST_ITEMS:
            dropped.update(run)
        run = []
    return dropped


def _in_witness(
    line: str, witness_shingles: Counter[tuple[str, ...]], witness_words: str
) -> bool:
    """At least half of the line's shingles are in the witness (a line under four
    words: its words in a row; `witness_words` is the witness's words, space-padded)."""
    tokens = _TOKEN.findall(line.lower())
    if not tokens:
        return True  # nothing to judge: never the reason to cut
    if len(tokens) < 4:
        return f" {' '.join(tokens)} " in witness_words
    mine = _shingles(line)
    return sum((mine & witness_shingles).values()) >= 0.5 * sum(mine.values())


def containment(part: str, whole: str) -> float:
    """Share of `part`'s 4-gram shingles (a multiset) that also occur in `whole`."""
    return _share_in(_shingles(part), _shingles(whole))


def _share_in(part: Counter[tuple[str, ...]], whole: Counter[tuple[str, ...]]) -> float:
    total = sum(part.values())
    return sum((part & whole).values()) / total if total else 0.0


def json_ld_text(value: Any) -> str:
    """JSON-LD `articleBody` as plain text: some publishers put HTML or entities in it."""
    if not isinstance(value, str) or not value.strip():
        return ""
    if "<" in value and _TAG.search(value):
        value = re.sub(r"(?i)<\s{0,20}(?:br|/p|/div|/h\d|/li)\s{0,20}/?\s{0,20}>", "\n", value)
        value = _TAG.sub(" ", value)
    return clean_text(html.unescape(value))


def clean_text(text: str | None) -> str:
    """Lines stripped of surrounding and repeated inner whitespace; empty lines dropped."""
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def without_empty_elements(tree: HtmlElement) -> HtmlElement:
    """`tree` without the elements that hold nothing (no text, no children), their
    tails kept in place; innermost first, so a wrapper left empty goes too.

    Trafilatura deletes such elements itself, and in precision mode it deletes
    the text that follows them as well (the element's tail): a paragraph after an
    empty anchor `<span>` or `<div>`, the words after an empty `<em>`. That text
    is the article's; removing the empty elements first keeps it. Dev body F1
    +0.0009 / +0.0005 (5 and 3 pages better, none worse, on the two sets).

    Each parent's text is rebuilt once (removing the elements one by one, each
    tail appended to the text before it, is quadratic in a run of empty elements).
    """
    elements = list(tree.iter())  # keeps every proxy alive, so id() names one element
    empty: set[int] = set()
    for element in reversed(elements):  # children before their parents
        if (
            element.tag in _EMPTY_PRUNED_TAGS
            and element.text is None
            and all(id(child) in empty and child.tail is None for child in element)
            and element.getparent() is not None
        ):
            empty.add(id(element))
    for parent in elements:
        if id(parent) not in empty and any(id(child) in empty for child in parent):
            _remove_children(parent, empty)
    return tree


def _remove_children(parent: HtmlElement, removed: set[int]) -> None:
    """Remove `parent`'s children named in `removed`, each tail joined to the text before it."""
    pieces: list[str] = [parent.text or ""]
    holder: HtmlElement | None = None  # whose tail `pieces` is; None: the parent's text
    for child in list(parent):
        if id(child) in removed:
            pieces.append(child.tail or "")
            parent.remove(child)
            continue
        _set_text_before(parent, holder, "".join(pieces))
        holder, pieces = child, [child.tail or ""]
    _set_text_before(parent, holder, "".join(pieces))


def _set_text_before(parent: HtmlElement, holder: HtmlElement | None, text: str) -> None:
    if holder is None:
        parent.text = text or None
    else:
        holder.tail = text or None


def _trafilatura_text(tree: HtmlElement, url: str | None) -> str:
    try:
        doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    except Exception as exc:  # the witnesses may still have the text, and metadata stays
        log.warning("trafilatura failed on %s: %r", url, exc)
        return ""
    return (doc.text if doc is not None else None) or ""


def _readability_text(tree: HtmlElement) -> str:
    """Readability's article as one line per block (trafilatura ships the algorithm)."""
    from trafilatura.readability_lxml import Document

    try:
        summary = Document(tree).summary()
        article = fromstring(summary) if isinstance(summary, str) else summary
    except Exception as exc:  # a witness that fails is simply absent
        log.debug("readability failed: %r", exc)
        return ""
    if article is None:
        return ""
    lines = []
    for element in article.iter(*_BLOCK_TAGS):
        # Nested blocks (a <p> inside an <li>) would be counted twice.
        if any(ancestor.tag in _BLOCK_TAGS for ancestor in element.iterancestors()):
            continue
        line = " ".join(element.text_content().split())
        if line:
            lines.append(line)
    return "\n".join(lines)


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _word_count(text: str) -> int:
    return len(_TOKEN.findall(text))

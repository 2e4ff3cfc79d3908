"""OPML feed lists as real exports write them, read leniently.

Real exports break XML in small ways: a raw "&" in a title ("News & Views"),
HTML entities (`&eacute;`) no DTD declares, a stray tag. They are read with
lxml's recovering parser; a raw "&" is escaped first so the title keeps it,
an HTML entity becomes its character reference. Safety is not relaxed: the
DOCTYPE is dropped before parsing, no DTD is loaded, no entity is expanded,
nothing is fetched from the network.

Every outline with an `xmlUrl` is a feed, tagged with the titles of the
folders (outlines) it sits in and its `category`; outlines that cannot be
imported are counted with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.entities import name2codepoint
from pathlib import Path
from urllib.parse import urlsplit

from claimwire.config import FeedConfig
from claimwire.ingest.feedlist import MAX_DEPTH, FeedListError

_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_REFERENCE = rb"(?:[A-Za-z_:][\w.:-]{0,63}|#[0-9]{1,10}|#x[0-9A-Fa-f]{1,8});"
_STRAY_AMP = re.compile(rb"&(?!" + _REFERENCE + rb")")
_NAMED = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]|\[[^\]]*\])*>", re.IGNORECASE)


@dataclass
class OpmlFeeds:
    feeds: list[FeedConfig] = field(default_factory=list)
    # (what, why) for each outline not imported
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _named_to_numeric(found: re.Match[bytes]) -> bytes:
    name = found[1].decode("ascii")
    if name in _XML_ENTITIES:
        return found[0]
    code = name2codepoint.get(name)
    # An entity nobody declared and HTML does not know: kept as text.
    return f"&#{code};".encode() if code else b"&amp;" + found[0][1:]


def tidy(data: bytes) -> bytes:
    """The bytes made parseable without expanding anything: no DOCTYPE, raw "&"
    escaped, HTML named entities as character references."""
    data = _DOCTYPE.sub(b"", data, count=1)
    data = _STRAY_AMP.sub(b"&amp;", data)
    return _NAMED.sub(_named_to_numeric, data)


def _parse(data: bytes, path: Path):  # -> lxml.etree._Element
    from lxml import etree

    parser = etree.XMLParser(recover=True, resolve_entities=False, load_dtd=False,
                             no_network=True, dtd_validation=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(tidy(data), parser)
    except etree.XMLSyntaxError as exc:
        raise FeedListError(f"{path}: not OPML/XML: {exc}") from exc
    if root is None:
        raise FeedListError(f"{path}: not OPML/XML (nothing could be read)")
    return root


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _attr(outline, *names: str) -> str:  # type: ignore[no-untyped-def]
    lowered = {k.lower(): v for k, v in outline.attrib.items() if isinstance(k, str)}
    for name in names:
        value = lowered.get(name.lower())
        if value and value.strip():
            return " ".join(value.split())
    return ""


def read_opml_lenient(path: Path) -> OpmlFeeds:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedListError(f"{path}: cannot read: {exc.strerror}") from exc
    root = _parse(data, path)
    if _local(root.tag) != "opml":
        raise FeedListError(f"{path}: not an OPML document (its root is <{_local(root.tag)}>)")
    body = next((c for c in root if _local(c.tag) == "body"), None)
    if body is None:
        raise FeedListError(f"{path}: not an OPML document (no <body>)")
    result = OpmlFeeds()
    seen: set[str] = set()
    # Depth first, in document order, without recursion.
    stack: list[tuple[object, tuple[str, ...]]] = [(iter(body), ())]
    while stack:
        children, tags = stack[-1]
        outline = next(children, None)  # type: ignore[call-overload]
        if outline is None:
            stack.pop()
            continue
        if _local(outline.tag) != "outline":
            continue
        url = _attr(outline, "xmlUrl")
        label = _attr(outline, "title", "text")
        if not url:
            if len(outline):
                if len(stack) >= MAX_DEPTH:
                    result.skipped.append((label or "(folder)",
                                           f"nested deeper than {MAX_DEPTH} levels"))
                    continue
                stack.append((iter(outline), tags + ((label,) if label else ())))
            elif _attr(outline, "type").lower() in ("rss", "atom"):
                result.skipped.append((label or "(untitled)", "no xmlUrl"))
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            result.skipped.append((url, "not an http(s) URL"))
        elif url in seen:
            result.skipped.append((url, "listed twice in the file"))
        else:
            seen.add(url)
            category = [c.strip().strip("/") for c in _attr(outline, "category").split(",")]
            result.feeds.append(FeedConfig(
                url=url, name=label or None,
                tags=tuple(dict.fromkeys(tags + tuple(c for c in category if c)))))
    return result

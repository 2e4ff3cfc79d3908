"""Feed lists: the `[[feeds]]` of claimwire.toml and OPML files."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from claimwire.config import FeedConfig

# Folders in real OPML files nest a few levels; 5,000 levels exhausted the stack.
MAX_DEPTH = 50


class FeedListError(ValueError):
    """The feed list cannot be read; the message says why in one line."""


def _reject_doctype(data: bytes, path: Path) -> None:
    # OPML never needs a DTD; refusing one rules out entity expansion attacks.
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise FeedListError(f"{path}: OPML with a DOCTYPE or entities is not accepted")


def read_opml(path: Path) -> list[FeedConfig]:
    """Every outline with an xmlUrl, tagged with the titles of its parent outlines."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedListError(f"{path}: cannot read: {exc.strerror}") from exc
    _reject_doctype(data, path)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FeedListError(f"{path}: not valid OPML/XML: {exc}") from exc
    body = root.find("body")
    if root.tag.lower() != "opml" or body is None:
        raise FeedListError(f"{path}: not an OPML document (no <opml><body>)")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    # Depth first, in document order, without recursion: one iterator per open folder.
    stack = [(iter(body.findall("outline")), ())]
    while stack:
        outlines, tags = stack[-1]
        outline = next(outlines, None)
        if outline is None:
            stack.pop()
            continue
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        label = outline.get("title") or outline.get("text")
        if not url:
            if len(stack) >= MAX_DEPTH:
                raise FeedListError(f"{path}: outlines nested deeper than {MAX_DEPTH} levels")
            stack.append((iter(outline.findall("outline")), tags + ((label,) if label else ())))
        elif url not in seen:
            seen.add(url)
            category = [c.strip().strip("/") for c in (outline.get("category") or "").split(",")]
            feeds.append(FeedConfig(url=url, name=label,
                                    tags=tags + tuple(c for c in category if c)))
    return feeds

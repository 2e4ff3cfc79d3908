"""Feed lists: the `[[feeds]]` of claimwire.toml and OPML files."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from claimwire.config import FeedConfig


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

    def walk(element: ElementTree.Element, tags: tuple[str, ...]) -> None:
        for outline in element.findall("outline"):
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            label = outline.get("title") or outline.get("text")
            if url:
                if url not in seen:
                    seen.add(url)
                    category = tuple(
                        c.strip().strip("/") for c in (outline.get("category") or "").split(",")
                    )
                    extra = tuple(c for c in category if c)
                    feeds.append(FeedConfig(url=url, name=label, tags=tags + extra))
            else:
                walk(outline, tags + ((label,) if label else ()))

    walk(body, ())
    return feeds

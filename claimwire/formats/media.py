"""Media types: parsing `Content-Type`, the families claimwire reads, and sniffing bytes."""

from __future__ import annotations

from claimwire.formats.charset import bom

GENERIC_TYPES = frozenset({
    "", "application/octet-stream", "binary/octet-stream", "application/unknown",
    "unknown/unknown", "application/x-unknown", "text/plain",
})
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/feed+json", "application/json", "text/json",
    "application/x-rss+xml", "application/x-atom+xml",
})
# Magic numbers of formats that reach an HTML reader by mistake.
BINARY_SIGNATURES = (
    b"%PDF-", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b",
    b"\x28\xb5\x2f\xfd", b"RIFF", b"OggS", b"\x00\x00\x01\x00",
)
# Tags the HTML standard's MIME sniffing treats as proof of HTML at the start.
_HTML_STARTS = tuple(
    f"<{tag}".encode()
    for tag in (
        "!doctype html", "html", "head", "script", "iframe", "h1", "div", "font",
        "table", "a", "style", "title", "b", "body", "br", "p", "!--", "meta",
    )
)
_XML_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")


def media_type(value: str | None) -> tuple[str, dict[str, str]]:
    """("type/subtype" lower-cased, {parameter: value}) of a Content-Type value."""
    if not value:
        return "", {}
    kind, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        name, eq, val = part.partition("=")
        if eq:
            params[name.strip().lower()] = val.strip().strip("'\"").strip()
    return kind.strip().lower(), params


def is_feed_type(kind: str) -> bool:
    return kind in FEED_TYPES or kind.endswith(("+xml", "+json"))


def _head(body: bytes) -> bytes:
    """First bytes, BOM removed, transcoded to ASCII-ish lower case, whitespace stripped."""
    head = body[:1024]
    found = bom(head)
    if found is not None:
        head = head[found[1] :].decode(found[0], errors="ignore").encode("utf-8", "ignore")
    return head.lstrip(b" \t\r\n\x0c").lower()


def _looks_binary(head: bytes) -> bool:
    return b"\x00" in head or head.startswith((b"%pdf", b"\x89png", b"gif8", b"\xff\xd8\xff"))


def sniff_html(body: bytes) -> bool:
    """Whether the bytes start like an HTML document."""
    head = _head(body)
    if _looks_binary(head):
        return False
    for start in _HTML_STARTS:
        if head.startswith(start) and head[len(start) : len(start) + 1] in (b" ", b">", b""):
            return True
    # XHTML and pages with a comment or XML prolog first.
    return head.startswith((b"<?xml", b"<!")) and b"<html" in head


def sniff_feed(body: bytes) -> str | None:
    """'application/xml' or 'application/json' when the bytes look like a feed."""
    head = _head(body)
    if _looks_binary(head):
        return None
    if head.startswith(_XML_ROOTS) or (
        head.startswith((b"<?xml", b"<!--")) and any(root in head for root in _XML_ROOTS)
    ):
        return "application/xml"
    if head.startswith(b"{"):
        return "application/json"
    return None

"""Which charset a document's bytes are in, and decoding them to text.

Precedence (the HTML standard's, with one deliberate exception):
  1. byte-order mark (unambiguous, browsers put it first too);
  2. bytes that are valid UTF-8 and not pure ASCII: "utf-8" whatever is
     declared (real text in a legacy encoding is practically never valid
     UTF-8, while pages declaring latin-1 but carrying UTF-8 are common);
  3. the charset the transport declared (HTTP `Content-Type`), if the bytes
     decode with it;
  4. the document's own declaration (`<meta charset>`, http-equiv, the XML
     declaration) in its first 16 KB, if the bytes decode with it;
  5. pure ASCII or valid UTF-8 -> "utf-8"; else charset_normalizer's guess.
So when header and meta disagree and both decode, the header wins; a
declaration the bytes contradict is skipped. Names are Python codec names
("utf-8", "cp1251"); labels browsers read as a wider superset map to it
(latin-1 and ascii to cp1252, gb2312 to gb18030).
"""

from __future__ import annotations

import codecs
import re

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# The HTML standard says 1024 bytes, but real pages put the declaration
# after long inline scripts.
DECLARATION_SCAN_BYTES = 16_384
# Bounded repetitions: a hostile head of '<meta' without '>' stays linear.
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([a-z0-9_:.+-]{1,40})", re.I)
_XML_ENCODING = re.compile(
    rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([a-z0-9_:.+-]{1,40})", re.I)
# Codecs browsers read as a superset; decoding with the narrow one would fail
# on real pages. Keys are Python's normalised codec names.
_WIDER = {
    "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "tis-620": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030",
}
_CHECK_BYTES = 256 * 1024
_DETECT_BYTES = 64 * 1024
FALLBACK = "cp1252"


def bom(data: bytes) -> tuple[str, int] | None:
    """(codec, length) of the byte-order mark `data` starts with, if any."""
    for mark, name in BOMS:
        if data.startswith(mark):
            return name, len(mark)
    return None


def codec(label: str | None) -> str | None:
    """The Python codec for a charset label, widened as browsers do; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("'\"")).name
    except (LookupError, ValueError):
        return None
    return _WIDER.get(name, name)


def decodes(data: bytes, charset: str) -> bool:
    """Whether the first 256 KB of `data` are valid in `charset`."""
    decoder = codecs.getincrementaldecoder(charset)("strict")
    try:
        # Not final: the sample may end inside a multi-byte sequence.
        decoder.decode(data[:_CHECK_BYTES], final=len(data) <= _CHECK_BYTES)
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def declared_charset(data: bytes) -> str | None:
    """The codec of the document's own declaration (meta or XML prolog), if usable."""
    head = data[:DECLARATION_SCAN_BYTES]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(head)
        if match:
            declared = codec(match.group(1).decode("ascii"))
            # A UTF-16 label inside ASCII-compatible bytes is a lie (HTML standard).
            if declared and declared.startswith("utf-16"):
                return "utf-8"
            if declared:
                return declared
    return None


def detect_charset(data: bytes, transport_charset: str | None = None) -> str | None:
    """Charset of `data` by the precedence in the module docstring."""
    found = bom(data)
    if found is not None:
        # "utf-16"/"utf-32" rather than the -le/-be names: those codecs read
        # the BOM themselves instead of leaving U+FEFF in the text.
        return found[0].split("-le")[0].split("-be")[0]
    utf8 = decodes(data, "utf-8")
    if utf8 and not data[:_CHECK_BYTES].isascii():
        return "utf-8"
    for candidate in (codec(transport_charset), declared_charset(data)):
        if candidate and decodes(data, candidate):
            return candidate
    if utf8:
        return "utf-8"
    try:
        import charset_normalizer
    except ImportError:  # optional: without it an undeclared legacy page stays unknown
        return None
    best = charset_normalizer.from_bytes(data[:_DETECT_BYTES]).best()
    return codec(best.encoding) if best is not None else None


def decode(data: bytes, transport_charset: str | None = None) -> str:
    """The text of `data`: its detected charset, undecodable bytes replaced."""
    found = bom(data)
    if found is not None:
        return data[found[1] :].decode(found[0], errors="replace")
    charset = detect_charset(data, transport_charset) or FALLBACK
    return data.decode(charset, errors="replace")

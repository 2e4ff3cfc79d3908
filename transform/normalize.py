"""Text normalisation and the exact-content hash used for exact dedup."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_SPACE_RE = re.compile(r"[ \t\f\v]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def clean_article_text(text: str) -> str:
    """The stored article text: NFC, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def hash_key_text(text: str) -> str:
    """Text reduced to lower-case words: the same story with other quotes,
    spacing or punctuation hashes the same."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).casefold()
    return " ".join(_WORD_RE.findall(folded))


def content_hash(text: str) -> str | None:
    key = hash_key_text(text)
    if not key:
        return None
    return hashlib.sha256(key.encode("utf-8")).hexdigest()

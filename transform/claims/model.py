"""Record types produced by the claim extractor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClaimMention:
    """An entity or a quantity named inside a claim's content."""

    kind: str  # "person" | "organization" | "place" | "number"
    text: str
    value: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Claim:
    """One attributed statement; `content` is `text[char_start:char_end]`."""

    speaker: str
    speaker_canonical: str
    speaker_role: str | None
    speaker_type: str  # "person" | "organization" | "country" | "unnamed"
    cue: str
    content: str
    quote_type: str  # "direct" | "indirect"
    stance: str  # "assert" | "deny" | "uncertain"
    claimed_on: dt.date | None
    via: str | None
    char_start: int
    char_end: int
    mentions: tuple[ClaimMention, ...] = field(default_factory=tuple)
    # How claimed_on was found ("sentence: 'on Oct. 25' (year from article
    # dates)") or why there is none ("... (year unknown)"); None when the
    # article names no date for the claim at all.
    date_note: str | None = None
    # Other names the article uses for the speaker (for cross-article identity).
    speaker_aliases: tuple[str, ...] = ()

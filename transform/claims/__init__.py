"""Claim extraction: who claimed what, when, with which stance.

The names below are imported on first use: the extractor needs spaCy (seconds
to import), while the loader's derive step only needs `identity` and must
not pay for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .extractor import EXTRACTOR_VERSION, extract_claims, extract_claims_many
    from .model import Claim, ClaimMention

__all__ = ["EXTRACTOR_VERSION", "Claim", "ClaimMention", "extract_claims", "extract_claims_many"]

_HOME = {"EXTRACTOR_VERSION": ".extractor", "extract_claims": ".extractor",
         "extract_claims_many": ".extractor", "Claim": ".model", "ClaimMention": ".model"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name], __name__), name)
    globals()[name] = value
    return value

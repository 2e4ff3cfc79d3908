"""Claim extraction: who claimed what, when, with which stance."""

from .extractor import EXTRACTOR_VERSION, extract_claims, extract_claims_many
from .model import Claim, ClaimMention

__all__ = ["EXTRACTOR_VERSION", "Claim", "ClaimMention", "extract_claims", "extract_claims_many"]

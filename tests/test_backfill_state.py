"""Backfill checkpoints: per-job files, atomic marks, merging, damaged files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from claimwire.ingest.backfill_state import BackfillCheckpoint, checkpoint_key
from claimwire.pipeline import Window


def test_key_depends_on_window_and_sources_not_their_order() -> None:
    october = Window.from_dates(date(2024, 10, 1), date(2024, 10, 31))
    november = Window.from_dates(date(2024, 11, 1), date(2024, 11, 30))
    key = checkpoint_key(october, ["feed:a", "sitemap:b"])
    assert key == checkpoint_key(october, ["sitemap:b", "feed:a"])
    assert key != checkpoint_key(november, ["feed:a", "sitemap:b"])
    assert key != checkpoint_key(october, ["feed:a"])


def test_marks_survive_a_reload_and_clear_forgets(tmp_path: Path) -> None:
    checkpoint = BackfillCheckpoint.load(tmp_path, "job1")
    assert not checkpoint.done("warc:/a.warc.gz")
    checkpoint.mark("warc:/a.warc.gz")
    checkpoint.mark("feed-archive:http://x/2024-09", {"links": ["http://x/2024-08"]})

    again = BackfillCheckpoint.load(tmp_path, "job1")
    assert again.done("warc:/a.warc.gz")
    assert again.data("feed-archive:http://x/2024-09") == {"links": ["http://x/2024-08"]}
    assert not BackfillCheckpoint.load(tmp_path, "job2").done("warc:/a.warc.gz")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]

    again.clear()
    assert not again.done("warc:/a.warc.gz")
    assert not BackfillCheckpoint.load(tmp_path, "job1").units


def test_two_writers_merge_instead_of_overwriting(tmp_path: Path) -> None:
    first = BackfillCheckpoint.load(tmp_path, "shared")
    second = BackfillCheckpoint.load(tmp_path, "shared")
    first.mark("a")
    second.mark("b")  # loaded before "a" was marked
    assert BackfillCheckpoint.load(tmp_path, "shared").units == {"a", "b"}


def test_a_damaged_file_means_starting_over(tmp_path: Path) -> None:
    (tmp_path / "backfill-bad.json").write_text("{not json")
    checkpoint = BackfillCheckpoint.load(tmp_path, "bad")
    assert not checkpoint.units
    checkpoint.mark("x")
    assert json.loads((tmp_path / "backfill-bad.json").read_text())["units"] == {"x": None}


def test_rejects_keys_that_are_paths_and_data_that_is_not_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BackfillCheckpoint.load(tmp_path, "../escape")
    checkpoint = BackfillCheckpoint.load(tmp_path, "ok")
    with pytest.raises(TypeError):
        checkpoint.mark("x", {"when": object()})
    assert not checkpoint.done("x")

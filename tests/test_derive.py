"""The load only inserts and queues; the derive step works the queue off.

Covers the split between `warehouse.load` and `warehouse.derive`: what the
queue holds between the two, signatures made by the transform workers, the
bucket fan-out cap, batches staged by an older version (Parquet), and the
`claimwire derive` command.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import rows, write_config
from dedup_support import CANDIDATE_EXTRA, article, claim, open_db, stage
from test_neardup import MUSEUM, PORT_STRIKE, _dup_of, with_credit

from claimwire import cli, pipeline
from claimwire.config import DedupSettings
from claimwire.transform.derive import minhash as neardup
from claimwire.transform.derive import near_duplicates as neardup_index
from claimwire.transform.derive import runner as derive
from claimwire.warehouse import schema
from claimwire.warehouse.load import load_batches
from claimwire.warehouse.queries import derive_queue_size
from claimwire.warehouse.staging import MANIFEST, read_manifest, rows_to_arrow

DAY = datetime(2026, 3, 2, 8)


def test_load_queues_and_derive_links_the_copies(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    original = article("https://a.example/port", PORT_STRIKE, published=DAY)
    copy = article("https://b.example/copy", with_credit(PORT_STRIKE),
                   published=DAY + timedelta(hours=3))
    counts = load_batches(con, [stage(tmp_path / "st", [original, copy],
                                      [claim(copy["article_id"], 0, "Ines Marrow", "assert",
                                             "the walkout is unlawful")])])
    assert counts.articles_loaded == 2
    # Loaded, not yet derived: both queued, nothing linked, the copy's claim still there.
    assert derive_queue_size(con) == 2
    assert _dup_of(con, copy["article_id"]) is None
    assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == 1

    derived = derive.derive_pending(con)
    assert derived.articles_derived == 2
    assert derived.near_duplicates == 1
    assert derive_queue_size(con) == 0
    assert _dup_of(con, copy["article_id"]) == original["article_id"]
    assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == 0
    # A second pass finds nothing to do.
    assert derive.derive_pending(con).to_dict() == {}


def test_derive_in_chunks_reports_progress_and_equals_one_pass(tmp_path):
    texts = [with_credit(PORT_STRIKE) + f" Update {i}." for i in range(5)] + [MUSEUM]
    arts = [article(f"https://s{i}.example/a", text, published=DAY + timedelta(hours=i))
            for i, text in enumerate(texts)]
    results = []
    for chunk in (2, 100):
        con = open_db(tmp_path / f"wh{chunk}.duckdb")
        load_batches(con, [stage(tmp_path / f"st{chunk}", arts)])
        seen: list[tuple[int, int]] = []
        derive.derive_pending(con, chunk_articles=chunk,
                              on_chunk=lambda done, total, seen=seen: seen.append((done, total)))
        results.append(con.execute(
            "SELECT article_id, duplicate_of, story_id IS NOT NULL FROM articles ORDER BY 1"
        ).fetchall())
        assert seen[-1] == (6, 6)
        assert len(seen) == (3 if chunk == 2 else 1)
    assert results[0] == results[1]
    assert sum(1 for _, dup, _ in results[0] if dup) == 4


def _stage_with_minhash(root: Path, arts: list[dict], minhashes: list[bytes],
                        shingle: int) -> str:
    extra = {**{name: pa.string() for name in CANDIDATE_EXTRA},
             "minhash": pa.binary(), "minhash_shingle_size": pa.int32()}
    for art, blob in zip(arts, minhashes, strict=True):
        art["minhash"], art["minhash_shingle_size"] = blob, shingle
    from claimwire.warehouse.staging import BatchWriter

    writer = BatchWriter(root, "transform", "test")
    writer.add("articles", rows_to_arrow(schema.articles, arts, extra))
    return writer.write()


def _stored_signature(con, article_id: str) -> np.ndarray:
    blob = con.execute(
        "SELECT signature FROM article_signatures WHERE article_id = ?", [article_id]
    ).fetchone()[0]
    return neardup.signature_from_bytes(blob)


def test_derive_uses_the_workers_signatures_made_with_its_settings(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    settings = DedupSettings()
    trusted = article("https://a.example/one", PORT_STRIKE, published=DAY)
    other = article("https://b.example/two", MUSEUM, published=DAY)
    # The first carries a signature made with the current settings (of another
    # text, so using it is visible); the second one made with other shingles.
    staged = [neardup.signature_bytes(MUSEUM, settings.num_perm, settings.shingle_size),
              neardup.signature_bytes(MUSEUM, settings.num_perm, 3)]
    load_batches(con, [_stage_with_minhash(tmp_path / "st", [trusted, other], staged,
                                           shingle=settings.shingle_size)])
    con.execute("UPDATE derive_queue SET minhash_shingle_size = 3 WHERE article_id = ?",
                [other["article_id"]])
    derive.derive_pending(con, settings)
    assert np.array_equal(_stored_signature(con, trusted["article_id"]),
                          neardup.signature(MUSEUM))
    assert np.array_equal(_stored_signature(con, other["article_id"]),
                          neardup.signature(MUSEUM))


def test_many_copies_beyond_the_bucket_fanout_all_join_one_group(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    copies = 4 * neardup_index.BUCKET_FANOUT
    arts = [article(f"https://site{i:02d}.example/port", with_credit(PORT_STRIKE) + f" Ref {i}.",
                    published=DAY + timedelta(minutes=i)) for i in range(copies)]
    # Loaded in two parts, so later copies meet a full bucket of stored ones.
    for part in (arts[: copies // 2], arts[copies // 2:]):
        load_batches(con, [stage(tmp_path / "st", part)])
        derive.derive_pending(con)
    first = arts[0]["article_id"]
    links = dict(con.execute("SELECT article_id, duplicate_of FROM articles").fetchall())
    assert links.pop(first) is None
    assert set(links.values()) == {first}


def test_a_batch_staged_as_parquet_by_an_older_version_still_loads(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    art = article("https://a.example/port", PORT_STRIKE, published=DAY)
    batch = Path(stage(tmp_path / "st", [art]))
    manifest = read_manifest(batch)
    for arrow_file in batch.glob("*.arrow"):
        table = pa.ipc.open_file(pa.memory_map(str(arrow_file))).read_all()
        pq.write_table(table, arrow_file.with_suffix(".parquet"))
        arrow_file.unlink()
    assert (batch / MANIFEST).exists() and manifest is not None
    counts = load_batches(con, [str(batch)])
    assert counts.articles_loaded == 1
    assert con.execute("SELECT text FROM articles").fetchone()[0] == PORT_STRIKE


def test_derive_command_finishes_what_a_load_queued(tmp_path, capsys):
    db = tmp_path / "wh.duckdb"
    config_path = write_config(tmp_path / "claimwire.toml", db=db, feeds=[])
    config = cli._config(cli.build_parser().parse_args(["derive", "--config", str(config_path)]))
    original = article("https://a.example/port", PORT_STRIKE, published=DAY)
    copy = article("https://b.example/copy", with_credit(PORT_STRIKE), published=DAY)
    pipeline.load_staged(config, [stage(config.staging_path, [original, copy])], run_id="t",
                         derive_after=False)
    assert rows(db, "SELECT count(*) FROM derive_queue") == [(2,)]

    assert cli.main(["derive", "--config", str(config_path), "--quiet"]) == 0
    assert "derived 2 article(s): 1 near-duplicate(s)" in capsys.readouterr().out
    assert rows(db, "SELECT count(*) FROM derive_queue") == [(0,)]
    assert rows(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL") == [(1,)]

    assert cli.main(["derive", "--config", str(config_path), "--quiet"]) == 0
    assert "nothing to derive" in capsys.readouterr().out


def _poisoned(monkeypatch, bad_id: str, error: Exception) -> None:
    """Make the stories step fail whenever `bad_id` is among the articles derived."""
    real = derive.assign_stories

    def failing(con, ids):
        if bad_id in ids:
            raise error
        return real(con, ids)

    monkeypatch.setattr(derive, "assign_stories", failing)


def test_an_article_that_fails_derive_is_isolated_then_set_aside(tmp_path, monkeypatch):
    con = open_db(tmp_path / "wh.duckdb")
    arts = [article(f"https://p{i}.example/a", f"{MUSEUM} Part {i} of the series.",
                    published=DAY + timedelta(hours=i)) for i in range(6)]
    load_batches(con, [stage(tmp_path / "st", arts)])
    bad = arts[3]["article_id"]
    _poisoned(monkeypatch, bad, ValueError("bad article\nsecond line"))
    counts = derive.derive_pending(con, chunk_articles=100)
    # The other five are derived in the same pass; the bad one stays queued with its cause.
    assert counts.articles_derived == 5 and counts.derive_failed == 1
    assert con.execute("SELECT article_id, attempts, last_error, set_aside_at IS NULL "
                       "FROM derive_queue").fetchall() == [(bad, 1, "ValueError: bad article",
                                                            True)]
    assert con.execute("SELECT count(*) FROM articles WHERE story_id IS NOT NULL"
                       ).fetchone()[0] == 5
    for _ in range(derive.MAX_ATTEMPTS - 1):
        derive.derive_pending(con)
    assert derive_queue_size(con) == 0  # set aside: later nights are not held up
    later = article("https://later.example/a", PORT_STRIKE, published=DAY + timedelta(days=1))
    load_batches(con, [stage(tmp_path / "st2", [later])])
    assert derive.derive_pending(con).articles_derived == 1

    monkeypatch.undo()  # the bug is fixed: a retry derives the set-aside article
    counts = derive.derive_pending(con, retry=True)
    assert counts.articles_derived == 1 and counts.derive_failed == 0
    assert con.execute("SELECT count(*) FROM derive_queue").fetchone()[0] == 0


def test_a_failure_no_article_causes_stops_the_pass_with_its_cause(tmp_path, monkeypatch):
    import duckdb

    from claimwire.errors import DeriveError

    con = open_db(tmp_path / "wh.duckdb")
    arts = [article(f"https://q{i}.example/a", f"{MUSEUM} Note {i}.") for i in range(3)]
    load_batches(con, [stage(tmp_path / "st", arts)])
    _poisoned(monkeypatch, arts[0]["article_id"],
              duckdb.IOException("IO Error: No space left on device"))
    with pytest.raises(DeriveError, match="No space left on device"):
        derive.derive_pending(con)
    rows = con.execute("SELECT attempts, last_error FROM derive_queue").fetchall()
    assert len(rows) == 3 and {r[0] for r in rows} == {1}
    assert all("No space left" in r[1] for r in rows)

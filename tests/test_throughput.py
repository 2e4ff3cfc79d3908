"""Issue #20: where a run's time goes, and pages transformed while the poll still fetches."""

from __future__ import annotations

import json
import sys
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import write_config
from newsgen import article_text, rss
from servers import Reply, serve

from claimwire.cli import main
from claimwire.config import Config, HttpSettings
from claimwire.pipeline import overlap, run_ingest
from claimwire.pipeline.timings import STAGES, Timings, process_age
from claimwire.records import DocumentRow
from claimwire.transform.documents import DOC_STATUS_SCHEMA, transform_documents

sys.path.insert(0, str(Path(__file__).resolve().parent))
from same_rows import compare, dump_warehouse  # noqa: E402

LOOPBACK = ("127.0.0.1/32",)
DAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SPEAKERS = ("Anna Berg", "the mayor", "Marcus Lind", "a police spokesman", "Sofia Ekman")


def quoted_page(index: int) -> Reply:
    """A news page whose paragraphs each carry an attributed statement."""
    paras = []
    for n, text in enumerate(article_text(index, paragraphs=4)):
        speaker = SPEAKERS[(index + n) % len(SPEAKERS)]
        paras.append(f'<p>{text} "The plan for item {index} will go ahead," {speaker} said.</p>')
    published = DAY - timedelta(hours=index)
    return Reply(body=(
        f'<html lang="en"><head><title>Story {index}</title>'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f"</head><body><article><h1>Story {index}</h1>{''.join(paras)}</article>"
        "</body></html>"), headers={"Content-Type": "text/html; charset=utf-8"})


def site(routes: dict, base: str, pages: int) -> str:
    for index in range(pages):
        routes[f"/news/{index}"] = quoted_page(index)
    routes["/feed"] = rss([(f"Story {i}", f"{base}/news/{i}", DAY - timedelta(hours=i))
                           for i in range(pages)])
    return base + "/feed"


def config(root: Path, workers: int) -> Config:
    http = HttpSettings(allow_networks=LOOPBACK, per_host_delay=0, retries=0,
                        respect_robots=False)
    return Config(warehouse_path=root / "wh.duckdb", workers=workers, http=http)


def test_overlapped_run_gives_the_rows_of_the_sequential_one(tmp_path, monkeypatch):
    # Few pages, small chunks: the early path with several chunks, cheaply.
    monkeypatch.setattr(overlap, "MIN_PARALLEL_DOCUMENTS", 4)
    monkeypatch.setattr(overlap, "CHUNK_DOCUMENTS", 3)
    routes: dict = {}
    lines: list[str] = []
    with serve(routes) as base:
        feed = site(routes, base, pages=10)
        sequential = run_ingest(config(tmp_path / "seq", workers=1), feed_urls=[feed])
        overlapped = run_ingest(config(tmp_path / "ovl", workers=2), feed_urls=[feed],
                                report=lines.append)
    assert any("10 document(s) transformed while fetching" in line for line in lines)
    assert not any(line.startswith("[transform] ") and "shard" in line for line in lines)
    assert overlapped.counts.to_dict() == sequential.counts.to_dict()
    assert overlapped.get("claims_loaded") > 0
    assert overlapped.timings.workers == 2 and overlapped.timings.beside["claims"] > 0
    before = {"run": dump_warehouse(tmp_path / "seq" / "wh.duckdb")}
    after = {"run": dump_warehouse(tmp_path / "ovl" / "wh.duckdb")}
    # Only a derive time stamp differs between any two runs.
    assert compare(before, after, frozenset({"run.speakers.updated_at"})) == []


def test_a_run_below_the_threshold_transforms_in_this_process(tmp_path):
    routes: dict = {}
    lines: list[str] = []
    with serve(routes) as base:
        feed = site(routes, base, pages=3)
        summary = run_ingest(config(tmp_path, workers=2), feed_urls=[feed], report=lines.append)
    assert summary.get("articles_loaded") == 3
    assert not any("while fetching" in line for line in lines)
    assert "worker start" not in summary.timings.beside


def _result_for(tmp_path: Path, doc: DocumentRow) -> Future:
    """What a worker returns for a document its extraction failed on."""
    result = transform_documents(config(tmp_path, 2), [])
    result.tables["doc_status"] = pa.Table.from_pylist(
        [{"doc_id": doc.doc_id, "status": "failed", "error": "extract: none",
          "processed_at": DAY.replace(tzinfo=None)}], schema=DOC_STATUS_SCHEMA)
    future: Future = Future()
    future.set_result(result)
    return future


def test_early_results_are_staged_only_for_documents_stored_as_pending(tmp_path):
    doc = DocumentRow(doc_id="d1", url="http://a/1", canonical_url="http://a/1",
                      final_url=None, feed_url=None, guid="g", raw_sha256="0" * 64,
                      charset=None, published_at=DAY, fetched_at=DAY)
    early = overlap.EarlyTransform(config(tmp_path, 2), Timings())
    pending = overlap.as_pending(doc)
    early._submitted = [([pending], _result_for(tmp_path, doc))]
    # Its poll batch never landed (quarantined): nothing is staged, the plan decides.
    assert early.stage([], run_id="t") == []
    early._submitted = [([pending], _result_for(tmp_path, doc))]
    changed = overlap.as_pending(DocumentRow(**{**doc.__dict__, "raw_sha256": "1" * 64}))
    assert early.stage([changed], run_id="t") == []
    early._submitted = [([pending], _result_for(tmp_path, doc))]
    assert len(early.stage([pending], run_id="t")) == 1


def test_every_run_prints_its_stage_breakdown(tmp_path, db_path, capsys):
    routes: dict = {}
    with serve(routes) as base:
        feed = site(routes, base, pages=2)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[feed], allow=list(LOOPBACK))
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
        short = capsys.readouterr().out
        assert main(["ingest", "--config", str(cfg), "--quiet", "--timings"]) == 0
        detailed = capsys.readouterr().out
    line = next(x for x in short.splitlines() if x.strip().startswith("time "))
    for stage in ("start-up", "prepare", "fetch", "transform", "load", "derive"):
        assert f"{stage} " in line
    assert "politeness waits" in line
    for stage in ("start-up", "fetch", "derive", "total", "politeness waits", "robots.txt"):
        assert any(x.strip().startswith(stage) for x in detailed.splitlines())


def test_timings_add_up_to_the_run():
    timings = Timings()
    timings.add("fetch", 2.0)
    timings.add("claims", 5.0)  # worker time: beside the stages
    timings.close()
    assert set(timings.stages) == {"fetch", "finish"}
    assert timings.total == pytest.approx(2.0 + timings.stages["finish"])
    assert "claims 5.0" in timings.line()
    assert timings.cpu > 0 and "CPU" in timings.line()
    timings.add_all({"cpu:7": 3.0})
    timings.add_all({"cpu:7": 4.0})  # a worker's running total: the latest counts
    assert timings.worker_cpu == {"cpu:7": 4.0}
    assert list(STAGES).index("start-up") == 0
    assert process_age() > 0
    assert json.dumps(timings.stages)


@pytest.fixture(scope="module")
def big_site():
    """A feed of 42 pages: enough for a poll to transform while it fetches."""
    routes: dict = {}
    with serve(routes) as base:
        feed = site(routes, base, pages=42)
        yield feed


def _crash_config(root: Path, feed: str) -> Path:
    cfg = write_config(root / "c.toml", db=root / "wh.duckdb", feeds=[feed],
                       allow=list(LOOPBACK))
    cfg.write_text(cfg.read_text().replace("[warehouse]\n", "[warehouse]\nworkers = 2\n"))
    return cfg


@pytest.mark.parametrize("point", ["poll_staged", "transform_staged", "load_committed@2"])
def test_run_killed_while_transforming_early_then_rerun_equals_clean_run(
        point, big_site, tmp_path):
    from test_crash_safety import ingest, snapshot

    (tmp_path / "clean").mkdir()
    done = ingest(_crash_config(tmp_path / "clean", big_site))
    assert done.returncode == 0, done.stderr
    crashed = _crash_config(tmp_path, big_site)
    killed = ingest(crashed, point)  # the early path's own staging and load points
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    again = ingest(crashed)
    assert again.returncode == 0, again.stderr
    assert snapshot(tmp_path / "wh.duckdb") == snapshot(tmp_path / "clean" / "wh.duckdb")

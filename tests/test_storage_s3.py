"""The raw archive, staged batches and plans on an object store: a real S3
API (moto's server) on loopback, reached over HTTP by obstore."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import write_config
from s3_server import running_s3, set_credentials
from same_rows import compare, dump_warehouse

from claimwire import storage
from claimwire.config import load_config
from claimwire.ingest.archive import RawArchive
from claimwire.pipeline import run_ingest
from claimwire.pipeline.planning import plan_rows, read_poll_plan, remove_plans
from claimwire.records import FeedState
from claimwire.sample_site import serve_sample_site
from claimwire.storage import batches as remote
from claimwire.warehouse import staging
from claimwire.warehouse.staging import BatchWriter


@pytest.fixture(scope="module")
def s3():
    with running_s3() as server:
        yield server


@pytest.fixture
def bucket_url(s3, monkeypatch: pytest.MonkeyPatch) -> str:
    set_credentials(monkeypatch)
    bucket = s3.new_bucket()
    storage.register_endpoint(f"s3://{bucket}", s3.endpoint)
    return f"s3://{bucket}/claimwire"


def test_raw_archive_on_s3_is_content_addressed(bucket_url: str):
    archive = RawArchive(bucket_url + "/raw")
    digest = archive.put(b"<html>one</html>")
    assert archive.put(b"<html>one</html>") == digest
    assert archive.has(digest) and archive.get(digest) == b"<html>one</html>"
    with pytest.raises(KeyError):
        archive.get("0" * 64)
    archive.record_url("ab12", {"url": "http://x/"})
    assert archive.url_record("ab12") == {"url": "http://x/"}
    # another process (another worker) sees the same objects
    assert RawArchive(bucket_url + "/raw").url_record("ab12") == {"url": "http://x/"}
    assert archive.forget_url("ab12") and not archive.forget_url("ab12")
    assert archive.url_record("ab12") is None


def _batch(root: str) -> str:
    writer = BatchWriter(root, "poll", "run-1")
    writer.add("runs", pa.table({"run_id": ["a", "b"]}))
    writer.records = ["k1"]
    return writer.write()


def test_batches_on_s3_are_complete_or_invisible(bucket_url: str):
    root = bucket_url + "/staging"
    batch = _batch(root)
    assert batch.startswith(root + "/poll-run-1-")
    assert staging.complete_batches(root) == [batch]
    assert staging.verify_batch(batch) is None
    assert staging.read_manifest(batch)["records"] == ["k1"]
    assert staging.read_table(batch, "runs").column("run_id").to_pylist() == ["a", "b"]
    # A writer that died before its manifest: tables there, no batch.
    dead = storage.join(root, "poll-dead-000")
    storage.write_bytes(storage.join(dead, "runs.arrow"), b"partial")
    assert staging.complete_batches(root) == [batch]
    assert staging.remove_stale(root, max_age=0) == 1
    assert not storage.exists(storage.join(dead, "runs.arrow"))
    staging.remove_batch(batch)
    assert staging.complete_batches(root) == [] and storage.list_objects(batch) == []


def test_damaged_batch_on_s3_is_caught_and_quarantined(bucket_url: str):
    root = bucket_url + "/staging"
    batch = _batch(root)
    storage.write_bytes(storage.join(batch, "runs.arrow"), b"cut short")
    assert "runs.arrow has 9 bytes" in staging.verify_batch(batch)
    where = staging.quarantine_batch(root, batch, "damaged")
    assert staging.complete_batches(root) == []
    [(found, reason)] = staging.quarantined_batches(root)
    assert (found, reason) == (where, "damaged")
    assert storage.name(found) == storage.name(batch)
    assert remote.read_manifest(found)["records"] == ["k1"]


def test_plans_on_s3(bucket_url: str, tmp_path: Path):
    from claimwire.pipeline.planning import plan_poll

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[storage]\nurl = "{bucket_url}"\n')
    config = load_config(cfg)
    states = [FeedState(feed_url=f"http://127.0.0.1/{i}.xml") for i in range(3)]
    plans = plan_poll(config, states=states, shard_size=2)
    assert [p.startswith(bucket_url + "/staging/plans/poll-") for p in plans] == [True, True]
    assert plan_rows(plans) == 3
    assert [f.feed_url for f in read_poll_plan(plans[1])] == ["http://127.0.0.1/2.xml"]
    remove_plans(plans)
    assert storage.list_objects(bucket_url + "/staging/plans") == []


def test_ingest_with_storage_on_s3_lands_the_same_rows_as_local_folders(
    s3, bucket_url: str, tmp_path: Path
):
    with serve_sample_site(port=0) as site:
        feeds = [site.rss_url, site.atom_url]
        local = write_config(tmp_path / "local.toml", db=tmp_path / "local" / "w.duckdb",
                             feeds=feeds, allow=["127.0.0.1/32"])
        run_ingest(load_config(local))
        extra = f'\n[storage]\nurl = "{bucket_url}"\nendpoint = "{s3.endpoint}"\n'
        remote_cfg = write_config(tmp_path / "s3.toml", db=tmp_path / "s3" / "w.duckdb",
                                  feeds=feeds, allow=["127.0.0.1/32"], extra=extra)
        summary = run_ingest(load_config(remote_cfg))
    assert summary.get("articles_loaded") == 5
    assert compare({"w": dump_warehouse(tmp_path / "local" / "w.duckdb")},
                   {"w": dump_warehouse(tmp_path / "s3" / "w.duckdb")}) == []
    # Nothing went to local folders; the raw archive is in the bucket, the
    # staging area is empty again (batches loaded, plans removed).
    assert sorted(p.name for p in (tmp_path / "s3").iterdir()) == ["w.duckdb"]
    raw = storage.list_objects(bucket_url + "/raw")
    assert sum("/objects/" in e.location for e in raw) == 5
    assert sum("/urls/" in e.location for e in raw) >= 5
    assert storage.list_objects(bucket_url + "/staging") == []
    record = json.loads(storage.read_bytes(
        next(e.location for e in raw if "/urls/" in e.location)))
    assert record

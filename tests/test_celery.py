"""claimwire_poll then claimwire_transform through the real scheduler on two
Celery workers that share nothing but the services (see `celery_cluster`):
the warehouse equals a single-machine run of the same feed, and still does
when a worker is killed (SIGKILL) in the middle of a transform shard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from celery_cluster import Cluster, celery_cluster
from conftest import write_config
from pg_support import fresh_database
from s3_server import CREDENTIALS, running_s3
from same_rows import column_sets, compare, dump_connection, dump_warehouse

from claimwire.config import load_config
from claimwire.pipeline import run_ingest
from claimwire.sample_site import serve_sample_site
from claimwire.warehouse.db import reading

# Derived per run by nature: which run loaded a row.
RUN_TABLES = {"runs"}


@pytest.fixture
def site():
    with serve_sample_site(port=0) as running:
        yield running


@pytest.fixture
def shared(tmp_path: Path):
    """A loopback S3 server and a fresh PostgreSQL database for the DuckLake catalog."""
    with running_s3() as s3, fresh_database("cw_lake") as dsn:
        yield s3, dsn


def _toml(s3, dsn: str, bucket: str, feed: str) -> str:
    return f"""
[warehouse]
backend = "ducklake"
catalog = "postgres:{dsn}"
data_path = "s3://{bucket}/lake/"

[storage]
url = "s3://{bucket}/claimwire"
endpoint = "{s3.endpoint}"

[http]
allow_networks = ["127.0.0.1/32"]
per_host_delay = 0.0
retries = 0
respect_robots = false

[[feeds]]
url = "{feed}"
"""


def _single_machine(tmp_path: Path, feed: str) -> dict:
    cfg = write_config(tmp_path / "single.toml", db=tmp_path / "one" / "w.duckdb",
                       feeds=[feed], allow=["127.0.0.1/32"])
    run_ingest(load_config(cfg))
    return dump_warehouse(tmp_path / "one" / "w.duckdb")


def _lake_rows(toml: str, tmp_path: Path) -> dict:
    path = tmp_path / "read.toml"
    path.write_text(toml)
    os.environ.update(CREDENTIALS)
    with reading(load_config(path).warehouse) as con:
        return dump_connection(con)


def _poll_then_transform(cluster: Cluster, on_transform_running=None) -> None:
    # Unpaused on arrival, the poll DAG's latest interval (closed this night)
    # runs at once: a live poll; its asset event schedules the transform.
    cluster.wait_for("the poll run", lambda: any(
        s == "success" for _, s in cluster.dag_runs("claimwire_poll")), timeout=400)
    assert not [r for r in cluster.dag_runs("claimwire_poll") if r[1] == "failed"]
    if on_transform_running is not None:
        on_transform_running()
    cluster.wait_for("the transform run (scheduled on the poll's asset event)", lambda: any(
        s == "success" for _, s in cluster.dag_runs("claimwire_transform")), timeout=500)
    assert not [r for r in cluster.dag_runs("claimwire_transform") if r[1] == "failed"]


def _assert_same(single: dict, lake: dict) -> None:
    tables = sorted(set(single) - RUN_TABLES)
    # A speaker's aliases are a set, listed in the order its rows were scanned.
    assert compare({"w": {t: single[t] for t in tables}},
                   {"w": {t: lake[t] for t in tables if t in lake}},
                   frozenset({"w.speakers.aliases"})) == []
    assert column_sets(single, "speakers", "speaker_id", "aliases") == \
        column_sets(lake, "speakers", "speaker_id", "aliases")


def test_two_celery_workers_land_what_one_machine_does(site, shared, tmp_path: Path):
    s3, dsn = shared
    bucket = s3.new_bucket()
    toml = _toml(s3, dsn, bucket, site.rss_url)
    with celery_cluster(tmp_path / "cluster", toml) as cluster:
        _poll_then_transform(cluster)
        shards = cluster.task_instances("claimwire_poll", "poll_shard")
        assert shards and all(state == "success" for _, _, state, *_ in shards)
        # Both workers took tasks (each keeps its task logs on its own disk).
        for name in cluster.workers:
            assert list((cluster.root / "workers" / name / "logs").rglob("*.log")), name
    _assert_same(_single_machine(tmp_path, site.rss_url), _lake_rows(toml, tmp_path))
    # Both DAG runs have their row in `runs`, as CLI runs do.
    with reading(load_config(tmp_path / "read.toml").warehouse) as con:
        kinds = sorted(r[0] for r in con.execute("SELECT kind FROM runs WHERE status = "
                                                 "'completed'").fetchall())
    assert kinds == ["airflow:claimwire_poll", "airflow:claimwire_transform"]


def test_a_worker_killed_mid_transform_is_replaced_by_the_other(site, shared, tmp_path: Path):
    s3, dsn = shared
    bucket = s3.new_bucket()
    toml = _toml(s3, dsn, bucket, site.rss_url)
    killed: list[str] = []
    with celery_cluster(tmp_path / "cluster", toml) as cluster:

        def kill_the_transforming_worker() -> None:
            def running_shard():
                for _, _, state, tries, pid, _ in cluster.task_instances(
                        "claimwire_transform", "transform_shard"):
                    if state == "running" and pid and tries == 1:
                        return cluster.worker_of(pid)
                return None

            name = cluster.wait_for("a running transform shard", running_shard, timeout=400,
                                    every=0.2)
            cluster.kill_worker(name)
            killed.append(name)

        _poll_then_transform(cluster, kill_the_transforming_worker)
        shards = cluster.task_instances("claimwire_transform", "transform_shard")
        assert killed and shards
        assert all(state == "success" for _, _, state, *_ in shards)
        assert max(tries for _, _, _, tries, *_ in shards) >= 2  # the retry
    _assert_same(_single_machine(tmp_path, site.rss_url), _lake_rows(toml, tmp_path))

"""The DuckLake warehouse: catalog in the local PostgreSQL (a database of
its own per test), data and staging on a real S3 API on loopback (moto's
server); two `claimwire ingest` runs at the same moment from two working
directories land both, with nothing doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import write_config
from newsgen import rss
from pg_support import fresh_database
from s3_server import CREDENTIALS, running_s3
from same_rows import compare, dump_connection, dump_warehouse
from servers import serve

from claimwire.config import load_config
from claimwire.pipeline import run_ingest
from claimwire.sample_site import serve_sample_site
from claimwire.warehouse import schema
from claimwire.warehouse.db import reading

CLI = [sys.executable, "-c", "import sys; from claimwire.cli import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def s3():
    with running_s3() as server:
        yield server


@pytest.fixture
def catalog():
    with fresh_database("cw_lake") as dsn:
        yield f"postgres:{dsn}"


def lake_config(path: Path, *, catalog: str, bucket: str, endpoint: str,
                feeds: list[str]) -> Path:
    extra = (f'\n[storage]\nurl = "s3://{bucket}/claimwire"\nendpoint = "{endpoint}"\n')
    write_config(path, db=path.parent / "unused.duckdb", feeds=feeds,
                 allow=["127.0.0.1/32"], extra=extra)
    text = path.read_text().replace(
        "[warehouse]\n",
        f'[warehouse]\nbackend = "ducklake"\ncatalog = "{catalog}"\n'
        f'data_path = "s3://{bucket}/lake/"\n', 1)
    path.write_text(text)
    return path


def _groups(dump: dict, table: str, key: str, grouping: str) -> dict[str, frozenset]:
    """{row key: the keys of the rows sharing its `grouping` value} of a dumped
    table's rows that have one: the grouping itself, whatever its ids are called."""
    columns = dump[table]["columns"]
    rows = [row for r in dump[table]["rows"]
            if (row := json.loads(r))[columns.index(grouping)] is not None]
    members: dict[object, set] = {}
    for row in rows:
        members.setdefault(json.dumps(row[columns.index(grouping)]), set()).add(
            row[columns.index(key)])
    return {row[columns.index(key)]: frozenset(members[json.dumps(row[columns.index(grouping)])])
            for row in rows}


def duplicate_keys(con) -> dict[str, int]:
    """Rows beyond the first of each natural key, per table that has one."""
    doubled = {}
    for table in schema.metadata.sorted_tables:
        keys = [c.name for c in table.primary_key.columns]
        exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                             "AND database_name = current_database()", [table.name]).fetchone()
        if not keys or not exists[0]:
            continue
        extra = con.execute(f"SELECT count(*) - count(DISTINCT ({', '.join(keys)})) "
                            f"FROM {table.name}").fetchone()[0]
        if extra:
            doubled[table.name] = extra
    return doubled


def test_two_ingests_at_once_from_two_directories_both_land(s3, catalog, tmp_path: Path):
    bucket = s3.new_bucket()
    env = {**os.environ, **CREDENTIALS}
    env.pop("CLAIMWIRE_CONFIG", None)
    with serve_sample_site(port=0) as site:
        half = len(site.articles) // 2
        when = datetime(2024, 10, 30, tzinfo=UTC)
        items = [(a.title, a.url, when) for a in site.articles]
        with serve({"/a.xml": rss(items[:half]), "/b.xml": rss(items[half:])}) as base:
            feeds = {"a": base + "/a.xml", "b": base + "/b.xml"}
            procs = {}
            for name, feed in feeds.items():
                workdir = tmp_path / name
                (workdir / "tmp").mkdir(parents=True)
                lake_config(workdir / "claimwire.toml", catalog=catalog, bucket=bucket,
                            endpoint=s3.endpoint, feeds=[feed])
                procs[name] = subprocess.Popen(
                    [*CLI, "ingest", "--quiet"], cwd=workdir,
                    env={**env, "TMPDIR": str(workdir / "tmp")},
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for name, proc in procs.items():
                out, _ = proc.communicate(timeout=600)
                assert proc.returncode == 0, f"ingest {name}: {out}"
            # The same feeds on one machine: a DuckDB file and local folders.
            single = write_config(tmp_path / "single.toml", db=tmp_path / "one" / "w.duckdb",
                                  feeds=list(feeds.values()), allow=["127.0.0.1/32"])
            run_ingest(load_config(single))
    config = load_config(tmp_path / "a" / "claimwire.toml")
    os.environ.update(CREDENTIALS)
    with reading(config.warehouse) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(site.articles)
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0] \
            == 2
        assert duplicate_keys(con) == {}
        lake_rows = dump_connection(con)
    one_rows = dump_warehouse(tmp_path / "one" / "w.duckdb")
    core = ("feeds", "feed_items", "documents", "articles", "article_urls", "claims",
            "claim_mentions")
    # What the derive step names depends on the order the two runs' articles
    # reach it, on a DuckDB file too (feed b then a names Zelenskyy's identity
    # "Vladimir Zelensky", a then b or both at once "Volodymyr Zelenskyy", and
    # claim clusters, only ever merged, grow differently). Those columns are
    # compared as groupings below; everything else row for row.
    named = frozenset({"w.claims.speaker_id", "w.claims.speaker_canonical",
                       "w.claims.claim_cluster_id", "w.articles.story_id"})
    assert compare({"w": {t: one_rows[t] for t in core}},
                   {"w": {t: lake_rows[t] for t in core}}, named) == []
    for table, key, grouping in (("claims", "claim_id", "speaker_id"),
                                 ("articles", "article_id", "story_id")):
        assert _groups(lake_rows, table, key, grouping) == \
            _groups(one_rows, table, key, grouping), grouping
    assert len(lake_rows["speakers"]["rows"]) == len(one_rows["speakers"]["rows"])
    clustered = _groups(one_rows, "claims", "claim_id", "claim_cluster_id")
    assert clustered and clustered.keys() == _groups(lake_rows, "claims", "claim_id",
                                                     "claim_cluster_id").keys()
    claims = subprocess.run([*CLI, "claims"], cwd=tmp_path / "b", env=env, text=True,
                            capture_output=True, timeout=300)
    assert claims.returncode == 0, claims.stderr
    sites = {a.site_name for a in site.articles}
    assert sites and all(s in claims.stdout for s in sites)
    # The other commands on the same warehouse, from the other directory.
    for args, expected in (
        (["sql", "SELECT count(*) AS n FROM claims; SELECT count(*) AS n FROM articles"],
         f"\n{len(site.articles)}\n"),
        (["search", "troops"], "North Korean"),
        (["status"], "runs 2"),
        (["derive"], "nothing to derive"),
    ):
        done = subprocess.run([*CLI, *args], cwd=tmp_path / "a", env=env, text=True,
                              capture_output=True, timeout=300)
        assert done.returncode == 0 and expected in done.stdout + done.stderr, (args, done)

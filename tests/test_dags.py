"""The Airflow DAGs: their wiring, and real runs against the sample site.

The window rules in `claimwire.airflow_support` are plain Python and always tested.
Everything else needs `apache-airflow` (the `airflow` extra) and is skipped without it.
Airflow runs in subprocesses with their own AIRFLOW_HOME and SQLite metadata DB:
Airflow reads its settings once, at import, and configures logging and the ORM for
the whole process, which must not leak into the rest of the test session. The runs
use `airflow dags test`, which executes every task of one DAG run in one process
(the same code path as `dag.test()`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from claimwire.airflow_support import (
    RAW_DOCUMENTS_ASSET,
    WAREHOUSE_ASSET,
    WAREHOUSE_POOL,
    WINDOW_EXTRA_KEY,
    poll_window_bounds,
    transform_window,
)

REPO = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO / "dags"
DEFAULT_CRON = "0 2 * * *"
# A weekly schedule for the backfill test: one interval then holds several sample
# articles and leaves others out.
WEEKLY_CRON = "0 0 * * 1"

needs_airflow = pytest.mark.skipif(
    find_spec("airflow") is None,
    reason="apache-airflow is not installed (pip install -e '.[airflow]')",
)

# ------------------------------------------------------------------ window rules (no Airflow)

NOW = datetime(2024, 11, 5, 2, 5, tzinfo=UTC)
DAY = timedelta(days=1)


def test_live_scheduled_run_takes_every_new_item() -> None:
    # The nightly run for the interval that has just closed.
    end = NOW.replace(minute=0)
    assert poll_window_bounds("scheduled", end - DAY, end, NOW) is None
    # Still live when the scheduler or the run is late by hours.
    assert poll_window_bounds("scheduled", end - DAY, end, end + DAY / 2) is None


def test_backfill_run_takes_its_interval() -> None:
    start, end = datetime(2024, 10, 28, 2, tzinfo=UTC), datetime(2024, 10, 29, 2, tzinfo=UTC)
    assert poll_window_bounds("backfill", start, end, NOW) == (start, end)
    # A backfill of the latest interval is still a backfill.
    end = NOW.replace(minute=0)
    assert poll_window_bounds("backfill", end - DAY, end, NOW) == (end - DAY, end)


def test_runs_for_old_intervals_take_their_interval() -> None:
    # Catch-up runs, manual runs with a past logical date, re-runs of old runs.
    start, end = datetime(2024, 10, 28, 2, tzinfo=UTC), datetime(2024, 10, 29, 2, tzinfo=UTC)
    for run_type in ("scheduled", "manual"):
        assert poll_window_bounds(run_type, start, end, NOW) == (start, end)


def test_runs_without_an_interval_take_every_new_item() -> None:
    assert poll_window_bounds("manual", None, None, NOW) is None
    assert poll_window_bounds("asset_triggered", None, None, NOW) is None
    # A CronTriggerTimetable-style empty interval says nothing about a range.
    assert poll_window_bounds("backfill", NOW, NOW, NOW + DAY * 3) is None


def _window(start: str, end: str) -> dict[str, Any]:
    return {WINDOW_EXTRA_KEY: {"start": start, "end": end}}


def test_transform_window_from_events() -> None:
    # A manual transform run, or one fed by a live poll or a hand-made event: all pending.
    assert transform_window([]) is None
    assert transform_window([{WINDOW_EXTRA_KEY: None}]) is None
    assert transform_window([{}]) is None
    assert (
        transform_window(
            [
                _window("2024-10-28T02:00:00+00:00", "2024-10-29T02:00:00+00:00"),
                {WINDOW_EXTRA_KEY: None},
            ]
        )
        is None
    )
    # Backfill polls: the range covering their windows, whatever the offsets say.
    assert transform_window(
        [
            _window("2024-10-29T02:00:00+00:00", "2024-10-30T02:00:00+00:00"),
            _window("2024-10-28T04:00:00+02:00", "2024-10-29T04:00:00+02:00"),
        ]
    ) == {"start": "2024-10-28T02:00:00+00:00", "end": "2024-10-30T02:00:00+00:00"}


# ------------------------------------------------------------------ Airflow harness


class AirflowHome:
    """A throwaway Airflow installation: settings in env vars, a SQLite metadata DB."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / "airflow.db"
        self.env = {
            key: value
            for key, value in os.environ.items()
            # The test decides the warehouse; a developer's settings must not leak in.
            if not key.startswith(("AIRFLOW_", "AIRFLOW__", "CLAIMWIRE_"))
        }
        self.env.update(
            {
                "AIRFLOW_HOME": str(root),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            }
        )

    def write_fail_fast_policy(self) -> None:
        # `dag.test()` waits out a failing task's retry delays (minutes, with backoff);
        # a cluster policy drops the retries of test runs so a failure shows at once.
        config_dir = self.root / "config"  # on sys.path for Airflow processes
        config_dir.mkdir(exist_ok=True)
        (config_dir / "airflow_local_settings.py").write_text(
            "import os\n\n\n"
            "def task_policy(task):\n"
            "    if os.environ.get('CLAIMWIRE_TEST_FAIL_FAST'):\n"
            "        task.retries = 0\n",
            encoding="utf-8",
        )

    def run(
        self, *args: str, config: Path | None = None, fail_fast: bool = False, timeout: float = 300
    ) -> str:
        env = dict(self.env)
        if config is not None:
            env["CLAIMWIRE_CONFIG"] = str(config)
        if fail_fast:
            env["CLAIMWIRE_TEST_FAIL_FAST"] = "1"
        try:
            proc = subprocess.run(
                args, env=env, cwd=self.root, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            # Usually a failing task being retried after its retry delay.
            output = (exc.stdout or b"") + (exc.stderr or b"")
            text = output.decode(errors="replace") if isinstance(output, bytes) else output
            pytest.fail(f"{' '.join(args[:5])} timed out after {timeout}s:\n{text[-6000:]}")
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-6000:]
            pytest.fail(f"{' '.join(args[:4])}... exited {proc.returncode}:\n{tail}")
        return proc.stdout

    def airflow(self, *args: str, config: Path | None = None) -> str:
        return self.run(sys.executable, "-m", "airflow", *args, config=config)

    def dags_test(self, dag_id: str, *args: str, config: Path) -> str:
        """One run of the DAG, every task in one process; fails when the run fails."""
        return self.run(
            sys.executable,
            "-m",
            "airflow",
            "dags",
            "test",
            dag_id,
            *args,
            config=config,
            fail_fast=True,
        )

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def latest_run(self, dag_id: str) -> str:
        rows = self.query(
            "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
            (dag_id,),
        )
        assert rows, f"no run of {dag_id}"
        run_id, state = rows[0]
        assert state == "success", (run_id, state)
        return run_id

    def task_states(self, dag_id: str, run_id: str) -> dict[str, set[str]]:
        states: dict[str, set[str]] = {}
        for task_id, state in self.query(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (dag_id, run_id),
        ):
            states.setdefault(task_id, set()).add(state)
        return states

    def asset_events(self, uri: str, run_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "WHERE a.uri = ? AND e.source_run_id = ? ORDER BY e.id",
            (_normalised_uri(uri), run_id),
        )
        return [json.loads(extra) if isinstance(extra, str) else extra for (extra,) in rows]


def _normalised_uri(uri: str) -> str:
    # Airflow stores an asset URI with an empty path as "/".
    return uri if uri.count("/") > 2 else uri + "/"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowHome]:
    home = AirflowHome(tmp_path_factory.mktemp("airflow_home"))
    home.write_fail_fast_policy()
    home.airflow("db", "migrate")
    # What `make airflow` and the compose init service do: the loaders' one-slot pool.
    home.airflow("pools", "set", WAREHOUSE_POOL, "1", "claimwire: the one DuckDB writer")
    yield home


def _write_config(directory: Path, feed_url: str, schedule: str = DEFAULT_CRON) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "claimwire.toml"
    path.write_text(
        f"""
[warehouse]
path = "{directory / "claimwire.duckdb"}"

[http]
allow_networks = ["127.0.0.1/32"]
per_host_delay = 0.0
retries = 0

[airflow]
schedule = "{schedule}"

[[feeds]]
url = "{feed_url}"
""",
        encoding="utf-8",
    )
    return path


def _warehouse_rows(config: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect(str(config.parent / "claimwire.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_site() -> Iterator[Any]:
    from claimwire.sample_site import serve_sample_site

    with serve_sample_site() as site:
        yield site


# ------------------------------------------------------------------ DAG structure

# Runs in a subprocess (see the module docstring) and prints what the tests check.
_DESCRIBE_DAGS = """
import json, sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
out = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag in bag.dags.values():
    timetable = dag.timetable
    condition = getattr(timetable, "asset_condition", None)
    out["dags"][dag.dag_id] = {
        "timetable": type(timetable).__name__,
        "cron": getattr(timetable, "expression", None),
        "timezone": str(getattr(timetable, "timezone", "")),
        "schedule_assets": [a.uri for a in getattr(condition, "objects", ())],
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "tasks": {
            t.task_id: {
                "mapped": type(t).__name__.endswith("MappedOperator"),
                "pool": t.pool,
                "pool_slots": t.pool_slots,
                "retries": t.retries,
                "backoff": float(t.retry_exponential_backoff),
                "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                "outlets": [a.uri for a in t.outlets],
                "upstream": sorted(t.upstream_task_ids),
            }
            for t in dag.tasks
        },
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def described(airflow_home: AirflowHome, tmp_path_factory: pytest.TempPathFactory) -> dict:
    config = _write_config(tmp_path_factory.mktemp("describe"), "http://127.0.0.1:9/feed.xml")
    out = airflow_home.run(sys.executable, "-c", _DESCRIBE_DAGS, str(DAGS_FOLDER), config=config)
    return json.loads(out.strip().splitlines()[-1])


@needs_airflow
def test_dags_import_cleanly(described: dict) -> None:
    assert described["import_errors"] == {}
    assert set(described["dags"]) == {"claimwire_poll", "claimwire_transform"}


@needs_airflow
def test_poll_dag_wiring(described: dict) -> None:
    dag = described["dags"]["claimwire_poll"]
    # Data intervals, not trigger times: a plain cron string would give empty intervals.
    assert dag["timetable"] == "CronDataIntervalTimetable"
    assert (dag["cron"], dag["timezone"]) == (DEFAULT_CRON, "UTC")
    assert dag["catchup"] is False
    assert dag["max_active_runs"] == 1
    tasks = dag["tasks"]
    assert set(tasks) == {"choose_window", "plan", "poll_shard", "plan_cc_news",
                          "cc_news_shard", "load", "publish", "record_run"}
    assert tasks["record_run"]["upstream"] == ["load"]
    assert tasks["poll_shard"]["mapped"]
    assert tasks["poll_shard"]["upstream"] == ["choose_window", "plan"]
    assert tasks["cc_news_shard"]["mapped"]
    assert tasks["cc_news_shard"]["upstream"] == ["choose_window", "plan_cc_news"]
    assert tasks["load"]["upstream"] == ["cc_news_shard", "plan", "poll_shard"]
    assert tasks["publish"]["outlets"] == [_normalised_uri(RAW_DOCUMENTS_ASSET["uri"])]


@needs_airflow
def test_transform_dag_wiring(described: dict) -> None:
    dag = described["dags"]["claimwire_transform"]
    assert dag["timetable"] == "AssetTriggeredTimetable"
    assert dag["schedule_assets"] == [_normalised_uri(RAW_DOCUMENTS_ASSET["uri"])]
    tasks = dag["tasks"]
    assert set(tasks) == {"plan", "transform_shard", "load", "derive", "record_run"}
    assert tasks["record_run"]["upstream"] == ["derive"]
    assert tasks["transform_shard"]["mapped"]
    assert tasks["load"]["upstream"] == ["plan", "transform_shard"]
    assert tasks["derive"]["upstream"] == ["load"]
    assert tasks["derive"]["outlets"] == [_normalised_uri(WAREHOUSE_ASSET["uri"])]


@needs_airflow
def test_only_the_loaders_write_and_they_share_one_slot(
    described: dict, airflow_home: AirflowHome
) -> None:
    for dag in described["dags"].values():
        for task_id, task in dag["tasks"].items():
            if task_id in ("load", "derive", "record_run"):
                assert (task["pool"], task["pool_slots"]) == (WAREHOUSE_POOL, 1)
            else:
                assert task["pool"] == "default_pool", task_id
    assert airflow_home.query("SELECT slots FROM slot_pool WHERE pool = ?", (WAREHOUSE_POOL,)) == [
        (1,)
    ]


@needs_airflow
def test_shard_tasks_retry_with_backoff_and_time_out(described: dict) -> None:
    for dag_id, task_id in (
        ("claimwire_poll", "poll_shard"),
        ("claimwire_poll", "cc_news_shard"),
        ("claimwire_transform", "transform_shard"),
    ):
        task = described["dags"][dag_id]["tasks"][task_id]
        assert task["retries"] >= 1, task_id
        assert task["backoff"] > 1.0, task_id
        assert task["timeout"], task_id
    for dag in described["dags"].values():
        assert all(task["timeout"] for tid, task in dag["tasks"].items() if tid != "publish")


# ------------------------------------------------------------------ real runs


@needs_airflow
def test_a_bad_config_fails_the_tasks_with_the_cause_in_their_own_log(
    airflow_home: AirflowHome, tmp_path: Path
) -> None:
    bad = tmp_path / "claimwire.toml"
    bad.write_text("[warehouse\npath = 1\n")
    # The DAG files still import: a worker can start the task, which fails itself.
    out = airflow_home.run(sys.executable, "-c", _DESCRIBE_DAGS, str(DAGS_FOLDER), config=bad)
    assert json.loads(out.strip().splitlines()[-1])["import_errors"] == {}
    env = {**airflow_home.env, "CLAIMWIRE_CONFIG": str(bad), "CLAIMWIRE_TEST_FAIL_FAST": "1"}
    proc = subprocess.run([sys.executable, "-m", "airflow", "dags", "test", "claimwire_poll"],
                          env=env, cwd=airflow_home.root, capture_output=True, text=True,
                          timeout=300)
    run_id, state = airflow_home.query(
        "SELECT run_id, state FROM dag_run WHERE dag_id = 'claimwire_poll' "
        "ORDER BY id DESC LIMIT 1")[0]
    assert state == "failed", proc.stdout[-3000:]
    logs = list((airflow_home.root / "logs" / "dag_id=claimwire_poll" / f"run_id={run_id}"
                 ).glob("task_id=plan/**/*.log"))
    text = "".join(p.read_text(errors="replace") for p in logs) or proc.stdout + proc.stderr
    assert "not valid TOML" in text


@needs_airflow
def test_poll_then_transform(airflow_home: AirflowHome, sample_site: Any, tmp_path: Path) -> None:
    config = _write_config(tmp_path / "live", sample_site.rss_url)

    # A run for the interval that has just closed: a live poll, every new item.
    airflow_home.dags_test("claimwire_poll", config=config)
    poll_run = airflow_home.latest_run("claimwire_poll")
    (documents,) = _warehouse_rows(config, "SELECT count(*) FROM documents")[0]
    assert documents == len(sample_site.articles)
    events = airflow_home.asset_events(RAW_DOCUMENTS_ASSET["uri"], poll_run)
    assert len(events) == 1
    assert events[0][WINDOW_EXTRA_KEY] is None
    assert events[0]["documents_new"] == documents

    # Run without a triggering event: the transform takes every pending document.
    airflow_home.dags_test("claimwire_transform", config=config)
    transform_run = airflow_home.latest_run("claimwire_transform")
    (articles,) = _warehouse_rows(config, "SELECT count(*) FROM articles")[0]
    (claims,) = _warehouse_rows(config, "SELECT count(*) FROM claims")[0]
    (pending,) = _warehouse_rows(config, "SELECT count(*) FROM documents WHERE status = 'pending'")[
        0
    ]
    assert articles >= 1
    assert claims >= 1
    assert pending == 0
    # The derive task worked off what the load queued: every original has a story.
    assert _warehouse_rows(config, "SELECT count(*) FROM derive_queue")[0] == (0,)
    assert _warehouse_rows(
        config, "SELECT count(*) FROM articles WHERE duplicate_of IS NULL AND story_id IS NULL"
    )[0] == (0,)
    assert len(airflow_home.asset_events(WAREHOUSE_ASSET["uri"], transform_run)) == 1

    # Nothing new: the poll loads nothing and emits no event, so no transform follows.
    airflow_home.dags_test("claimwire_poll", config=config)
    quiet_run = airflow_home.latest_run("claimwire_poll")
    assert airflow_home.task_states("claimwire_poll", quiet_run)["publish"] == {"skipped"}
    assert airflow_home.asset_events(RAW_DOCUMENTS_ASSET["uri"], quiet_run) == []
    assert _warehouse_rows(config, "SELECT count(*) FROM documents")[0] == (documents,)

    # Nothing pending: the transform's mapped task, load and derive are skipped cleanly.
    airflow_home.dags_test("claimwire_transform", config=config)
    idle_run = airflow_home.latest_run("claimwire_transform")
    states = airflow_home.task_states("claimwire_transform", idle_run)
    assert states["plan"] == {"success"}
    assert states["load"] == {"skipped"}
    assert states["derive"] == {"skipped"}
    assert airflow_home.asset_events(WAREHOUSE_ASSET["uri"], idle_run) == []

    # Each DAG run has its row in `runs`, as a CLI run does (`claimwire status`).
    recorded = _warehouse_rows(config, "SELECT run_id, kind, status FROM runs ORDER BY run_id")
    assert (f"claimwire_poll/{poll_run}", "airflow:claimwire_poll", "completed") in recorded
    assert (f"claimwire_transform/{transform_run}", "airflow:claimwire_transform",
            "completed") in recorded
    assert (f"claimwire_transform/{idle_run}", "airflow:claimwire_transform",
            "completed") in recorded
    (loaded,) = _warehouse_rows(config, "SELECT articles_loaded FROM runs WHERE run_id = "
                                f"'claimwire_transform/{transform_run}'")[0]
    assert loaded == articles

    # Loaded batches and used plans do not pile up in the staging area.
    staging = config.parent / "claimwire-staging"
    assert [p for p in staging.rglob("*") if p.is_file()] == []


@needs_airflow
def test_backfill_interval_acquires_exactly_its_items(
    airflow_home: AirflowHome, sample_site: Any, tmp_path: Path
) -> None:
    config = _write_config(tmp_path / "backfill", sample_site.rss_url, schedule=WEEKLY_CRON)
    # `dags test` at this logical date runs the weekly interval [Mon 28 Oct, Mon 4 Nov).
    start, end = datetime(2024, 10, 28, tzinfo=UTC), datetime(2024, 11, 4, tzinfo=UTC)
    expected = [a for a in sample_site.articles if start <= a.published < end]
    assert 0 < len(expected) < len(sample_site.articles), "the interval must split the sample"
    query = "SELECT * FROM documents ORDER BY ALL"

    airflow_home.dags_test("claimwire_poll", end.isoformat(), config=config)
    first_run = airflow_home.latest_run("claimwire_poll")
    rows = _warehouse_rows(config, query)
    published = _warehouse_rows(config, "SELECT published_at FROM documents")
    assert len(rows) == len(expected)
    for (moment,) in published:
        # DuckDB returns naive UTC for TIMESTAMP columns.
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        assert start <= moment < end
    (event,) = airflow_home.asset_events(RAW_DOCUMENTS_ASSET["uri"], first_run)
    window = event[WINDOW_EXTRA_KEY]
    assert datetime.fromisoformat(window["start"]) == start
    assert datetime.fromisoformat(window["end"]) == end

    # The same interval again: the same rows. The event still comes, so the transform
    # re-processes the window, as `claimwire backfill` does.
    airflow_home.dags_test("claimwire_poll", end.isoformat(), config=config)
    second_run = airflow_home.latest_run("claimwire_poll")
    assert second_run != first_run
    assert _warehouse_rows(config, query) == rows
    (again,) = airflow_home.asset_events(RAW_DOCUMENTS_ASSET["uri"], second_run)
    assert (again[WINDOW_EXTRA_KEY], again["documents_new"]) == (window, 0)

    # A transform for one day of it (a manual run's conf has the shape of the poll's
    # event extra) processes that day's documents, not everything pending.
    day_start, day_end = start + timedelta(days=1), start + timedelta(days=2)
    in_day = [a for a in expected if day_start <= a.published < day_end]
    assert 0 < len(in_day) < len(expected), "the day must split the interval"
    day = {"start": day_start.isoformat(), "end": day_end.isoformat()}
    conf = json.dumps({WINDOW_EXTRA_KEY: day})
    airflow_home.dags_test("claimwire_transform", "--conf", conf, config=config)
    assert _warehouse_rows(config, "SELECT count(*) FROM articles") == [(len(in_day),)]


@needs_airflow
def test_backfill_interval_also_reads_cc_news_when_configured(
    airflow_home: AirflowHome, tmp_path: Path
) -> None:
    from ccnews_site import DOMAINS, cc_news_site, routes_for
    from servers import serve

    with serve(routes_for(cc_news_site())) as base:
        directory = tmp_path / "cc"
        config = _write_config(directory, "unused", schedule="0 0 * * *")
        # CC-NEWS only: no feeds, so the poll side's mapped task is skipped.
        text = config.read_text(encoding="utf-8").split("[[feeds]]")[0]
        domains = ", ".join(f'"{d}"' for d in DOMAINS)
        config.write_text(text + f'[backfill]\ncc_news = true\ndomains = [{domains}]\n'
                          f'cc_base = "{base}/"\n', encoding="utf-8")

        # The daily interval [1 Nov, 2 Nov): the file open at its start, the ones begun
        # in it and in the 3-day margin.
        airflow_home.dags_test("claimwire_poll", "2024-11-02T00:00:00+00:00", config=config)
        run = airflow_home.latest_run("claimwire_poll")
        warcs = sorted(r.path.rsplit("-", 2)[-2] for r in base.requests
                       if r.path.endswith(".warc.gz"))
        assert warcs == ["20241031060000", "20241101080000", "20241103000000"]
        assert {u for (u,) in _warehouse_rows(config, "SELECT canonical_url FROM documents")} == {
            "https://example-news.com/a/nov-1", "https://daily.test/a/late",
            "https://daily.test/a/margin"}
        states = airflow_home.task_states("claimwire_poll", run)
        assert states["poll_shard"] == {"skipped"}
        assert states["cc_news_shard"] == {"success"}
        assert states["load"] == {"success"}
        (event,) = airflow_home.asset_events(RAW_DOCUMENTS_ASSET["uri"], run)
        assert event[WINDOW_EXTRA_KEY]["start"].startswith("2024-11-01T00:00:00")

        # A live run does not touch CC-NEWS.
        seen = len(base.requests)
        airflow_home.dags_test("claimwire_poll", config=config)
        live = airflow_home.latest_run("claimwire_poll")
        assert base.requests[seen:] == []
        assert airflow_home.task_states("claimwire_poll", live)["cc_news_shard"] == {"skipped"}

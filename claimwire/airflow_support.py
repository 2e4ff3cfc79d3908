"""Shared wiring for the Airflow DAGs in `dags/`: asset names, the writer pool, task settings.

No pipeline logic lives here (the stages are in `claimwire.pipeline`), only the rules
about Airflow runs both DAGs and the tests must agree on: which publication window a
run covers. The module does not import Airflow, so those rules are tested without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

# Emitted by claimwire_poll when new raw documents were loaded; schedules claimwire_transform.
RAW_DOCUMENTS_ASSET = {"name": "claimwire_raw_documents", "uri": "claimwire://raw-documents"}
# Emitted by claimwire_transform after articles and claims were loaded.
WAREHOUSE_ASSET = {"name": "claimwire_warehouse", "uri": "claimwire://warehouse"}

# DuckDB allows one writer process: every task that writes the warehouse runs in this
# pool, and the pool has a single slot. `scripts/airflow-standalone.sh`, the compose
# init service and the tests create it with `airflow pools set claimwire_warehouse 1 ...`.
WAREHOUSE_POOL = "claimwire_warehouse"

# The key of an asset event's `extra` that carries the publication window a poll covered.
WINDOW_EXTRA_KEY = "window"

DAG_DEFAULT_ARGS: dict[str, Any] = {
    "owner": "claimwire",
    "retries": 0,
}

# Feeds and article pages fail transiently (timeouts, 5xx, rate limits): retry with a
# growing delay so a struggling host gets time to recover. The timeout bounds a shard
# whose hosts trickle bytes, beyond the per-request limits of the HTTP client.
POLL_SHARD_ARGS: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    # A multiplier since Airflow 3.3 (True still means 2.0): 2, 4, 8 minutes.
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=1),
}

# One CC-NEWS WARC file (~1 GB) per task, streamed: as long as its own time cap
# ([backfill] cc_total_timeout, 1 h by default) and then some for the pages it keeps.
# Two at a time per run, as the HTTP client allows two connections per host: each task
# has its own client, so the limit has to be Airflow's.
CC_NEWS_SHARD_ARGS: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(hours=1),
    "execution_timeout": timedelta(hours=3),
    "max_active_tis_per_dagrun": 2,
}

# Transform shards are CPU work on archived bytes: a retry only helps when the worker
# itself died (OOM, node loss), so one is enough.
TRANSFORM_SHARD_ARGS: dict[str, Any] = {
    "retries": 1,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(hours=1),
}

# The loader may meet a DuckDB lock held by a CLI run on the same file; loads are
# idempotent, so retrying after a pause is safe.
LOAD_ARGS: dict[str, Any] = {
    "pool": WAREHOUSE_POOL,
    "pool_slots": 1,
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "execution_timeout": timedelta(minutes=30),
}

# Light tasks that only read the warehouse or talk to Airflow.
PLAN_ARGS: dict[str, Any] = {
    "retries": 1,
    "retry_delay": timedelta(minutes=1),
    "execution_timeout": timedelta(minutes=10),
}


def parse_time_settings() -> Any:
    """The `[airflow]` settings a DAG file needs while it is parsed (the schedule).

    A configuration the tasks cannot use must not make the DAG file fail to
    import: a worker would then fail the task before it starts, with the cause
    only in the DAG processor's and scheduler's logs. The defaults stand in,
    the problem is logged, and each task's own `load_config()` raises it again,
    so the cause is in that task's log.
    """
    import logging

    from claimwire.config import AirflowSettings, ConfigError, load_config

    try:
        return load_config().airflow
    except ConfigError as exc:
        logging.getLogger("claimwire.dags").error(
            "claimwire configuration unusable (%s); the DAG keeps its default schedule and "
            "its tasks fail with this cause", exc)
        return AirflowSettings()


def poll_window_bounds(
    run_type: str,
    interval_start: datetime | None,
    interval_end: datetime | None,
    now: datetime,
) -> tuple[datetime, datetime] | None:
    """Which publication window a poll run acquires: its data interval, or None (all new items).

    A live run (the nightly schedule, or a manual trigger, whose interval is the latest
    one to have closed) polls what the feeds offer now and keeps every item not seen
    before, whatever its publication date: items published late, undated items and
    items a failed earlier run missed would otherwise be lost. A backfill run, or any
    run whose interval closed more than one interval ago (catch-up, a re-run of an old
    run), acquires exactly the items published in its interval, so a backfill over a
    date range re-processes that range and nothing else.
    """
    if interval_start is None or interval_end is None or interval_end <= interval_start:
        return None
    # DagRunType is a str enum, so this compares its value.
    if run_type == "backfill":
        return interval_start, interval_end
    if interval_end + (interval_end - interval_start) <= now:
        return interval_start, interval_end
    return None


def transform_window(extras: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """The window a transform run re-processes, from its triggering events' `extra`.

    None (every pending document) when there is no event (a manual run) or when any
    event lacks a window (a live poll, an event created by hand). When every event
    carries one (backfill polls), the range covering them all: consecutive backfill
    intervals merge into one plan, and a gap between them is re-processed harmlessly
    because loads are idempotent.
    """
    windows = [extra.get(WINDOW_EXTRA_KEY) for extra in extras]
    if not windows or not all(w and w.get("start") and w.get("end") for w in windows):
        return None
    start = min(datetime.fromisoformat(w["start"]).astimezone(UTC) for w in windows)
    end = max(datetime.fromisoformat(w["end"]).astimezone(UTC) for w in windows)
    return {"start": start.isoformat(), "end": end.isoformat()}

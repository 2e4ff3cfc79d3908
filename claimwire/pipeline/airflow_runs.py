"""A DAG run's row in the warehouse's `runs` table, as a CLI run has one, so
`claimwire status` shows the runs of an Airflow-fed warehouse too.

The DAGs' last task (`record_run`, trigger rule "all_done") calls
`record_airflow_run` with its task context: the counts the run's load (and
derive) returned through XCom, or, when the load did not succeed, a failed run
(unless the plan had nothing to do, which completes a run with no work).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.pipeline.loading import record_run
from claimwire.pipeline.runs import RunSummary
from claimwire.warehouse.staging import utcnow
from claimwire.window import Window


def _naive(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def airflow_run_id(dag_id: str, run_id: str) -> str:
    """The `runs` key of a DAG run (two DAGs' runs may share an Airflow run id)."""
    return f"{dag_id}/{run_id}"


def record_airflow_run(
    config: Config,
    context: Mapping[str, Any],
    *,
    count_tasks: Iterable[str],
    plan_task: str = "plan",
    window_task: str | None = None,
) -> dict[str, Any]:
    """Record the DAG run of `context` in `runs`; return its row."""
    dag_run, ti = context["dag_run"], context["ti"]
    counts = RunCounts()
    found = False
    for task_id in count_tasks:
        pulled = ti.xcom_pull(task_ids=task_id)
        if isinstance(pulled, Mapping):
            counts.add(dict(pulled))
            found = True
    plans = ti.xcom_pull(task_ids=plan_task)
    window = ti.xcom_pull(task_ids=window_task) if window_task else None
    if found or plans == []:
        status, message = "completed", None
    else:
        status, message = "failed", "the run's load did not succeed: see its task logs"
    summary = RunSummary(
        run_id=airflow_run_id(dag_run.dag_id, dag_run.run_id),
        kind=f"airflow:{dag_run.dag_id}",
        started_at=_naive(getattr(dag_run, "start_date", None)) or utcnow(),
        ended_at=utcnow(),
        counts=counts,
        window=Window.from_dict(window) if window else None,
        status=status,
    )
    row = summary.row()
    row["message"] = message
    record_run(config, row)
    return row

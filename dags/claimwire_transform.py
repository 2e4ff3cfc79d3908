"""claimwire_transform: raw documents -> articles and claims, whenever new documents land.

    plan -> transform_shard (one mapped task per shard of documents) -> load -> derive
    derive -> record_run (the run's row in the warehouse's `runs`, whatever became of it)

`load` and `derive` are the writers (one slot of the `claimwire_warehouse` pool); `derive`
marks near duplicates, assigns stories and claim clusters and rebuilds the search index.

Scheduled on the `claimwire://raw-documents` asset that `claimwire_poll` emits. The
window comes from the triggering events' `extra`: when every event carries one (the
polls were backfills), the documents published in the range covering them are
re-processed; otherwise (a live poll, an event created by hand) every pending document
is. A manual run takes the same `extra` shape as its conf, to re-process a range:

    airflow dags trigger claimwire_transform --conf \
        '{"window": {"start": "2024-10-28T00:00:00Z", "end": "2024-11-04T00:00:00Z"}}'

Loads are idempotent, so re-processing adds no rows.

Wiring only: the work is done by `claimwire.pipeline`, imported inside the tasks so
parsing this file stays cheap for the DAG processor.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from airflow.sdk import Asset, dag, get_current_context, task

from claimwire.airflow_support import (
    DAG_DEFAULT_ARGS,
    LOAD_ARGS,
    PLAN_ARGS,
    RAW_DOCUMENTS_ASSET,
    TRANSFORM_SHARD_ARGS,
    WAREHOUSE_ASSET,
    transform_window,
)
from claimwire.config import load_config

RAW_DOCUMENTS = Asset(**RAW_DOCUMENTS_ASSET)
WAREHOUSE = Asset(**WAREHOUSE_ASSET)

log = logging.getLogger("claimwire.dags.transform")


@dag(
    dag_id="claimwire_transform",
    schedule=[RAW_DOCUMENTS],
    start_date=datetime(2024, 10, 1, tzinfo=UTC),
    catchup=False,
    # Runs queue up behind each other: each plans from the pending set the last one loaded.
    max_active_runs=1,
    default_args=DAG_DEFAULT_ARGS,
    tags=["claimwire"],
    doc_md=__doc__,
)
def claimwire_transform() -> None:
    @task(**PLAN_ARGS)
    def plan() -> list[str]:
        from claimwire.pipeline import Window, plan_transform

        context = get_current_context()
        # Several poll runs' events can be queued for one transform run.
        events = context["triggering_asset_events"].get(RAW_DOCUMENTS, [])
        extras = [event.extra for event in events]
        if not extras and context["dag_run"].conf:
            extras = [context["dag_run"].conf]  # a manual run
        window = Window.from_dict(transform_window(extras))
        log.info("%d triggering event(s): %s", len(events), window or "every pending document")
        return plan_transform(load_config(), window=window)

    @task(**TRANSFORM_SHARD_ARGS)
    def transform_shard(plan_path: str) -> str:
        from claimwire import pipeline

        return pipeline.transform_shard(
            load_config(), plan_path, run_id=get_current_context()["run_id"]
        )

    # Nothing pending -> no shards -> the mapped task, the load and the derive are
    # skipped, the run succeeds and no warehouse event is emitted.
    @task(**LOAD_ARGS)
    def load(batch_dirs: list[str], plan_paths: list[str]) -> dict[str, int]:
        from claimwire.pipeline import load_staged, remove_plans

        # The slice fetches every shard's result in one request; iterating the lazy
        # sequence would make one request per shard. Transform batches a failed run left
        # behind are not picked up: their documents are still pending and are redone.
        counts = load_staged(load_config(), batch_dirs[:], run_id=get_current_context()["run_id"],
                             derive_after=False).to_dict()
        remove_plans(plan_paths[:])  # local files, or objects on a store
        return counts

    # Near duplicates, stories, claim clusters and the search index of what the load
    # queued (and of anything an earlier failed derive left queued).
    @task(outlets=[WAREHOUSE], **LOAD_ARGS)
    def derive(loaded: dict[str, int]) -> dict[str, int]:
        from claimwire.pipeline import derive_staged

        counts = derive_staged(load_config()).to_dict()
        log.info("loaded %s; derived %s", loaded, counts)
        return counts

    @task(trigger_rule="all_done", **LOAD_ARGS)
    def record_run() -> None:
        from claimwire.pipeline.airflow_runs import record_airflow_run

        record_airflow_run(load_config(), get_current_context(), count_tasks=["load", "derive"])

    plans = plan()
    derive(load(transform_shard.expand(plan_path=plans), plans)) >> record_run()


claimwire_transform()

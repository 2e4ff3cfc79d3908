"""claimwire_poll: poll the feeds, fetch new items into the raw archive, load them.

    choose_window, plan -> poll_shard (mapped: one task per shard of feeds) -> load -> publish
    choose_window -> plan_cc_news -> cc_news_shard (mapped: one task per CC-NEWS file) -> load
    load -> record_run (the run's row in the warehouse's `runs`, whatever became of it)

`publish` emits an event on `claimwire://raw-documents` when documents landed, and
always for a backfill run; the event schedules `claimwire_transform`. Which
publication window a run acquires is decided once, in `choose_window` (see
`claimwire.airflow_support.poll_window_bounds`): the nightly run takes every new item
the feeds offer; a backfill run (`airflow backfill create --dag-id claimwire_poll ...`)
takes exactly the items published in its data interval (walking the feeds' archives,
and, with `[backfill] cc_news = true`, reading the Common Crawl news archive's WARC
files for it), and the transform then re-processes that interval. Loads are
idempotent, so re-runs add no rows.

Wiring only: the work is done by `claimwire.pipeline`, imported inside the tasks so
parsing this file stays cheap for the DAG processor.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from claimwire.airflow_support import (
    CC_NEWS_SHARD_ARGS,
    DAG_DEFAULT_ARGS,
    LOAD_ARGS,
    PLAN_ARGS,
    POLL_SHARD_ARGS,
    RAW_DOCUMENTS_ASSET,
    WINDOW_EXTRA_KEY,
    parse_time_settings,
    poll_window_bounds,
)
from claimwire.config import load_config

RAW_DOCUMENTS = Asset(**RAW_DOCUMENTS_ASSET)

log = logging.getLogger("claimwire.dags.poll")

# Read at parse time for the schedule only; tasks re-read the config when they run.
_SETTINGS = parse_time_settings()


@dag(
    dag_id="claimwire_poll",
    # A data-interval timetable: a plain cron string would give runs whose interval
    # is empty (start == end), and backfills would then have no range to acquire.
    schedule=CronDataIntervalTimetable(_SETTINGS.schedule, timezone="UTC"),
    # Earliest interval a catch-up can create; `airflow backfill create` is bounded by
    # its own --from-date.
    start_date=datetime(2024, 10, 1, tzinfo=UTC),
    catchup=_SETTINGS.catchup,
    # One run at a time: the next run's plan must see the feed state the previous one
    # loaded. (Backfill runs obey `airflow backfill create --max-active-runs` instead.)
    max_active_runs=1,
    default_args=DAG_DEFAULT_ARGS,
    tags=["claimwire"],
    doc_md=__doc__,
)
def claimwire_poll() -> None:
    @task(**PLAN_ARGS)
    def choose_window() -> dict[str, str]:
        from claimwire.pipeline import Window

        dag_run = get_current_context()["dag_run"]
        bounds = poll_window_bounds(
            dag_run.run_type,
            dag_run.data_interval_start,
            dag_run.data_interval_end,
            datetime.now(UTC),
        )
        # Decided once per run, not in each shard: a shard retried hours later must
        # acquire the same window as its siblings. {} rather than None for "no window":
        # a task that returns None stores no XCom, and every consumer would log a miss.
        window = Window(*bounds).to_dict() if bounds else {}
        log.info("%s run: %s", dag_run.run_type.value, window or "every new item (live poll)")
        return window

    @task(**PLAN_ARGS)
    def plan() -> list[str]:
        from claimwire.pipeline import plan_poll

        return plan_poll(load_config())

    @task(**POLL_SHARD_ARGS)
    def poll_shard(plan_path: str, window: dict[str, str]) -> str:
        from claimwire import pipeline

        return pipeline.poll_shard(
            load_config(),
            plan_path,
            run_id=get_current_context()["run_id"],
            window=pipeline.Window.from_dict(window),
        )

    @task(**PLAN_ARGS)
    def plan_cc_news(window: dict[str, str]) -> list[dict]:
        from claimwire import pipeline
        from claimwire.pipeline.ccnews import plan_cc_news

        # [] for a live run or with [backfill] cc_news off: the mapped task is skipped.
        return plan_cc_news(load_config(), pipeline.Window.from_dict(window))

    @task(**CC_NEWS_SHARD_ARGS)
    def cc_news_shard(shard: dict, window: dict[str, str]) -> str:
        from claimwire import pipeline
        from claimwire.pipeline.ccnews import acquire_cc_news

        return acquire_cc_news(load_config(), shard, pipeline.Window.from_dict(window),
                               run_id=get_current_context()["run_id"])

    # Either mapped task may be skipped (no feeds; no CC-NEWS files): load what the
    # other staged, but nothing when one of them failed.
    @task(**LOAD_ARGS, trigger_rule="none_failed_min_one_success")
    def load(batch_dirs: list[str], plan_paths: list[str],
             cc_news_batches: list[str]) -> dict[str, int]:
        from claimwire.pipeline import load_staged, remove_plans

        config = load_config()
        # The slice fetches every shard's result in one request; iterating the lazy
        # sequence would make one request per shard. Poll batches a failed run left
        # behind are loaded first, so this run's newer feed state wins.
        counts = load_staged(config, [*batch_dirs[:], *cc_news_batches[:]],
                             run_id=get_current_context()["run_id"],
                             leftovers="poll").to_dict()
        remove_plans(plan_paths[:])  # local files, or objects on a store
        return counts

    @task(outlets=[RAW_DOCUMENTS])
    def publish(counts: dict[str, int], window: dict[str, str]) -> None:
        if not counts.get("documents_new") and not window:
            # A live poll that found nothing new: a skipped task emits no asset event,
            # so no transform run is scheduled. A backfill run always emits one: like
            # `claimwire backfill`, it re-processes its window even when every item was
            # acquired before (say, after the extractor improved).
            raise AirflowSkipException("no new raw documents")
        context = get_current_context()
        dag_run = context["dag_run"]
        interval = None
        if dag_run.data_interval_start and dag_run.data_interval_end:
            interval = {
                "start": dag_run.data_interval_start.isoformat(),
                "end": dag_run.data_interval_end.isoformat(),
            }
        context["outlet_events"][RAW_DOCUMENTS].extra = {
            # None: the transform takes everything pending; a window: it re-processes
            # every document published in that range.
            WINDOW_EXTRA_KEY: window or None,
            "data_interval": interval,
            "run_id": dag_run.run_id,
            "run_type": str(dag_run.run_type.value),
            "documents_new": counts.get("documents_new", 0),
        }

    @task(trigger_rule="all_done", **LOAD_ARGS)
    def record_run() -> None:
        from claimwire.pipeline.airflow_runs import record_airflow_run

        record_airflow_run(load_config(), get_current_context(), count_tasks=["load"],
                           window_task="choose_window")

    window = choose_window()
    # Either mapped task is skipped when it has nothing to do (no feeds; a live run or
    # no CC-NEWS); load still runs for the other, and publish decides on an event.
    plans = plan()
    batches = poll_shard.partial(window=window).expand(plan_path=plans)
    cc_news = cc_news_shard.partial(window=window).expand(shard=plan_cc_news(window))
    loaded = load(batches, plans, cc_news)
    publish(loaded, window)
    loaded >> record_run()


claimwire_poll()

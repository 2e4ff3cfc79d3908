"""The one place that composes the stages.

    planning  -> which feeds to poll, which documents to transform: plan files
    polling   -> a shard of feeds polled, new pages fetched: a staged poll batch
    sources   -> backfill sources (archived feeds, sitemaps, WARC files): the same
    ccnews    -> Common Crawl's news archive: the WARC files a window needs, each a
                 source streamed through the HTTP client
    workers   -> a shard of documents extracted, deduplicated, claims found: a
                 staged transform batch, in worker processes (handed on as each
                 shard finishes, so finished shards load while slow ones run)
    overlap   -> a polling run's fetched pages transformed in the workers while
                 the fetch goes on; staged once the poll is loaded
    loading   -> staged batches into the warehouse (the one writer), then derive;
                 a batch that cannot be loaded is quarantined and its items undone
    runs      -> run_ingest / run_backfill: all of the above in this process
    timings   -> where a run's time went (stages, worker start, politeness waits, CPU)

Every stage function takes the Config and plain, serialisable arguments (str
paths, a Window), so the CLI and the Airflow tasks call the same code. Only
`loading` opens the warehouse for writing; planners open it read-only; shard
functions never open it. Shards hand their output to the loader as staged
batch directories (`warehouse.staging`).

Names are imported on first use: a transform worker process, which imports
`claimwire.pipeline.workers`, then does not pay for the loader, the HTTP
client and the planners it never calls.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claimwire.errors import (
        NoFeedsError,
    )
    from claimwire.pipeline.loading import (
        batch_counts,
        check_staged,
        derive_reporting,
        derive_staged,
        edit_feeds,
        import_feeds,
        load_staged,
        rebuild_search_index,
        record_run,
    )
    from claimwire.pipeline.planning import (
        feed_states,
        plan_poll,
        plan_transform,
        remove_plans,
        transform_shard_size,
    )
    from claimwire.pipeline.polling import (
        poll_shard,
    )
    from claimwire.pipeline.runs import (
        RunSummary,
        new_run_id,
        run_backfill,
        run_ingest,
    )
    from claimwire.pipeline.sources import (
        ArchivedFeed,
        BackfillSource,
        CCNewsWarc,
        Sitemap,
        WarcFile,
        acquire,
        backfill_sources,
    )
    from claimwire.pipeline.workers import (
        transform_batches,
        transform_in_workers,
        transform_pool,
        transform_shard,
        warm_worker,
    )
    from claimwire.window import (
        Window,
    )

_HOME = {
    "NoFeedsError": "claimwire.errors",
    "batch_counts": "claimwire.pipeline.loading",
    "check_staged": "claimwire.pipeline.loading",
    "derive_reporting": "claimwire.pipeline.loading",
    "derive_staged": "claimwire.pipeline.loading",
    "edit_feeds": "claimwire.pipeline.loading",
    "import_feeds": "claimwire.pipeline.loading",
    "load_staged": "claimwire.pipeline.loading",
    "rebuild_search_index": "claimwire.pipeline.loading",
    "record_run": "claimwire.pipeline.loading",
    "feed_states": "claimwire.pipeline.planning",
    "plan_poll": "claimwire.pipeline.planning",
    "plan_transform": "claimwire.pipeline.planning",
    "remove_plans": "claimwire.pipeline.planning",
    "transform_shard_size": "claimwire.pipeline.planning",
    "poll_shard": "claimwire.pipeline.polling",
    "RunSummary": "claimwire.pipeline.runs",
    "new_run_id": "claimwire.pipeline.runs",
    "run_backfill": "claimwire.pipeline.runs",
    "run_ingest": "claimwire.pipeline.runs",
    "ArchivedFeed": "claimwire.pipeline.sources",
    "BackfillSource": "claimwire.pipeline.sources",
    "CCNewsWarc": "claimwire.pipeline.sources",
    "Sitemap": "claimwire.pipeline.sources",
    "WarcFile": "claimwire.pipeline.sources",
    "acquire": "claimwire.pipeline.sources",
    "backfill_sources": "claimwire.pipeline.sources",
    "transform_batches": "claimwire.pipeline.workers",
    "transform_in_workers": "claimwire.pipeline.workers",
    "transform_pool": "claimwire.pipeline.workers",
    "transform_shard": "claimwire.pipeline.workers",
    "warm_worker": "claimwire.pipeline.workers",
    "Window": "claimwire.window",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "ArchivedFeed", "BackfillSource", "CCNewsWarc", "NoFeedsError", "RunSummary", "Sitemap",
    "WarcFile", "Window", "acquire", "backfill_sources", "batch_counts", "check_staged",
    "derive_reporting", "derive_staged", "edit_feeds", "feed_states", "import_feeds", "load_staged",
    "new_run_id", "plan_poll", "plan_transform", "poll_shard", "rebuild_search_index",
    "record_run", "remove_plans", "run_backfill", "run_ingest", "transform_batches",
    "transform_in_workers", "transform_pool", "transform_shard", "transform_shard_size",
    "warm_worker",
]

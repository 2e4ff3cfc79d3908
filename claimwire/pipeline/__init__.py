"""The one place that composes the stages.

    planning  -> which feeds to poll, which documents to transform: plan files
    polling   -> a shard of feeds polled, new pages fetched: a staged poll batch
    sources   -> backfill sources (archived feeds, sitemaps, WARC files): the same
    ccnews    -> Common Crawl's news archive: the WARC files a window needs, each a
                 source streamed through the HTTP client
    workers   -> a shard of documents extracted, deduplicated, claims found: a
                 staged transform batch, in worker processes (handed on as each
                 shard finishes, so finished shards load while slow ones run)
    loading   -> staged batches into the warehouse (the one writer), then derive;
                 a batch that cannot be loaded is quarantined and its items undone
    runs      -> run_ingest / run_backfill: all of the above in this process

Every stage function takes the Config and plain, serialisable arguments (str
paths, a Window), so the CLI and the Airflow tasks call the same code. Only
`loading` opens the warehouse for writing; planners open it read-only; shard
functions never open it. Shards hand their output to the loader as staged
batch directories (`warehouse.staging`).
"""

from claimwire.errors import NoFeedsError
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
from claimwire.pipeline.polling import poll_shard
from claimwire.pipeline.runs import RunSummary, new_run_id, run_backfill, run_ingest
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
from claimwire.window import Window

__all__ = [
    "ArchivedFeed", "BackfillSource", "CCNewsWarc", "NoFeedsError", "RunSummary", "Sitemap",
    "WarcFile", "Window", "acquire", "backfill_sources", "batch_counts", "check_staged",
    "derive_reporting", "derive_staged", "edit_feeds", "feed_states", "import_feeds", "load_staged",
    "new_run_id", "plan_poll", "plan_transform", "poll_shard", "rebuild_search_index",
    "record_run", "remove_plans", "run_backfill", "run_ingest", "transform_batches",
    "transform_in_workers", "transform_pool", "transform_shard", "transform_shard_size",
    "warm_worker",
]

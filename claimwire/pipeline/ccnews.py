"""Common Crawl's news archive (CC-NEWS) as a backfill source: which files, which sites.

    cc_news_options(config, domains, base)   -> CCNewsOptions (sites, mirror, margin)
    cc_news_sources(config, window, options) -> [CCNewsWarc, ...]: one backfill unit per
                                                WARC file, for `run_backfill` (the CLI)
    plan_cc_news(config, window)             -> shards of WARC paths (the Airflow poll DAG
                                                maps one task over each)
    acquire_cc_news(config, shard, window)   -> one staged poll batch per shard

Listing and selection live in `ingest.ccnews`; reading a file is `CCNewsWarc.collect`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from claimwire.config import Config
from claimwire.errors import UsageError
from claimwire.ingest.ccnews import CC_NEWS_BASE, DomainFilter, feed_domain, list_cc_news
from claimwire.ingest.http import HttpClient
from claimwire.pipeline.planning import feed_states
from claimwire.pipeline.progress import FileProgress
from claimwire.pipeline.sources import CCNewsWarc, acquire
from claimwire.window import Window

log = logging.getLogger(__name__)

# Airflow maps at most 1,024 task instances; a longer interval's files share tasks.
MAX_SHARDS = 1000


@dataclass(frozen=True)
class CCNewsOptions:
    domains: tuple[str, ...]  # normalised; never empty
    base: str
    margin: timedelta


def cc_news_options(
    config: Config, domains: Iterable[str] = (), base: str | None = None
) -> CCNewsOptions:
    """The sites to keep: `domains`, else `[backfill] domains`, else the configured
    feeds' domains. Raises UsageError when that leaves none or one is not a domain."""
    settings = config.backfill
    wanted = list(domains) or list(settings.domains)
    if not wanted:
        wanted = [d for s in feed_states(config) if not s.disabled
                  if (d := feed_domain(s.feed_url)) is not None]
    try:
        chosen = DomainFilter(wanted)
    except ValueError as exc:
        raise UsageError(f"CC-NEWS: {exc}") from None
    if not chosen:
        raise UsageError("CC-NEWS needs the sites to keep: give --domain, set [backfill] "
                         "domains, or configure feeds")
    base = base or settings.cc_base or CC_NEWS_BASE
    if not base.startswith(("http://", "https://")):
        raise UsageError(f"CC-NEWS base must be an http(s) URL: {base!r}")
    return CCNewsOptions(chosen.domains, base, timedelta(days=settings.cc_margin_days))


def cc_news_sources(
    config: Config,
    window: Window,
    options: CCNewsOptions,
    *,
    paths: list[str] | None = None,
    say: Callable[[str], None] | None = None,
) -> list[CCNewsWarc]:
    """One source per WARC file that can hold pages of the window, in crawl order.

    The month listings are read now (raising `CCNewsUnavailable` when one
    cannot be), unless `paths` gives the files already chosen.
    """
    if paths is None:
        with HttpClient(config.http) as client:
            listing = list_cc_news(client, options.base, window, options.margin)
        if say:
            say(f"[cc-news] {listing.describe()}; keeping pages of "
                f"{_domain_list(options.domains)}")
        paths = [f.path for f in listing.files]
    progress = FileProgress(len(paths))
    settings = config.backfill
    return [
        CCNewsWarc(path, options.base, options.domains, settings.cc_max_bytes,
                   settings.cc_total_timeout, position=index, progress=progress)
        for index, path in enumerate(paths, 1)
    ]


def plan_cc_news(config: Config, window: Window | None) -> list[dict[str, Any]]:
    """For an Airflow backfill run with `[backfill] cc_news = true`: the window's files in
    at most MAX_SHARDS shards (JSON for XCom). Nothing for a live run or when off."""
    if window is None or not config.backfill.cc_news:
        return []
    options = cc_news_options(config)
    paths = [s.path for s in cc_news_sources(config, window, options, say=log.info)]
    if not paths:
        return []
    size = math.ceil(len(paths) / MAX_SHARDS)
    return [
        {"base": options.base, "domains": list(options.domains), "paths": paths[i:i + size]}
        for i in range(0, len(paths), size)
    ]


def acquire_cc_news(
    config: Config,
    shard: dict[str, Any],
    window: Window,
    *,
    run_id: str,
    say: Callable[[str], None] | None = None,
) -> str:
    """Read a shard's WARC files and stage what they hold for the window; the batch dir."""
    options = CCNewsOptions(tuple(shard["domains"]), shard["base"],
                            timedelta(days=config.backfill.cc_margin_days))
    sources = cc_news_sources(config, window, options, paths=list(shard["paths"]))
    speak = say or log.info
    return acquire(config, sources, window, run_id=run_id,
                   report=lambda unit, line: speak(f"[{unit}] {line}"))


def _domain_list(domains: tuple[str, ...], shown: int = 5) -> str:
    text = ", ".join(domains[:shown])
    return text + (f" and {len(domains) - shown} more" if len(domains) > shown else "")

"""`claimwire feeds ...`: the feed list, managed from the command line.

Two origins: feeds in claimwire.toml ("config") and feeds added or imported
into the warehouse ("warehouse"). Every change is a staged "feed_edits"
batch loaded by the one writer (`pipeline.loading.edit_feeds`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from claimwire.config import Config
from claimwire.errors import UsageError
from claimwire.records import FeedState

Say = Callable[[str], None]

LIST_COLUMNS = ["feed_url", "origin", "name", "tags", "state", "last_result", "last_status",
                "last_error", "next_due", "items_seen"]


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    return url


def _stored(config: Config) -> dict[str, FeedState]:
    from claimwire.pipeline.planning import stored_feed_states

    return {f.feed_url: f for f in stored_feed_states(config)}


def _edit(config: Config, edits: list[dict[str, Any]], prefix: str = "feeds") -> int:
    from claimwire.pipeline import edit_feeds, new_run_id

    return edit_feeds(config, edits, run_id=new_run_id(prefix))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def add_feeds(config: Config, urls: Sequence[str], *, name: str | None = None,
              tags: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """List `urls` in the warehouse; returns (added, already listed)."""
    urls = [check_url(u) for u in urls]
    stored = _stored(config)
    configured = {f.url for f in config.feeds}
    known = [u for u in urls if (u in stored and stored[u].listed) or u in configured]
    fresh = [u for u in urls if u not in known]
    if fresh:
        _edit(config, [{"feed_url": u, "name": name, "tags": ",".join(tags) or None,
                        "listed": True, "added_at": _now()} for u in fresh])
    return fresh, known


def _known(config: Config, url: str) -> tuple[FeedState | None, bool]:
    stored = _stored(config).get(url)
    configured = any(f.url == url for f in config.feeds)
    if not configured and not (stored and stored.listed):
        raise UsageError(f"{url} is not in the feed list (`claimwire feeds list` shows it)")
    return stored, configured


def remove_feed(config: Config, url: str) -> None:
    _, configured = _known(config, url)
    if configured:
        where = config.source or "claimwire.toml"
        raise UsageError(f"{url} is listed in {where}: remove it there "
                         f"(or `claimwire feeds disable {url}`)")
    _edit(config, [{"feed_url": url, "listed": False}])


def set_disabled(config: Config, url: str, disabled: bool) -> None:
    _known(config, url)
    if disabled:
        edit = {"feed_url": url, "disabled": True,
                "disabled_reason": "disabled by `claimwire feeds disable`"}
    else:  # a fresh start: no back-off from earlier failures
        edit = {"feed_url": url, "disabled": False, "disabled_reason": None,
                "consecutive_failures": 0}
    _edit(config, [{**edit, "added_at": _now()}])


def feed_list_rows(config: Config, now: datetime | None = None) -> list[tuple[Any, ...]]:
    """One row per feed an ingest polls (LIST_COLUMNS), config feeds first."""
    from claimwire.ingest.poll import next_due
    from claimwire.pipeline import feed_states

    now = now or datetime.now(UTC)
    configured = {f.url for f in config.feeds}
    rows = []
    for s in feed_states(config):
        if s.disabled:
            state, due = f"disabled: {s.disabled_reason or 'disabled'}", "never (disabled)"
        else:
            state = "enabled"
            when = next_due(s, config.polling.failure_backoff_hours)
            due = "next run" if when is None or when <= now else (
                f"{when:%Y-%m-%d %H:%M} UTC (backing off)")
        rows.append((s.feed_url, "config" if s.feed_url in configured else "warehouse",
                     s.name or s.title, s.tags, state, s.last_result or "never polled",
                     s.last_status, s.last_error, due, s.items_seen or 0))
    return rows


def import_opml(config: Config, path: Path) -> tuple[int, int, list[tuple[str, str]]]:
    """Feeds of an OPML file listed; returns (imported, already listed, skipped with reasons)."""
    from claimwire.ingest.opml import read_opml_lenient

    result = read_opml_lenient(path)
    if not result.feeds:
        reasons = "; ".join(f"{what}: {why}" for what, why in result.skipped[:3])
        raise UsageError(f"{path}: no feeds (outlines with an http(s) xmlUrl) found"
                         + (f" ({reasons})" if reasons else ""))
    now = _now()
    rows = [{"feed_url": f.url, "name": f.name, "tags": ",".join(f.tags) or None,
             "listed": True, "added_at": now} for f in result.feeds]
    added = _edit(config, rows, "opml")
    return added, len(rows) - added, result.skipped

"""Failed fetches in plain sight: grouped by reason, counted, with example URLs.

Used by the run summary (this run's failures) and `claimwire failures`
(those since a time, and the pages waiting to be fetched again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

EXAMPLES = 3


@dataclass
class FailureGroup:
    kind: str  # feed or page
    reason: str
    count: int = 0
    urls: list[str] = field(default_factory=list)
    last_seen: datetime | None = None


def reason_of(error: str) -> str:
    """The reason of an error text without its details in parentheses, e.g.
    "bad_content_type: text/html" or "http_status: 404"."""
    reason = error.split(" (", 1)[0].strip()
    return reason if len(reason) <= 80 else reason[:79] + "…"


def group_failures(rows: list[tuple[Any, ...]], examples: int = EXAMPLES) -> list[FailureGroup]:
    """Rows of `warehouse.queries.failed_fetches` merged by kind and reason."""
    groups: dict[tuple[str, str], FailureGroup] = {}
    for kind, error, count, urls, last_seen in rows:
        group = groups.setdefault((kind, reason_of(error)), FailureGroup(kind, reason_of(error)))
        group.count += int(count)
        group.urls += [u for u in urls or [] if u not in group.urls][: examples - len(group.urls)]
        if last_seen is not None and (group.last_seen is None or last_seen > group.last_seen):
            group.last_seen = last_seen
    return sorted(groups.values(), key=lambda g: (-g.count, g.kind, g.reason))


def read_failures(
    con: duckdb.DuckDBPyConnection, *, run_id: str | None = None, since: datetime | None = None,
) -> list[FailureGroup]:
    from claimwire.warehouse.queries import failed_fetches

    try:
        return group_failures(failed_fetches(con, run_id=run_id, since=since))
    except duckdb.CatalogException:  # a warehouse without tables yet
        return []


def summary_lines(groups: list[FailureGroup]) -> list[str]:
    """The run summary's "failures by reason" section."""
    if not groups:
        return []
    lines = ["  failures by reason"]
    for g in groups:
        lines.append(f"    {g.count:>5}  {g.kind} {g.reason}")
        more = g.count - len(g.urls)
        for url in g.urls:
            lines.append(f"           {url}")
        if more > 0:
            lines.append(f"           ... and {more} more (`claimwire failures` lists them)")
    return lines


def failure_rows(groups: list[FailureGroup]) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = ["kind", "reason", "count", "last_seen", "examples"]
    return columns, [(g.kind, g.reason, g.count, g.last_seen, " ".join(g.urls)) for g in groups]


def retry_rows(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Pages waiting to be fetched again, with their attempts so far."""
    from claimwire.warehouse.queries import page_retries

    columns = ["url", "feed_url", "attempts", "last_error", "next_attempt_at"]
    try:
        pending = page_retries(con)
    except duckdb.CatalogException:
        return columns, []
    return columns, [(r["canonical_url"], r["feed_url"], r["attempts"], r["last_error"],
                      r["next_attempt_at"]) for r in pending]

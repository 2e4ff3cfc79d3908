"""`claimwire demo`: the real ingest over HTTP against the bundled sample site."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from dataclasses import replace

from claimwire.config import Config, FeedConfig
from claimwire.output import format_rows

# A fixed port keeps the sample site's URLs, and so the warehouse's keys, the
# same from one demo run to the next; a free port is used when it is taken.
DEFAULT_DEMO_PORT = 8765


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def demo_config(config: Config, rss_url: str, atom_url: str) -> Config:
    feeds = (
        FeedConfig(url=rss_url, name="Sample news (RSS)", tags=("sample",)),
        FeedConfig(url=atom_url, name="Sample news (Atom)", tags=("sample",)),
    )
    # The sample site runs on loopback, which the address guard refuses by default.
    return replace(config, feeds=feeds).with_extra_networks(["127.0.0.1/32"])


def run_demo(config: Config, *, port: int | None, report: Callable[[str], None]) -> int:
    from claimwire.pipeline import run_ingest
    from claimwire.sample_site import serve_sample_site
    from claimwire.warehouse.db import reading
    from claimwire.warehouse.queries import article_overview, claim_overview

    chosen = port if port is not None else (
        DEFAULT_DEMO_PORT if _port_free(DEFAULT_DEMO_PORT) else 0
    )
    with serve_sample_site(port=chosen) as site:
        report(f"sample site serving at {site.base_url}")
        report(f"warehouse: {config.warehouse_path}")
        summary = run_ingest(
            demo_config(config, site.rss_url, site.atom_url), report=report, kind="demo"
        )
    g = summary.get
    print(
        f"demo run {summary.run_id}: {g('feeds_polled')} feeds polled "
        f"({g('feeds_not_modified')} not modified), {g('items_new')} new items, "
        f"{g('pages_fetched')} pages fetched, {g('articles_loaded')} articles loaded, "
        f"{g('claims_loaded')} claims loaded"
    )
    with reading(config.warehouse) as con:
        articles = article_overview(con)
        claims = claim_overview(con)
    print("\narticles in the warehouse")
    print(format_rows(*articles, max_width=70))
    print("\nclaims of the sample story")
    print(format_rows(*claims, max_width=90))
    print(
        f"\nquery it yourself: claimwire sql \"SELECT speaker_canonical, stance, content "
        f"FROM claims\"  (warehouse {config.warehouse_path})"
    )
    given = f" --config {config.source}" if config.source else ""
    print(f"explore it in a browser: claimwire serve{given}  (then open http://127.0.0.1:8080/)")
    return 0

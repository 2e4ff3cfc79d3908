"""The `claimwire` command: a thin layer over the pipeline and the warehouse."""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from claimwire import __version__
from claimwire.config import Config, ConfigError, load_config
from claimwire.errors import (
    DeriveError,
    NoFeedsError,
    SourceUnavailable,
    UsageError,
    WarehouseError,
)
from claimwire.output import FORMATS, format_rows

if TYPE_CHECKING:  # heavy imports wait for the commands that need them
    import duckdb

    from claimwire.pipeline import RunSummary


# Exit status of an ingest in which every feed polled failed.
ALL_FEEDS_FAILED = 3

# Dates outside this range are typos (a backfill to 9999-12-31 would overflow).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2200, 12, 31)


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text} is outside {FIRST_DAY} .. {LAST_DAY}")
    return day


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
    return value


def _positive(text: str) -> int:
    return _whole_number(text, 1)


def _count(text: str) -> int:
    return _whole_number(text, 0)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line (`--help` shows the usage), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"claimwire: error: {self.prog}: {message} (see --help)\n")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if getattr(args, "allow_network", None):
        config = config.with_extra_networks(args.allow_network)
    return config


@contextlib.contextmanager
def _reading(config: Config) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only; waits (saying so) while a load holds the lock."""
    from claimwire.warehouse.db import reading

    with reading(config.warehouse, on_wait=_say) as con:
        # A table name missing here must not find a Python object of that name instead.
        con.execute("SET python_enable_replacements = false")
        if not con.execute("SELECT count(*) FROM duckdb_tables() "
                           "WHERE table_name = 'schema_migrations'").fetchone()[0]:
            raise WarehouseError(f"the warehouse {config.warehouse} is empty (no claimwire "
                                 "tables yet): run `claimwire ingest` or `claimwire demo` first")
        yield con


def _print_summary(summary: RunSummary, *, timings: bool = False) -> None:
    g = summary.get
    lines = [
        f"run {summary.run_id} completed",
        f"  feeds polled      {g('feeds_polled')}"
        f" (not modified {g('feeds_not_modified')}, unchanged {g('feeds_unchanged')},"
        f" empty {g('feeds_empty')}, failed {g('feeds_failed')})",
        f"  items new         {g('items_new')}",
        f"  pages fetched     {g('pages_fetched')} (failed {g('pages_failed')},"
        f" retried {g('pages_retried')})",
        f"  documents         {g('documents_transformed')} transformed"
        f" (extraction failed {g('extraction_failed')})",
        f"  articles loaded   {g('articles_loaded')}"
        f" (duplicates {g('exact_duplicates') + g('near_duplicates')},"
        f" re-processed {g('articles_replaced')})",
        f"  claims loaded     {g('claims_loaded')}",
    ]
    if g("claims_skipped"):
        lines.append(f"  claims skipped    {g('claims_skipped')} article(s) too long or too slow "
                     "(documents.error says which)")
    if g("feeds_deferred") or g("pages_deferred"):
        lines.append(f"  left for later    {g('feeds_deferred')} feed(s), {g('pages_deferred')} "
                     "page(s): the fetch budget was spent")
    if g("batches_quarantined"):
        lines.append(f"  quarantined       {g('batches_quarantined')} staged batch(es) that could "
                     "not be loaded (see `claimwire status`); their items are fetched again")
    if g("derive_failed"):
        lines.append(f"  derive failed     {g('derive_failed')} article(s), kept queued "
                     "(see `claimwire status`; `claimwire derive --retry` after a fix)")
    lines.append(f"  time              {summary.timings.line()}")
    if timings:
        lines += [f"    {line}" for line in summary.timings.detail()]
    print("\n".join(lines))


@contextlib.contextmanager
def _progress(args: argparse.Namespace) -> Iterator[Callable[[str], None] | None]:
    """Progress on stderr (a bar on a terminal), or nothing with --quiet."""
    if args.quiet:
        yield None
        return
    from claimwire.cli_progress import ProgressReporter

    reporter = ProgressReporter()
    try:
        yield reporter
    finally:
        reporter.close()


def _print_failures(config: Config, summary: RunSummary) -> None:
    if not summary.counts.errors:
        return
    from claimwire.failures import read_failures, summary_lines

    with contextlib.suppress(WarehouseError), _reading(config) as con:
        lines = summary_lines(read_failures(con, run_id=summary.run_id))
        if lines:
            print("\n".join(lines))


def cmd_ingest(args: argparse.Namespace) -> int:
    from claimwire.pipeline import run_ingest
    from claimwire.pipeline.timings import Timings

    timings = Timings.begin()
    config = _config(args)
    with _progress(args) as say:
        summary = run_ingest(config, feed_urls=args.feed or None, report=say, timings=timings)
    _print_summary(summary, timings=args.timings)
    _print_failures(config, summary)
    polled = summary.get("feeds_polled")
    if polled and summary.get("feeds_failed") == polled:
        _say(f"claimwire: every feed of this run failed ({polled}); see the reasons above")
        return ALL_FEEDS_FAILED
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from claimwire.pipeline import Window, backfill_sources, feed_states, run_backfill
    from claimwire.pipeline.timings import Timings

    timings = Timings.begin()
    config = _config(args)
    try:
        window = Window.from_dates(args.date_from, args.date_to)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    for path in args.warc or []:
        if not Path(path).exists():
            raise UsageError(f"--warc: not found: {path}")
    if (args.domain or args.cc_base) and not args.cc_news:
        raise UsageError("--domain and --cc-base go with --cc-news")
    feeds = list(args.feed or [])
    if not feeds and not (args.sitemap or args.warc or args.replay or args.cc_news):
        feeds = [s.feed_url for s in feed_states(config) if not s.disabled]
        if not feeds:
            raise UsageError("nothing to backfill from: no feeds configured; give --feed, "
                             "--sitemap, --warc, --cc-news or --replay")
    sources = backfill_sources(feeds=feeds, sitemaps=args.sitemap or (), warcs=args.warc or ())
    if not args.quiet:
        _say(f"backfill of items published {args.date_from} .. {args.date_to} (inclusive, UTC)")
    with _progress(args) as say:
        if args.cc_news:
            from claimwire.pipeline.ccnews import cc_news_options, cc_news_sources

            options = cc_news_options(config, args.domain or (), args.cc_base)
            sources += cc_news_sources(config, window, options, say=say)
        summary = run_backfill(config, window, sources, report=say, timings=timings)
    _print_summary(summary, timings=args.timings)
    _print_failures(config, summary)
    return 0


def cmd_export_warc(args: argparse.Namespace) -> int:
    from claimwire.ingest.archive import RawArchive
    from claimwire.ingest.warc import export_warc
    from claimwire.warehouse.queries import archived_documents

    config = _config(args)
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"{out} is a directory; give a file name, e.g. {out / 'raw.warc.gz'}")
    with _reading(config) as con:
        documents = archived_documents(con, args.date_from, args.date_to)
    written = export_warc(RawArchive(config.raw_archive_location), documents, out)
    print(f"wrote {written} response record(s) to {args.out}")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from claimwire.warehouse.userquery import QueryRefused, check_statements, run_user_query

    config = _config(args)
    try:
        check_statements(duckdb.connect(), args.query)  # before waiting for the warehouse
    except QueryRefused as exc:
        raise UsageError(str(exc)) from exc
    with _reading(config) as con:
        try:
            result = run_user_query(con, args.query)
        except QueryRefused as exc:
            raise UsageError(str(exc)) from exc
        except duckdb.Error as exc:
            # The whole text: DuckDB's "Did you mean ...?" and LINE markers included.
            raise UsageError(f"SQL error: {str(exc).strip()}") from exc
    if result is None:
        return 0
    columns, rows = result
    print(format_rows(columns, rows, args.format, max_width=None if args.full else 60))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from claimwire.warehouse.queries import derive_failures, feed_status, last_runs, table_counts
    from claimwire.warehouse.staging import quarantined_batches

    config = _config(args)
    with _reading(config) as con:
        counts = table_counts(con)
        feeds = feed_status(con)
        runs = last_runs(con)
        failures = derive_failures(con)
    print(f"warehouse {config.warehouse}")
    print("  " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    print("\nfeeds")
    print(format_rows(*feeds, max_width=50))
    print("\nlast runs")
    print(format_rows(*runs, max_width=40))
    if failures[1]:
        print("\narticles whose derive failed (`claimwire derive --retry` retries those set aside)")
        print(format_rows(*failures, max_width=60))
    quarantined = quarantined_batches(config.staging_location)
    if quarantined:
        from claimwire import storage

        print(f"\nquarantined staged batches ({storage.parent(quarantined[0][0])})")
        print(format_rows(["batch", "reason"],
                          [(storage.name(p), r) for p, r in quarantined],
                          max_width=80))
    return 0


def cmd_derive(args: argparse.Namespace) -> int:
    from claimwire.pipeline import derive_reporting, rebuild_search_index

    config = _config(args)
    with _progress(args) as reporter:
        say = reporter or (lambda message: None)
        counts = derive_reporting(config, say, retry=args.retry)
        if args.rebuild_search:
            indexed = rebuild_search_index(config, say)
    if args.rebuild_search:
        print(f"search index rebuilt over {indexed} article(s)")
    if counts.derive_failed:
        print(f"{counts.derive_failed} article(s) failed to derive and stay queued "
              "(`claimwire status` shows why)")
    if not counts.articles_derived:
        print("nothing to derive: every loaded article is up to date")
        return 0
    print(f"derived {counts.articles_derived} article(s): "
          f"{counts.near_duplicates} near-duplicate(s), "
          f"{counts.stories_new} new stor(ies), "
          f"{counts.claims_clustered} claim(s) clustered")
    return 0


def cmd_feeds_import(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import import_opml

    added, known, skipped = import_opml(_config(args), Path(args.file))
    print(f"imported {added} new feed(s) from {args.file} ({known} already listed, "
          f"{len(skipped)} skipped)")
    for what, why in skipped[:20]:
        print(f"  skipped {what}: {why}")
    if len(skipped) > 20:
        print(f"  ... and {len(skipped) - 20} more skipped")
    return 0


def cmd_feeds_list(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import LIST_COLUMNS, feed_list_rows

    rows = feed_list_rows(_config(args))
    print(format_rows(LIST_COLUMNS, rows, args.format, max_width=None if args.full else 60))
    return 0


def cmd_feeds_add(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import add_feeds

    added, known = add_feeds(_config(args), args.url, name=args.name, tags=args.tag or ())
    for url in added:
        print(f"added {url}")
    for url in known:
        print(f"{url} is already in the feed list")
    return 0


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import remove_feed

    remove_feed(_config(args), args.url)
    print(f"removed {args.url} from the feed list (its history stays in the warehouse)")
    return 0


def cmd_feeds_disable(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import set_disabled

    set_disabled(_config(args), args.url, True)
    print(f"disabled {args.url}: ingest skips it until `claimwire feeds enable {args.url}`")
    return 0


def cmd_feeds_enable(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import set_disabled

    set_disabled(_config(args), args.url, False)
    print(f"enabled {args.url}: polled at the next run")
    return 0


def cmd_feeds_discover(args: argparse.Namespace) -> int:
    from claimwire.feeds_cli import add_feeds, check_url
    from claimwire.ingest.discover import discover
    from claimwire.ingest.http import HttpClient

    config = _config(args)
    with HttpClient(config.http) as client:
        found = discover(client, check_url(args.url))
    if found.error:
        raise SourceUnavailable(f"{args.url}: {found.error}")
    rows = [(f.url, f.how, f.title, f.kind, f.items, f.error or "ok") for f in found.feeds]
    print(format_rows(["feed_url", "found_by", "title", "kind", "items", "check"], rows,
                      args.format, max_width=None if args.full else 60))
    if found.sitemaps:
        print("\nsitemaps (from robots.txt)")
        print(format_rows(["sitemap_url", "check"], [(u, e or "ok") for u, e in found.sitemaps],
                          args.format, max_width=None if args.full else 80))
    valid = [f.url for f in found.valid_feeds]
    if not valid:
        print(f"no feeds found at {args.url}")
        return 0
    if args.add:
        added, known = add_feeds(config, valid)
        print(f"added {len(added)} feed(s) to the feed list ({len(known)} already listed)")
    else:
        print(f"{len(valid)} feed(s) found; `--add` adds them to the feed list")
    return 0


def cmd_failures(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from claimwire.failures import failure_rows, read_failures, retry_rows

    config = _config(args)
    since = datetime.combine(args.since, datetime.min.time()) if args.since else (
        datetime.now(UTC).replace(tzinfo=None) - timedelta(days=7))
    with _reading(config) as con:
        groups = read_failures(con, since=since)
        retries = retry_rows(con)
    width = None if args.full else 70
    if args.format != "table":
        print(format_rows(*failure_rows(groups), args.format, max_width=width))
        return 0
    print(f"failed fetches since {since:%Y-%m-%d %H:%M} UTC, by reason")
    print(format_rows(*failure_rows(groups), max_width=width))
    if retries[1]:
        print("\npages to be fetched again (failed before; retried with back-off)")
        print(format_rows(*retries, max_width=width))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from claimwire.demo import run_demo

    with _progress(args) as say:
        return run_demo(_config(args), port=args.port, report=say or (lambda message: None))


def cmd_claims(args: argparse.Namespace) -> int:
    from claimwire.warehouse.queries import ClaimFilter, find_claims

    config = _config(args)
    wanted = ClaimFilter(speaker=args.speaker, stance=args.stance, since=args.since,
                         until=args.until, text=args.text, limit=args.limit)
    with _reading(config) as con:
        columns, rows = find_claims(con, wanted)
    print(format_rows(columns, rows, args.format, max_width=None if args.full else 70))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from claimwire.transform.derive.search import SearchUnavailable, search_articles

    config = _config(args)
    with _reading(config) as con:
        try:
            hits = search_articles(con, args.query, limit=args.limit)
        except SearchUnavailable as exc:
            raise UsageError(str(exc)) from exc
    if not hits:
        print(f"no articles match {args.query!r}")
        return 0
    for rank, hit in enumerate(hits, 1):
        day = hit.published_at.date().isoformat() if hit.published_at else "undated"
        print(f"{rank}. [{hit.score:.2f}] {hit.title}  ({hit.site}, {day})")
        print(f"   {hit.url}")
        for claim in hit.claims[: args.claims]:
            when = f" {claim.claimed_on}" if claim.claimed_on else ""
            print(f"   - {claim.speaker} ({claim.stance}{when}): {claim.content}")
        if len(hit.claims) > args.claims:
            print(f"   ... {len(hit.claims) - args.claims} more claim(s)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from claimwire.explorer.commands import serve

    return serve(_config(args), host=args.host, port=args.port)


def cmd_chart_timeline(args: argparse.Namespace) -> int:
    from claimwire.explorer.commands import chart_timeline

    return chart_timeline(_config(args), speaker=args.speaker, out=Path(args.out),
                          fmt=args.format)


def cmd_eval_claims(args: argparse.Namespace) -> int:
    from claimwire.transform.claims.evaluate import evaluate, format_report

    for path in (args.gold, args.docs):
        if not Path(path).exists():
            raise UsageError(f"not found: {path}")
    config = _config(args)
    with _progress(args) as say:
        def on_document(done: int, total: int) -> None:
            if say and (done == total or done % 5 == 0):
                say(f"[eval {done}/{total} documents]")

        result = evaluate(Path(args.gold), Path(args.docs), model=config.claims.model,
                          prefilter=not args.no_prefilter, on_document=on_document)
    print(format_report(result))
    return 0


def _global_options(parser: argparse.ArgumentParser) -> None:
    """Options every command takes, before or after its name. Their default is
    "not given" so a subcommand's parser does not reset what came before it."""
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="claimwire.toml to use (default: $CLAIMWIRE_CONFIG, ./claimwire.toml)")
    parser.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no banner and no progress on stderr (results and errors only)")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    _global_options(common)
    network = _Parser(add_help=False)
    network.add_argument("--allow-network", action="append", metavar="CIDR", default=[],
                         help="also allow fetching from this network (repeatable)")
    output = _Parser(add_help=False)
    output.add_argument("--format", choices=FORMATS, default="table")
    output.add_argument("--full", action="store_true", help="do not shorten long values")

    parser = _Parser(
        prog="claimwire", description="News feeds to attributed claim records in DuckDB.")
    parser.add_argument("--version", action="version", version=f"claimwire {__version__}")
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str,
            parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text,
                           parents=[common, *parents])
        p.set_defaults(func=func)
        return p

    p = add("ingest", cmd_ingest, "poll the feeds, fetch new articles, load the warehouse; "
            "exit status 3 when every feed polled failed", [network])
    p.add_argument("--feed", action="append", metavar="URL",
                   help="poll only this feed, now (repeatable); it is not added to the feed "
                        "list (`claimwire feeds add URL` does that)")
    p.add_argument("--timings", action="store_true", help="each stage's time on its own line")

    p = add("backfill", cmd_backfill,
            "load the items published in a past date range (both days inclusive)", [network])
    p.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    p.add_argument("--feed", action="append", metavar="URL",
                   help="walk this feed and its RFC 5005 archives (repeatable; default: all "
                        "configured feeds when no other source is given)")
    p.add_argument("--sitemap", action="append", metavar="URL",
                   help="a sitemap or sitemap index (repeatable)")
    p.add_argument("--warc", action="append", metavar="PATH",
                   help="a WARC/WARC.gz file or a directory of them (repeatable)")
    p.add_argument("--cc-news", action="store_true",
                   help="Common Crawl's news archive: stream the CC-NEWS WARC files crawled "
                        "from the range's start to [backfill] cc_margin_days (default 3) "
                        "after its end, keep the pages of --domain (default: [backfill] "
                        "domains, else the configured feeds' domains); one resumable unit "
                        "per WARC file")
    p.add_argument("--domain", action="append", metavar="DOMAIN",
                   help="with --cc-news: keep pages of this site and its subdomains "
                        "(repeatable)")
    p.add_argument("--cc-base", metavar="URL",
                   help="with --cc-news: where CC-NEWS is served, e.g. a mirror (default: "
                        "[backfill] cc_base, https://data.commoncrawl.org/)")
    p.add_argument("--replay", action="store_true",
                   help="re-run extraction, dedup and claims over the raw archive for the range")
    p.add_argument("--timings", action="store_true", help="each stage's time on its own line")

    p = add("export-warc", cmd_export_warc, "write the raw archive as a WARC.gz file")
    p.add_argument("out", metavar="OUT.warc.gz")
    p.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=_date, metavar="DATE")

    p = add("sql", cmd_sql, "run a SQL query against the warehouse (read-only)", [output])
    p.add_argument("query")

    add("status", cmd_status, "feeds, their last poll result, table counts, recent runs")

    p = add("derive", cmd_derive,
            "finish near duplicates, stories, claim clusters and the search index for loaded "
            "articles still queued (ingest and backfill do this themselves)")
    p.add_argument("--retry", action="store_true",
                   help="also retry the articles set aside after failing several passes")
    p.add_argument("--rebuild-search", action="store_true",
                   help="then rebuild the whole search index from the articles (drops what "
                        "re-processed articles left behind; about 1 ms per article)")

    feeds = sub.add_parser("feeds", help="manage the feed list: add, remove, disable, enable, "
                           "list, import, discover", parents=[common])
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")

    def feeds_action(name: str, func: Callable[[argparse.Namespace], int], help_text: str,
                     parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
        p = feeds_sub.add_parser(name, help=help_text, description=help_text,
                                 parents=[common, *parents])
        p.set_defaults(func=func)
        return p

    p = feeds_action("add", cmd_feeds_add, "add feeds to the warehouse's feed list")
    p.add_argument("url", nargs="+", metavar="URL")
    p.add_argument("--name", help="a name to show for the feed")
    p.add_argument("--tag", action="append", metavar="TAG", help="a tag (repeatable)")
    p = feeds_action("remove", cmd_feeds_remove,
                     "take a feed off the feed list (its history stays; config feeds are "
                     "removed from claimwire.toml)")
    p.add_argument("url", metavar="URL")
    p = feeds_action("disable", cmd_feeds_disable, "stop polling a feed, keeping it listed")
    p.add_argument("url", metavar="URL")
    p = feeds_action("enable", cmd_feeds_enable,
                     "poll a disabled feed again (also clears its failure back-off)")
    p.add_argument("url", metavar="URL")
    feeds_action("list", cmd_feeds_list,
                 "the feeds an ingest polls, with origin (config or warehouse), state, last "
                 "status, last error, next due time and items seen", [output])
    p = feeds_action("import", cmd_feeds_import,
                     "add the feeds of an OPML file (lenient: real exports with raw & and HTML "
                     "entities; folders become tags)")
    p.add_argument("file", metavar="FILE.opml")
    p = feeds_action("discover", cmd_feeds_discover,
                     "find the feeds a page advertises (link rel=alternate, feed links, usual "
                     "paths) and its site's sitemaps, each checked by fetching it",
                     [network, output])
    p.add_argument("url", metavar="URL")
    p.add_argument("--add", action="store_true", help="add the feeds found to the feed list")

    p = add("failures", cmd_failures,
            "failed fetches by reason, with counts and example URLs, and the pages waiting "
            "to be fetched again", [output])
    p.add_argument("--since", type=_date, metavar="DATE",
                   help="failures since this day (UTC; default: the last 7 days)")

    p = add("demo", cmd_demo,
            "serve the bundled sample site on 127.0.0.1 and ingest it into the warehouse")
    p.add_argument("--port", type=int, default=None,
                   help="port for the sample site (default 8765, or a free one if taken)")

    p = add("claims", cmd_claims, "list claims from the warehouse", [output])
    p.add_argument("--speaker", help="speaker name (substring, case-insensitive)")
    p.add_argument("--stance", choices=["assert", "deny", "uncertain"])
    p.add_argument("--since", type=_date, metavar="DATE")
    p.add_argument("--until", type=_date, metavar="DATE")
    p.add_argument("--text", metavar="WORDS", help="words the claim must contain")
    p.add_argument("--limit", type=_positive, default=200)

    p = add("search", cmd_search, "full-text search over articles (BM25), with their claims")
    p.add_argument("query")
    p.add_argument("--limit", type=_positive, default=10)
    p.add_argument("--claims", type=_count, default=5, help="claims shown per article")

    p = add("serve", cmd_serve,
            "the claims explorer: a read-only web app over the warehouse")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080)

    chart = sub.add_parser("chart", help="draw the explorer's charts to a file",
                           parents=[common])
    chart_sub = chart.add_subparsers(dest="chart_command", required=True, metavar="CHART")
    p = chart_sub.add_parser("timeline", parents=[common],
                             help="a speaker's claims over time (x = day, colour = stance, "
                                  "one row per story)")
    p.add_argument("--speaker", required=True, metavar="NAME",
                   help="a speaker's name, any spelling, or speaker id")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .svg, .png or .html (self-contained)")
    p.add_argument("--format", choices=["svg", "png", "html"],
                   help="output format (default: from the file name)")
    p.set_defaults(func=cmd_chart_timeline)

    p = add("eval-claims", cmd_eval_claims, "score the claim stage against gold claims")
    p.add_argument("--gold", required=True, metavar="FILE")
    p.add_argument("--docs", required=True, metavar="DIR")
    p.add_argument("--no-prefilter", action="store_true")
    return parser


def _one_line(exc: BaseException) -> str:
    """An environment failure as one line: what failed, and on which file."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno == errno.ENOSPC:
            reason = "no space left on device (disk full)"
        where = f": {exc.filename}" if exc.filename else ""
        return f"{reason}{where}"
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if "No space left" in str(exc):
        text = f"no space left on device (disk full): {text}"
    return f"warehouse: {text}" if _is_duckdb(exc) else text


def _is_duckdb(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb")


def main(argv: Sequence[str] | None = None) -> int:
    from claimwire.ingest.feedlist import FeedListError
    from claimwire.processes import Terminated, sigterm_as_interrupt

    args = build_parser().parse_args(argv)
    args.config = getattr(args, "config", None)
    args.quiet = getattr(args, "quiet", False)
    try:
        with sigterm_as_interrupt():
            return int(args.func(args) or 0)
    except (ConfigError, UsageError, FeedListError, NoFeedsError) as exc:
        print(f"claimwire: error: {exc}", file=sys.stderr)
        return 2
    except (WarehouseError, DeriveError, SourceUnavailable) as exc:
        print(f"claimwire: error: {exc}", file=sys.stderr)
        return 1
    except Terminated:
        print("claimwire: terminated (SIGTERM); staged work is kept and loaded by the next run",
              file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("claimwire: interrupted; staged work is kept and loaded by the next run",
              file=sys.stderr)
        return 130
    except Exception as exc:
        # The machine, not the input: a full disk, a read-only directory, a
        # damaged warehouse file. One line; a bug still shows its traceback.
        if isinstance(exc, OSError) or _is_duckdb(exc):
            print(f"claimwire: error: {_one_line(exc)}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())

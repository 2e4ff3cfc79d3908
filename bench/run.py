"""claimwire throughput benchmark: `python -m bench.run [--quick]` (what `make bench` runs).

Each figure is measured in this run against its own baseline, on the same
machine at the same time, because this machine is shared and absolute times
drift; repeated measurements alternate baseline and candidate and keep the
best time of each (the run least disturbed by other load). See bench/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from bench import corpus, e2e_cli, growth
from bench.server import serve
from bench.stages import ChildStopped, archive_pending, bench_config, run_child
from claimwire import pipeline
from claimwire.config import Config
from claimwire.pipeline.planning import TRANSFORM_SHARD_SIZE
from claimwire.transform.derive import runner as derive
from claimwire.transform.extract_quality import BenchmarkPage
from claimwire.warehouse import schema
from claimwire.warehouse.db import open_warehouse
from claimwire.warehouse.staging import BatchWriter, read_table


@dataclass
class Result:
    name: str
    value: str
    target: str
    ok: bool


@dataclass(frozen=True)
class Sizes:
    e2e_pages: int  # dev pages through run_ingest and the bare loop
    e2e_rounds: int
    claim_rounds: int
    load_rows: int  # article rows loaded
    load_rounds: int
    poll_feeds: int
    items_per_feed: int
    poll_pages: int
    worker_copies: int  # copies of the dev pages for the 1-vs-2 worker figure
    worker_rounds: int
    memory_articles: int
    memory_timeout: float  # seconds before the memory run is stopped and counted a miss


FULL = Sizes(91, 2, 2, 10_000, 2, 1000, 5, 1000, 2, 2, 10_000, 900)
QUICK = Sizes(91, 1, 1, 2_000, 1, 200, 5, 200, 1, 1, 500, 120)

# The memory run is stopped past twice its target: the machine is shared.
MEMORY_LIMIT = 3_000_000_000

SECTIONS = ("e2e", "e2e-cli", "claims", "load", "poll", "workers", "memory", "quality", "growth")
# Sections that need the dev pages of the extraction benchmark.
NEEDS_DEV = frozenset(SECTIONS) - {"growth"}


def say(message: str) -> None:
    print(message, flush=True)


def stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def machine() -> str:
    import psutil

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ram = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {cores} cores ({usable} usable), "
        f"{ram:.1f} GiB RAM, Python {platform.python_version()}, load average {load}"
    )


def versions() -> str:
    import spacy
    import trafilatura

    return f"trafilatura {trafilatura.__version__}, spaCy {spacy.__version__}, " \
           f"DuckDB {duckdb.__version__}, pyarrow {pa.__version__}"


# ------------------------------------------------------------ 1. end to end


def bare_loop(dev_dir: Path, ids: list[str], model: str) -> tuple[float, float]:
    """What a one-off script would do: read, trafilatura.extract, spaCy over the
    texts, in one process. Returns (seconds, of which model load)."""
    import trafilatura

    from claimwire.transform.nlp import FALLBACKS

    start = time.perf_counter()
    texts = []
    for page_id in ids:
        html = gzip.decompress((dev_dir / "html" / f"{page_id}.html.gz").read_bytes())
        texts.append(trafilatura.extract(html) or "")
    load_start = time.perf_counter()
    nlp = _load_model_fresh(FALLBACKS.get(model, (model,)))
    load_seconds = time.perf_counter() - load_start
    for _ in nlp.pipe(texts):
        pass
    return time.perf_counter() - start, load_seconds


def _load_model_fresh(names: tuple[str, ...]) -> Any:
    # Not the pipeline's cached loader: the bare loop pays its own model load,
    # as the pipeline's workers do.
    import importlib

    for name in names:
        try:
            return importlib.import_module(name).load()
        except ImportError:
            continue
    raise RuntimeError(f"none of the spaCy models {names} is installed")


def pipeline_once(base: str, feed_paths: list[str]) -> tuple[float, dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        config = bench_config(Path(tmp))
        start = time.perf_counter()
        summary = pipeline.run_ingest(config, feed_urls=[base + p for p in feed_paths])
        return time.perf_counter() - start, summary.counts.to_dict()


def section_e2e(pages: list[BenchmarkPage], sizes: Sizes, dev_dir: Path) -> list[Result]:
    chosen = pages[: sizes.e2e_pages]
    served = [
        corpus.Page(f"/dev/{p.id[:16]}.html", corpus.edited_copy(p, 0), p.id) for p in chosen
    ]
    with tempfile.TemporaryDirectory(prefix="bench-site-") as site, serve(Path(site)) as base:
        feeds = corpus.feeds_for(served, base, feeds=10)
        corpus.write_site(Path(site), {p.path: p.html for p in served} | feeds)
        model = Config().claims.model
        bare_times, pipe_times, loads = [], [], []
        counts: dict[str, int] = {}
        for round_ in range(sizes.e2e_rounds):
            # Alternate which goes first, so a burst of other load hits both alike.
            order = ("bare", "pipeline") if round_ % 2 == 0 else ("pipeline", "bare")
            for which in order:
                if which == "bare":
                    seconds, load_seconds = bare_loop(dev_dir, [p.id for p in chosen], model)
                    bare_times.append(seconds)
                    loads.append(load_seconds)
                else:
                    seconds, counts = pipeline_once(base, list(feeds))
                    pipe_times.append(seconds)
                say(f"  round {round_ + 1}: {which:<8} {seconds:7.2f} s")
    bare, pipe = min(bare_times), min(pipe_times)
    ratio = bare / pipe
    say(f"  {len(chosen)} pages: bare loop {bare:.2f} s (spaCy load {min(loads):.2f} s), "
        f"run_ingest {pipe:.2f} s; fetched {counts.get('pages_fetched', 0)}, "
        f"articles loaded {counts.get('articles_loaded', 0)}, "
        f"claims loaded {counts.get('claims_loaded', 0)}")
    return [Result("end-to-end: bare loop time / run_ingest time",
                   f"{ratio:.2f} (bare {bare:.1f} s, pipeline {pipe:.1f} s, {len(chosen)} pages)",
                   ">= 1.5", ratio >= 1.5)]


def section_e2e_cli(sizes: Sizes, dev_dir: Path) -> list[Result]:
    value, target, ok = e2e_cli.section(dev_dir, rounds=sizes.e2e_rounds)
    return [Result("end-to-end CLI: bare loop time / `claimwire ingest` time (10 hosts)",
                   value, target, ok)]


# ------------------------------------------------------------ 2 and 3 share one transform


def transform_dev_pages(pages: list[BenchmarkPage], root: Path) -> dict[str, pa.Table]:
    """The pipeline's own transform output for the dev pages (one shard, in process)."""
    config = bench_config(root, workers=1)
    served = [
        corpus.Page(f"/dev/{p.id[:16]}.html", corpus.edited_copy(p, 0), p.id) for p in pages
    ]
    archive_pending(config, served)
    plans = pipeline.plan_transform(config, shard_size=len(served))
    tables = {}
    for plan in plans:
        batch = pipeline.transform_shard(config, plan, run_id="bench-source")
        for name in ("articles", "claims", "claim_mentions", "doc_status"):
            part = read_table(batch, name)
            if part is not None:
                tables[name] = pa.concat_tables([tables[name], part]) if name in tables else part
    return tables


def section_claims(tables: dict[str, pa.Table], sizes: Sizes) -> list[Result]:
    from claimwire.transform.claims import extract_claims_many
    from claimwire.transform.nlp import load_nlp

    articles = tables["articles"]
    inputs = [
        (text, published.date() if published else None)
        for text, published in zip(
            articles["text"].to_pylist(), articles["published_at"].to_pylist(), strict=True
        )
    ]
    nlp = load_nlp(Config().claims.model)
    list(extract_claims_many(inputs[:5], nlp=nlp))  # warm-up: first calls build caches
    rates: dict[bool, list[float]] = {True: [], False: []}
    found: dict[bool, int] = {}
    for round_ in range(sizes.claim_rounds):
        for prefilter in (True, False) if round_ % 2 == 0 else (False, True):
            start = time.perf_counter()
            results = list(extract_claims_many(inputs, nlp=nlp, prefilter=prefilter))
            seconds = time.perf_counter() - start
            rates[prefilter].append(len(inputs) / seconds)
            found[prefilter] = sum(len(r) for r in results)
            say(f"  round {round_ + 1}: prefilter {'on ' if prefilter else 'off'} "
                f"{seconds:6.2f} s, {len(inputs) / seconds:5.2f} articles/s")
    on, off = max(rates[True]), max(rates[False])
    say(f"  {len(inputs)} articles; claims found: prefilter on {found[True]}, "
        f"off {found[False]}")
    return [Result("claims: articles/s with / without sentence prefilter",
                   f"{on / off:.2f} ({on:.2f} vs {off:.2f} articles/s)",
                   "> 1 (reported)", on > off)]


def _suffixed(table: pa.Table, columns: tuple[str, ...], suffix: str) -> pa.Table:
    for name in columns:
        if name in table.column_names:
            index = table.column_names.index(name)
            column = pc.binary_join_element_wise(table[name], pa.scalar(suffix), "")
            table = table.set_column(index, name, column)
    return table


_ID_COLUMNS = ("article_id", "doc_id", "canonical_url", "doc_url", "url", "content_hash",
               "claim_id")


def replicate(tables: dict[str, pa.Table], rows: int) -> list[dict[str, pa.Table]]:
    """Copies of the transform output with distinct natural keys, ~`rows` articles,
    grouped like the pipeline's shards (about TRANSFORM_SHARD_SIZE articles each)."""
    per_copy = max(1, tables["articles"].num_rows)
    copies = math.ceil(rows / per_copy)
    per_batch = max(1, TRANSFORM_SHARD_SIZE // per_copy)
    batches: list[dict[str, pa.Table]] = []
    for first in range(0, copies, per_batch):
        parts: dict[str, list[pa.Table]] = {name: [] for name in tables}
        for copy in range(first, min(copies, first + per_batch)):
            for name, table in tables.items():
                parts[name].append(_suffixed(table, _ID_COLUMNS, f"#{copy}"))
        batches.append({name: pa.concat_tables(ts) for name, ts in parts.items()})
    return batches


def _stage(config: Config, batches: list[dict[str, pa.Table]]) -> list[str]:
    dirs = []
    for tables in batches:
        writer = BatchWriter(config.staging_path, "transform", "bench-load")
        for name, table in tables.items():
            writer.add(name, table)
        dirs.append(writer.write())
    return dirs


def _pending_documents(config: Config, batches: list[dict[str, pa.Table]]) -> None:
    """The documents rows the loader updates the status of, as a poll left them."""
    ids = pa.concat_tables([b["doc_status"] for b in batches])["doc_id"]
    docs = pa.table({"doc_id": ids, "url": ids, "canonical_url": ids,
                     "status": pa.array(["pending"] * len(ids))})
    with open_warehouse(config.warehouse_path) as con:
        con.register("docs", docs)
        con.execute("INSERT INTO documents BY NAME SELECT * FROM docs")
        con.unregister("docs")


def section_load(tables: dict[str, pa.Table], sizes: Sizes) -> list[Result]:
    batches = replicate(tables, sizes.load_rows)
    names = ("articles", "claims", "claim_mentions")
    whole = {
        name: pa.concat_tables([b[name] for b in batches]).select(
            [c.name for c in getattr(schema, name).columns]
        )
        for name in names
    }
    rows = sum(t.num_rows for t in whole.values())
    ours_t, bulk_t = [], []
    loaded: dict[str, int] = {}
    derived: dict[str, int] = {}
    step_seconds: dict[str, float] = {}
    derive_t = 0.0
    for round_ in range(sizes.load_rounds):
        for which in ("ours", "bulk") if round_ % 2 == 0 else ("bulk", "ours"):
            with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
                config = bench_config(Path(tmp))
                _pending_documents(config, batches)
                if which == "ours":
                    dirs = _stage(config, batches)
                    start = time.perf_counter()
                    loaded = pipeline.load_staged(config, dirs, run_id="bench-load",
                                                  derive_after=False).to_dict()
                    ours_t.append(time.perf_counter() - start)
                    if round_ == 0:
                        # The derive step that follows every load, timed on its own.
                        with open_warehouse(config.warehouse_path) as con:
                            start = time.perf_counter()
                            derived = derive.derive_pending(
                                con, config.dedup, step_seconds=step_seconds).to_dict()
                            derive_t = time.perf_counter() - start
                else:
                    with open_warehouse(config.warehouse_path) as con:
                        start = time.perf_counter()
                        con.execute("BEGIN TRANSACTION")
                        for name, table in whole.items():
                            con.register("arrow_table", table)
                            con.execute(f"INSERT INTO {name} SELECT * FROM arrow_table")
                            con.unregister("arrow_table")
                        con.execute("COMMIT")
                        bulk_t.append(time.perf_counter() - start)
            last = (ours_t if which == "ours" else bulk_t)[-1]
            say(f"  round {round_ + 1}: {which:<5} {last:6.2f} s")
    ours_rate, bulk_rate = rows / min(ours_t), rows / min(bulk_t)
    ratio = ours_rate / bulk_rate
    articles = whole["articles"].num_rows
    say(f"  {articles} articles + {whole['claims'].num_rows} claims + "
        f"{whole['claim_mentions'].num_rows} mentions = {rows} rows in {len(batches)} staged "
        f"batches; loaded {loaded.get('articles_loaded', 0)} articles, "
        f"{loaded.get('claims_loaded', 0)} claims")
    say(f"  derive step after the load (its own transactions, not in the figure): "
        f"{derive_t:.2f} s, {derive_t / max(1, articles) * 1000:.2f} ms/article; "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in step_seconds.items())
        + f"; {derived.get('near_duplicates', 0)} near-duplicates marked (the copies share "
        "their texts: near-duplicate detection's worst case)")
    return [Result("warehouse load: load_staged / DuckDB bulk insert throughput",
                   f"{ratio:.2f} ({ours_rate:,.0f} vs {bulk_rate:,.0f} rows/s)",
                   ">= 0.5", ratio >= 0.5)]


# ------------------------------------------------------------ 4. second poll


def poll_stage(config: Config, feed_urls: list[str]) -> tuple[float, dict[str, int]]:
    """Poll, fetch and load as `run_ingest` does before its transform stage."""
    start = time.perf_counter()
    with open_warehouse(config.warehouse_path):
        pass
    plans = pipeline.plan_poll(config, feed_urls=feed_urls)
    batches = [pipeline.poll_shard(config, plan, run_id="bench-poll") for plan in plans]
    info = pipeline.batch_counts(batches).to_dict()
    pipeline.load_staged(config, batches, run_id="bench-poll")
    for plan in plans:
        Path(plan).unlink(missing_ok=True)
    return time.perf_counter() - start, info


def section_poll(pages: list[BenchmarkPage], sizes: Sizes) -> list[Result]:
    pool = corpus.paragraph_pool(pages)
    served = [corpus.synthetic_page(i, pool, paragraphs=3) for i in range(sizes.poll_pages)]
    with (
        tempfile.TemporaryDirectory(prefix="bench-site-") as site,
        tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp,
        serve(Path(site)) as base,
    ):
        files: dict[str, bytes] = {p.path: p.html for p in served}
        # Each feed lists items_per_feed pages; pages are shared between feeds,
        # as syndicated stories are.
        for n in range(sizes.poll_feeds):
            items = [served[(n * 7 + k * 131) % len(served)] for k in range(sizes.items_per_feed)]
            files |= {f"/feeds/{n}.xml": corpus.feeds_for(items, base, feeds=1)["/feeds/0.xml"]}
        corpus.write_site(Path(site), files)
        urls = [f"{base}/feeds/{n}.xml" for n in range(sizes.poll_feeds)]
        config = bench_config(Path(tmp))
        first, info1 = poll_stage(config, urls)
        say(f"  first poll  {first:7.2f} s: {info1.get('feeds_polled', 0)} feeds, "
            f"{info1.get('items_seen', 0)} items, {info1.get('pages_fetched', 0)} pages fetched")
        second, info2 = poll_stage(config, urls)
        say(f"  second poll {second:7.2f} s: {info2.get('feeds_not_modified', 0)} not modified "
            f"(304), {info2.get('pages_fetched', 0)} pages fetched, "
            f"{1000 * second / sizes.poll_feeds:.2f} ms per feed")
    ratio = second / first
    return [Result(f"second poll of {sizes.poll_feeds} unchanged feeds / first poll",
                   f"{100 * ratio:.1f}% ({second:.2f} s vs {first:.2f} s)",
                   "<= 5%", ratio <= 0.05)]


# ------------------------------------------------------------ 5. workers


def section_workers(pages: list[BenchmarkPage], sizes: Sizes) -> list[Result]:
    served = corpus.replicated_dev_pages(pages, sizes.worker_copies)
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        archive_pending(bench_config(Path(tmp)), served)
        for round_ in range(sizes.worker_rounds):
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                answer, _ = run_child(["transform", tmp, str(workers)], timeout=600)
                times[workers].append(answer["seconds"])
                say(f"  round {round_ + 1}: {workers} worker(s) {answer['seconds']:7.2f} s "
                    f"({answer['batches']} shard(s)), load average {os.getloadavg()[0]:.2f}")
    one, two = min(times[1]), min(times[2])
    speedup = one / two
    return [Result(f"transform speed-up, 2 workers vs 1 ({len(served)} documents)",
                   f"{speedup:.3f} ({one:.2f} s vs {two:.2f} s)", ">= 1.7", speedup >= 1.7)]


# ------------------------------------------------------------ 6. memory


def section_memory(pages: list[BenchmarkPage], sizes: Sizes) -> list[Result]:
    pool = corpus.paragraph_pool(pages)
    served = [corpus.synthetic_page(i, pool, paragraphs=3) for i in range(sizes.memory_articles)]
    name = f"peak memory, {sizes.memory_articles} articles through transform + load"
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        archive_pending(bench_config(Path(tmp)), served)
        del served
        try:
            answer, mem = run_child(["transform-load", tmp], memory=True,
                                    timeout=sizes.memory_timeout, memory_limit=MEMORY_LIMIT)
        except ChildStopped as exc:
            say(f"  stopped: transform + load {exc.reason}; peak RSS so far "
                f"{exc.peak / 2**30:.2f} GiB over {exc.peak_processes} processes")
            for line in exc.breakdown:
                say(f"    {line}")
            return [Result(name, f"> {exc.peak / 1e9:.2f} GB (stopped: {exc.reason})",
                           "< 1.5 GB", False)]
    assert mem is not None
    say(f"  {sizes.memory_articles} synthetic articles: transform + load {answer['seconds']:.1f} s "
        f"({answer['batches']} shards), {answer['articles_loaded']} articles and "
        f"{answer['claims_loaded']} claims loaded")
    say(f"  peak RSS of the process tree {mem.peak / 2**30:.2f} GiB over {mem.peak_processes} "
        f"processes; with workers alive {mem.peak_with_workers / 2**30:.2f} GiB, without "
        f"(main + forkserver + resource tracker) {mem.peak_alone / 2**30:.2f} GiB")
    for line in mem.report():
        say(f"    {line}")
    return [Result(name, f"{mem.peak / 1e9:.2f} GB ({mem.peak / 2**30:.2f} GiB)", "< 1.5 GB",
                   mem.peak < 1.5e9)]


# ------------------------------------------------------------ 7. quality


def section_quality(dev: Path, rounds: int) -> list[Result]:
    """Both dev sets side by side with bare trafilatura (`bench.quality`), against
    the targets of the extraction issue (which are set on held-out publishers:
    these are dev figures)."""
    from bench import quality

    results: list[Result] = []
    ae = quality.report("article-extraction dev", quality.load_article_extraction(dev),
                        rounds, False)
    results.append(Result("extraction dev: article-extraction body F1, ours vs bare",
                          f"{ae['body'][2]:.4f} vs {ae['bare_body'][2]:.4f}", ">= 0.970",
                          ae["body"][2] >= 0.970))
    ratios = [ae["ratio"]]
    if (quality.FUNDUS_DIR / "manifest.json").is_file():
        fd = quality.report("fundus dev", quality.load_fundus(quality.FUNDUS_DIR), rounds, False)
        ratios.append(fd["ratio"])
        gain = fd["body"][2] - fd["bare_body"][2]
        results.append(Result("extraction dev: fundus body F1, ours - bare",
                              f"{gain:+.4f} ({fd['body'][2]:.4f}; {fd['gain'].without_top:+.4f}"
                              f" w/o top {quality.TOP_GAINS} pages)", ">= +0.02", gain >= 0.02))
        for label, target in (("title", 0.85), ("authors (people)", 0.92), ("date", 0.98),
                              ("language", 0.97)):
            value = fd["rows"][label][0]
            results.append(Result(f"extraction dev: fundus {label}", f"{value:.4f}",
                                  f">= {target}", value >= target))
    else:
        say(f"  fundus dev pages not at {quality.FUNDUS_DIR}: title/authors/date/language skipped")
    slowest = max(ratios)
    results.append(Result("extraction time per page / bare trafilatura (slower dev set)",
                          f"{slowest:.2f}x", "<= 2.0x", slowest <= 2.0))
    return results


def section_growth(quick: bool, cache: Path) -> list[Result]:
    sizes = (10_000, 100_000) if quick else growth.SIZES
    figures = growth.run(sizes, cache)
    last = f"{sizes[-1]:,}"
    t = growth.TARGETS
    return [
        Result(f"growth: night({last}) / night({sizes[0]:,}), 1,000 new articles",
               f"{figures['ratio']:.2f}", f"<= {t['ratio']}", figures["ratio"] <= t["ratio"]),
        Result(f"growth: peak RSS of a night, up to {last}", f"{figures['rss_gb']:.2f} GB",
               f"<= {t['rss_gb']} GB", figures["rss_gb"] <= t["rss_gb"]),
        Result(f"growth: search, three words, at {last}", f"{figures['search']:.3f} s",
               f"< {t['search']} s", figures["search"] < t["search"]),
        Result(f"growth: claims --speaker, at {last}", f"{figures['claims']:.3f} s",
               f"< {t['claims']} s", figures["claims"] < t["claims"]),
        Result(f"growth: slowest view for one speaker/story, at {last}",
               f"{figures['view']:.3f} s", f"< {t['view']} s", figures["view"] < t["view"]),
    ]


# ------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer pages and rounds")
    parser.add_argument("--dev", type=Path, default=corpus.DEV_DIR,
                        help="dev half of the article-extraction benchmark")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--growth-cache", type=Path, default=growth.REPO / "bench" / ".cache",
                        help="where the growth section keeps its generated warehouses")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    if not (args.dev / "ground-truth.json").is_file() and set(wanted) & NEEDS_DEV:
        say(f"bench: the extraction benchmark's dev pages are not at {args.dev}: "
            f"skipping {', '.join(sorted(set(wanted) & NEEDS_DEV))}")
        wanted = [w for w in wanted if w not in NEEDS_DEV]
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    say(f"claimwire benchmark ({'quick' if args.quick else 'full'}), started {stamp()}")
    say(f"machine: {machine()}")
    say(f"versions: {versions()}")
    pages = corpus.dev_pages(args.dev) if set(wanted) & NEEDS_DEV else []
    results: list[Result] = []
    source: dict[str, pa.Table] = {}

    def transformed() -> dict[str, pa.Table]:
        if not source:
            with tempfile.TemporaryDirectory(prefix="bench-source-") as tmp:
                source.update(transform_dev_pages(pages, Path(tmp)))
        return source

    steps: dict[str, tuple[str, Callable[[], list[Result]]]] = {
        "e2e": ("1. end to end: run_ingest vs a bare loop",
                lambda: section_e2e(pages, sizes, args.dev)),
        "e2e-cli": ("1b. end to end as a user times it: `claimwire ingest` from ten hosts",
                    lambda: section_e2e_cli(sizes, args.dev)),
        "claims": ("2. claim stage with / without prefilter",
                   lambda: section_claims(transformed(), sizes)),
        "load": ("3. warehouse load vs DuckDB bulk insert",
                 lambda: section_load(transformed(), sizes)),
        "poll": ("4. second poll of unchanged feeds", lambda: section_poll(pages, sizes)),
        "workers": ("5. transform with 1 and 2 worker processes",
                    lambda: section_workers(pages, sizes)),
        "memory": ("6. peak memory through transform + load", lambda: section_memory(pages, sizes)),
        "quality": ("7. extraction quality on both dev sets, claimwire vs bare trafilatura",
                    lambda: section_quality(args.dev, 1 if args.quick else 3)),
        "growth": ("8. growth: one night into warehouses of growing size",
                   lambda: section_growth(args.quick, args.growth_cache)),
    }
    for key in SECTIONS:
        if key not in wanted:
            continue
        title, step = steps[key]
        say(f"\n{title}  [{stamp()}]")
        results.extend(step())
    width = max((len(r.name) for r in results), default=10)
    say(f"\nresults ({'quick' if args.quick else 'full'} run, finished {stamp()}, "
        f"{time.perf_counter() - began:.0f} s, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for r in results:
        say(f"  {r.name:<{width}}  {r.value:<44} target {r.target:<15} "
            f"{'ok' if r.ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

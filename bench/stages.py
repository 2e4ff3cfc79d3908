"""Pipeline set-ups and measurements shared by `bench.run` and `bench.child`."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.corpus import REPO, Page
from claimwire import pipeline
from claimwire.config import Config, HttpSettings
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.urls import url_key
from claimwire.warehouse import schema
from claimwire.warehouse.staging import BatchWriter, remove_batch, rows_to_arrow

BASE = "http://bench.invalid"  # documents archived directly never touch the network


def bench_config(root: Path, *, workers: int = 0) -> Config:
    """A warehouse in `root`, an HTTP client allowed to reach the local servers only."""
    http = HttpSettings(
        allow_networks=("127.0.0.1/32",), per_host_delay=0, retries=0, respect_robots=False
    )
    return Config(warehouse_path=root / "bench.duckdb", workers=workers, http=http)


def archive_pending(config: Config, pages: list[Page]) -> int:
    """Put pages in the raw archive and load them as pending documents, as a poll
    would have (without the network, which sections 1 and 4 measure)."""
    archive = RawArchive(config.raw_archive_dir)
    now = datetime.now(UTC).replace(tzinfo=None)
    # Each put fsyncs its file; threads overlap those waits.
    with ThreadPoolExecutor(8) as pool:
        digests = list(pool.map(lambda p: archive.put(p.html), pages))
    rows: list[dict[str, Any]] = []
    for page, digest in zip(pages, digests, strict=True):
        url = BASE + page.path
        rows.append({
            "doc_id": url_key(url), "url": url, "canonical_url": url, "final_url": url,
            "feed_url": BASE + "/feed.xml", "guid": url, "raw_sha256": digest,
            "content_type": "text/html", "charset": "utf-8", "published_at": None,
            "item_title": page.title, "fetched_at": now, "status": "pending",
        })
    writer = BatchWriter(config.staging_path, "poll", "bench-setup")
    writer.add("documents", rows_to_arrow(schema.documents, rows))
    pipeline.load_staged(config, [writer.write()], run_id="bench-setup")
    return len(rows)


def transform_stage(config: Config, run_id: str = "bench") -> tuple[float, list[str]]:
    """Plan and run the transform stage as `run_ingest` does (no load); seconds, batches.

    Both the single-process and the worker-pool path start warm (model loaded),
    as in `run_ingest`, which starts its workers while it polls: the time is the
    transform's own, not interpreter and model start-up.
    """
    pool = None
    if config.worker_count > 1:
        pool = pipeline.transform_pool(config)
        for future in [pool.submit(int) for _ in range(config.worker_count * 2)]:
            future.result()
    else:
        pipeline._warm_worker(config.claims.model)
    try:
        start = time.perf_counter()
        plans = pipeline.plan_transform(config)
        batches = pipeline._transform_in_workers(config, plans, run_id, None, pool)
        elapsed = time.perf_counter() - start
    finally:
        if pool is not None:
            pool.shutdown()
    for plan in plans:
        Path(plan).unlink(missing_ok=True)
    return elapsed, batches


def drop_batches(batches: list[str]) -> None:
    for batch in batches:
        remove_batch(batch)


class TreeMemory:
    """Peak RSS of a process and all its descendants, sampled every `interval` s.

    RSS counts pages shared between processes once per process, so the sum
    over-states the tree's real footprint: the figure is an upper bound.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        # Peaks while worker processes exist (transform) and without (load).
        self.peak_with_workers = 0
        self.peak_alone = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total, count = 0, 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                    count += 1
                except psutil.NoSuchProcess:
                    continue
            if total > self.peak:
                self.peak, self.peak_processes = total, count
            if count > 2:  # the child, the forkserver and at least one worker
                self.peak_with_workers = max(self.peak_with_workers, total)
            else:
                self.peak_alone = max(self.peak_alone, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class ChildStopped(RuntimeError):
    """The child ran past its time or memory limit and was killed."""

    def __init__(self, reason: str, seconds: float, peak: int, peak_processes: int) -> None:
        super().__init__(reason)
        self.reason, self.seconds = reason, seconds
        self.peak, self.peak_processes = peak, peak_processes


def run_child(
    args: list[str],
    *,
    memory: bool = False,
    timeout: float | None = None,
    memory_limit: int | None = None,
) -> tuple[dict[str, Any], TreeMemory | None]:
    """Run `python -m bench.child ARGS` (a fresh interpreter, so nothing is warm);
    return its JSON answer and, with `memory`, the sampler of its process tree.
    Past `timeout` seconds or `memory_limit` bytes of tree RSS the child and its
    workers are killed (other people share this machine) and ChildStopped raised."""
    import json

    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.child", *args], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    mem = TreeMemory(proc.pid) if memory or memory_limit else None
    reason = None
    if mem:
        mem.__enter__()
    try:
        while True:
            try:
                out, _ = proc.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - start
                if timeout is not None and elapsed > timeout:
                    reason = f"did not finish within {timeout:.0f} s"
                elif mem and memory_limit and mem.peak > memory_limit:
                    reason = f"passed {memory_limit / 1e9:.1f} GB of RSS after {elapsed:.0f} s"
                if reason:
                    _kill_tree(proc)
                    raise ChildStopped(reason, elapsed, mem.peak if mem else 0,
                                       mem.peak_processes if mem else 0) from None
    finally:
        if mem:
            mem.__exit__()
    if proc.returncode != 0:
        raise RuntimeError(f"bench.child {' '.join(args)} failed with code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), mem


def _kill_tree(proc: subprocess.Popen[str]) -> None:
    # Only the processes this benchmark started: the child and its descendants.
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    proc.kill()
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    proc.communicate()


def with_workers(config: Config, workers: int) -> Config:
    return replace(config, workers=workers)

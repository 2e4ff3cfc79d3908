"""Pipeline set-ups and measurements shared by `bench.run` and `bench.child`."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
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
    set_phase("warm-up")
    if config.worker_count > 1:
        pool = pipeline.transform_pool(config)
        for future in [pool.submit(int) for _ in range(config.worker_count * 2)]:
            future.result()
    else:
        pipeline.warm_worker(config.claims.model)
    try:
        set_phase("transform")
        start = time.perf_counter()
        plans = pipeline.plan_transform(config)
        batches = pipeline.transform_in_workers(config, plans, run_id, None, pool)
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


PHASE_ENV = "BENCH_PHASE_FILE"  # the child writes its current phase name there


def set_phase(name: str) -> None:
    """In a `bench.child`: tell the parent's sampler which phase has begun."""
    import os

    path = os.environ.get(PHASE_ENV)
    if path:
        Path(path).write_text(name)


@dataclass
class ProcPeak:
    """The peak RSS of one process of the tree, with what it was."""

    pid: int
    role: str  # main, forkserver, resource_tracker, worker or other
    peak: int = 0
    phase: str = ""  # the phase it peaked in


@dataclass
class TreeSample:
    """One sample of the tree: its RSS total and each process's share."""

    total: int = 0
    phase: str = ""
    processes: list[tuple[int, str, int]] = field(default_factory=list)  # pid, role, rss
    pss: int | None = None  # proportional set size of the tree, shared pages split

    def describe(self) -> str:
        parts = ", ".join(f"{role} {pid} {rss / 2**20:.0f}"
                          for pid, role, rss in sorted(self.processes, key=lambda p: -p[2]))
        pss = f"; PSS {self.pss / 2**30:.2f} GiB" if self.pss is not None else ""
        return f"{self.total / 2**30:.2f} GiB in {self.phase or '?'} [MiB: {parts}]{pss}"


class TreeMemory:
    """Peak RSS of a process and all its descendants, sampled every `interval` s.

    RSS counts pages shared between processes once per process, so the sum
    over-states the tree's real footprint: the figure is an upper bound (the
    PSS at each new peak, which splits shared pages, is the real one).
    Besides the peak of the tree it keeps each process's own peak (by role),
    the tree's peak in each phase the child announced (`set_phase`), and its
    peak while transform workers were alive vs with none (only the main
    process and multiprocessing's helpers, the forkserver and the resource
    tracker, which outlive the pool).
    """

    def __init__(self, pid: int, interval: float = 0.05, phase_file: Path | None = None) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.phase_file = phase_file
        self.peak = 0
        self.peak_processes = 0
        self.at_peak = TreeSample()
        self.by_phase: dict[str, TreeSample] = {}
        self.with_workers = TreeSample()
        self.without_workers = TreeSample()
        self.processes: dict[int, ProcPeak] = {}
        self._roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    # Kept for callers of the old attributes.
    @property
    def peak_with_workers(self) -> int:
        return self.with_workers.total

    @property
    def peak_alone(self) -> int:
        return self.without_workers.total

    def _role(self, proc: psutil.Process) -> str:
        role = self._roles.get(proc.pid)
        if role is None:
            if proc.pid == self.root.pid:
                role = "main"
            else:
                cmd = " ".join(proc.cmdline())
                parent = proc.ppid()
                if "resource_tracker" in cmd:
                    role = "resource_tracker"
                elif self._roles.get(parent) == "forkserver" or "spawn_main" in cmd:
                    role = "worker"  # forked by the forkserver (or spawned)
                elif "forkserver" in cmd:
                    role = "forkserver"
                elif parent == self.root.pid and "multiprocessing" not in cmd:
                    role = "worker"  # fork context: same command line as the parent
                else:
                    role = "other:" + cmd[:40]
            self._roles[proc.pid] = role
        return role

    def _phase(self) -> str:
        if self.phase_file is None:
            return ""
        try:
            return self.phase_file.read_text().strip() or "startup"
        except OSError:
            return ""

    def _sample(self) -> None:
        while not self._stop.is_set():
            phase = self._phase()
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            # Parents first (children() is breadth first), so a worker's
            # forkserver has its role when the worker is looked at.
            sample = TreeSample(phase=phase)
            live: list[psutil.Process] = []
            for proc in procs:
                try:
                    role = self._role(proc)
                    rss = proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                live.append(proc)
                sample.total += rss
                sample.processes.append((proc.pid, role, rss))
                own = self.processes.setdefault(proc.pid, ProcPeak(proc.pid, role))
                if rss > own.peak:
                    own.peak, own.phase = rss, phase
            if sample.total > self.peak:
                sample.pss = _tree_pss(live)
                self.peak, self.peak_processes = sample.total, len(sample.processes)
                self.at_peak = sample
            if sample.total > self.by_phase.get(phase, TreeSample()).total:
                self.by_phase[phase] = sample
            workers = any(role == "worker" for _, role, _ in sample.processes)
            if workers and sample.total > self.with_workers.total:
                self.with_workers = sample
            if not workers and sample.total > self.without_workers.total:
                self.without_workers = sample
            self._stop.wait(self.interval)

    def report(self) -> list[str]:
        """The breakdown, one line each: per process, per phase, with/without workers."""
        lines = [f"tree peak {self.at_peak.describe()}"]
        for phase, sample in self.by_phase.items():
            lines.append(f"phase {phase or '?'}: peak {sample.describe()}")
        lines.append(f"workers alive: peak {self.with_workers.describe()}")
        lines.append(f"no workers (main + mp helpers): peak {self.without_workers.describe()}")
        by_role: dict[str, list[ProcPeak]] = {}
        for own in self.processes.values():
            by_role.setdefault(own.role, []).append(own)
        for role, owns in sorted(by_role.items()):
            top = max(owns, key=lambda o: o.peak)
            lines.append(f"{role}: {len(owns)} process(es), highest peak {top.peak / 2**20:.0f} "
                         f"MiB (pid {top.pid}, in {top.phase or '?'}); peaks MiB "
                         + " ".join(f"{o.peak / 2**20:.0f}" for o in owns))
        return lines

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _tree_pss(procs: list[psutil.Process]) -> int | None:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            return None
    return total


class ChildStopped(RuntimeError):
    """The child ran past its time or memory limit and was killed."""

    def __init__(self, reason: str, seconds: float, peak: int, peak_processes: int,
                 breakdown: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason, self.seconds = reason, seconds
        self.peak, self.peak_processes = peak, peak_processes
        self.breakdown = breakdown or []  # TreeMemory.report() so far


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
    import os
    import tempfile

    start = time.monotonic()
    fd, phase_name = tempfile.mkstemp(prefix="bench-phase-")
    os.close(fd)
    phase_file = Path(phase_name)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.child", *args], stdout=subprocess.PIPE, text=True,
            cwd=REPO, env={**os.environ, PHASE_ENV: phase_name},
        )
        return _watch_child(proc, args, start, phase_file, memory=memory, timeout=timeout,
                            memory_limit=memory_limit)
    finally:
        phase_file.unlink(missing_ok=True)


def _watch_child(
    proc: subprocess.Popen[str],
    args: list[str],
    start: float,
    phase_file: Path,
    *,
    memory: bool,
    timeout: float | None,
    memory_limit: int | None,
) -> tuple[dict[str, Any], TreeMemory | None]:
    import json

    mem = TreeMemory(proc.pid, phase_file=phase_file) if memory or memory_limit else None
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
                    if mem:
                        mem.__exit__()
                    raise ChildStopped(reason, elapsed, mem.peak if mem else 0,
                                       mem.peak_processes if mem else 0,
                                       mem.report() if mem else None) from None
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

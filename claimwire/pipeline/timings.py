"""Where a run's time went: one record per run, printed after its summary.

Wall-clock stages, each measured where it runs (`runs`, `overlap`):

    start-up   the process's age when the run began: interpreter, imports,
               config (the command line's own cost)
    prepare    warehouse opened (created or migrated), leftovers checked
    fetch      polling feeds and fetching their new pages (robots.txt included)
    transform  extraction and claims after the fetch ended (what overlapped
               the fetch is not counted twice)
    load       staged batches into the warehouse
    derive     near duplicates, stories, clusters, speakers, search index
    finish     the run's record, plans removed, workers stopped

and beside them, not part of the sum: the worker processes' start (a fresh
interpreter and the spaCy model, overlapping the fetch when started early),
the seconds requests slept waiting out a host's politeness delay (summed
over concurrent requests), the wall time workers spent extracting and finding
claims (summed over workers, whether it overlapped the fetch or not), and
the CPU seconds the run used in this process and its transform workers (their
start-up included; not the small feed-parse helper), a figure other load on
the machine disturbs less than wall time.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

# Wall-clock stages, in the order a run meets them.
STAGES = ("start-up", "prepare", "fetch", "transform", "load", "derive", "finish")
# Measured beside the stages (they overlap them).
BESIDE = ("worker start", "politeness waits", "robots.txt", "extract", "claims")


def process_age() -> float:
    """Seconds since this process started (0.0 where the OS does not say)."""
    try:
        with open("/proc/self/stat") as handle:
            # Field 22, after the parenthesised command name (which may hold spaces).
            started_ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
        return max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class Timings:
    """Seconds per stage of one run (see the module docstring)."""

    stages: dict[str, float] = field(default_factory=dict)
    beside: dict[str, float] = field(default_factory=dict)
    workers: int = 0
    started: float = field(default_factory=time.perf_counter)
    # CPU seconds of each worker process (start-up included), by pid.
    worker_cpu: dict[str, float] = field(default_factory=dict)
    cpu: float = 0.0

    @classmethod
    def begin(cls) -> Timings:
        """A record for a run starting now, charged with the process's start-up."""
        timings = cls()
        timings.stages["start-up"] = process_age()
        return timings

    def add(self, stage: str, seconds: float) -> None:
        target = self.stages if stage in STAGES else self.beside
        target[stage] = target.get(stage, 0.0) + max(0.0, seconds)

    def add_all(self, seconds: Mapping[str, float]) -> None:
        for stage, value in seconds.items():
            if not isinstance(value, int | float):
                continue
            if stage.startswith("cpu:"):  # a worker's CPU so far: its latest report counts
                self.worker_cpu[stage] = max(self.worker_cpu.get(stage, 0.0), float(value))
            else:
                self.add(stage, float(value))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def close(self) -> None:
        """Charge the time since the run began that no stage took to `finish`;
        note the CPU seconds this process and its workers used."""
        counted = sum(v for k, v in self.stages.items() if k != "start-up")
        self.add("finish", time.perf_counter() - self.started - counted)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = usage.ru_utime + usage.ru_stime + sum(self.worker_cpu.values())

    @property
    def total(self) -> float:
        return sum(self.stages.values())

    def line(self) -> str:
        """One summary line: the total, each stage, then what ran beside them."""
        parts = [f"{name} {self.stages[name]:.1f}" for name in STAGES if name in self.stages]
        text = f"{self.total:.1f} s: {', '.join(parts)}"
        beside = self._beside()
        return f"{text} (beside: {beside})" if beside else text

    def _beside(self) -> str:
        parts = [f"CPU {self.cpu:.1f}"] if self.cpu else []
        if "worker start" in self.beside:
            parts.append(f"worker start {self.beside['worker start']:.1f}")
        for name in ("extract", "claims"):
            if name in self.beside:
                workers = f" in {self.workers} workers" if self.workers > 1 else ""
                parts.append(f"{name} {self.beside[name]:.1f}{workers}")
        for name in ("politeness waits", "robots.txt"):
            if name in self.beside:
                parts.append(f"{name} {self.beside[name]:.1f} summed over requests")
        return ", ".join(parts)

    def detail(self) -> list[str]:
        """One line per stage (`--timings`)."""
        lines = [f"{name:<18}{self.stages[name]:8.2f} s" for name in STAGES
                 if name in self.stages]
        lines.append(f"{'total':<18}{self.total:8.2f} s")
        if self.cpu:
            workers = sum(self.worker_cpu.values())
            lines.append(f"{'CPU':<18}{self.cpu:8.2f} s  (this process and its transform "
                         f"workers: {workers:.2f} s of it in {len(self.worker_cpu)} workers)")
        for name in BESIDE:
            if name in self.beside:
                lines.append(f"{name:<18}{self.beside[name]:8.2f} s  (beside the stages)")
        return lines

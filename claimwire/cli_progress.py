"""Progress of long commands on stderr: a bar with rate and ETA on a terminal,
plain lines with rate and ETA elsewhere (a log file, a pipe, Airflow).

The stages report lines such as "[poll 3/10] https://...: new_items",
"[derive 40/200 articles] ..." or "[2/5] unit: staged"; a line of that shape
moves its stage's bar, any other line is printed as it is.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

_STEP = re.compile(r"^\[(?:(?P<stage>[a-z][\w -]*?) )?(?P<done>\d+)/(?P<total>\d+)"
                   r"(?: (?P<unit>[\w ()]+?))?\]\s*(?P<rest>.*)$")


@dataclass
class _Stage:
    started: float
    first_done: int
    task: Any = None  # the rich task id on a terminal


def rate_and_eta(done: int, total: int, first_done: int, elapsed: float) -> tuple[float, float]:
    """Steps per second since the stage's first line, and seconds left at that rate
    (both 0.0 while nothing is measured yet)."""
    rate = (done - first_done) / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    return rate, eta


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class ProgressReporter:
    """A `say(line)` for the pipeline's progress lines; close() when done."""

    def __init__(self, stream: TextIO | None = None, *, terminal: bool | None = None) -> None:
        self._stream = stream or sys.stderr
        self._terminal = self._stream.isatty() if terminal is None else terminal
        self._stages: dict[str, _Stage] = {}
        self._progress: Any = None

    def __call__(self, message: str) -> None:
        found = _STEP.match(message)
        if found is None:
            self._line(message)
            return
        stage = found["stage"] or "backfill"
        done, total = int(found["done"]), int(found["total"])
        now = time.monotonic()
        state = self._stages.get(stage)
        if state is None or done < state.first_done:
            state = self._stages[stage] = _Stage(now, done)
        if self._terminal:
            self._bar(stage, state, done, total, found["rest"])
            return
        rate, eta = rate_and_eta(done, total, state.first_done, now - state.started)
        extra = f"{rate:.1f}/s" if rate else ""
        if rate and done < total:
            extra += f", ETA {duration(eta)}"
        self._line(f"{message} ({extra})" if extra else message)

    def _line(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self._stream, flush=True)

    def _bar(self, stage: str, state: _Stage, done: int, total: int, rest: str) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("{task.fields[detail]}", style="dim"),
                console=Console(file=self._stream), transient=False)
            self._progress.start()
        detail = rest[:60]
        if state.task is None:
            state.task = self._progress.add_task(stage, total=total, completed=done,
                                                 rate="", detail=detail)
        rate, _ = rate_and_eta(done, total, state.first_done, time.monotonic() - state.started)
        self._progress.update(state.task, total=total, completed=done, detail=detail,
                              rate=f"{rate:.1f}/s" if rate else "")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

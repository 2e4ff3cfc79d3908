"""Progress of a backfill that reads big files one after another: done / total, rate, ETA.

A CC-NEWS backfill streams hundreds of 1 GB files for hours; its lines say
where it is and how long the rest will take. `FileProgress` is shared by
the files of one run; `FileMeter` follows one file as its bytes arrive.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from claimwire.cli_progress import duration

# Seconds between lines while one file is read.
EVERY = 10.0


@dataclass
class FileProgress:
    """Files of one run: how many there are and how long finished ones took."""

    total: int
    durations: list[float] = field(default_factory=list)  # of files finished in this run

    def begin(self, position: int) -> FileMeter:
        return FileMeter(self, position, time.monotonic())

    def per_file(self) -> float | None:
        return sum(self.durations) / len(self.durations) if self.durations else None


@dataclass
class FileMeter:
    """One file being read: its position among the run's files, bytes so far."""

    run: FileProgress
    position: int  # 1-based
    started: float
    bytes_read: int = 0
    length: int | None = None  # the whole file, when known

    @property
    def elapsed(self) -> float:
        return max(1e-6, time.monotonic() - self.started)

    def reader(self, raw: io.RawIOBase, on_tick: Callable[[], None],
               every: float | None = None) -> io.RawIOBase:
        """`raw`, counting its bytes here and calling `on_tick` every `every` seconds."""
        return _Metered(raw, self, on_tick, EVERY if every is None else every)

    def line(self, detail: str) -> str:
        """`file 3/12: <detail>, 312 of 1,024 MB at 14.2 MB/s; ETA 50 s for this file, ...`"""
        size = f"{_mb(self.bytes_read)} of {_mb(self.length)}" if self.length else _mb(
            self.bytes_read)
        text = f"file {self.position}/{self.run.total}: {detail}, {size} at {self._rate()}"
        left = self._left_here()
        if left is not None:
            text += f"; ETA {duration(left)} for this file"
            rest = self._left_after(left)
            if rest is not None and self.position < self.run.total:
                text += f", {duration(rest)} for all"
        return text

    def finish(self, detail: str, *, timed: bool = True) -> str:
        """Record the file as done (its time in the average unless not `timed`: a
        file that failed at once says nothing about the next); the closing line."""
        seconds = self.elapsed
        if timed:
            self.run.durations.append(seconds)
        text = (f"file {self.position}/{self.run.total} done: {detail}; "
                f"{_mb(self.bytes_read)} in {duration(seconds)} ({self._rate()})")
        after = self.run.total - self.position
        per_file = self.run.per_file()
        if after > 0 and per_file is not None:
            text += f"; ETA {duration(after * per_file)} for the {after} file(s) left"
        return text

    def _rate(self) -> str:
        return f"{self.bytes_read / self.elapsed / 1e6:.1f} MB/s"

    def _left_here(self) -> float | None:
        if not self.length or not self.bytes_read:
            return None
        done = min(1.0, self.bytes_read / self.length)
        return self.elapsed * (1 - done) / done

    def _left_after(self, left_here: float) -> float | None:
        per_file = self.run.per_file() or (self.elapsed + left_here)
        return left_here + (self.run.total - self.position) * per_file


class _Metered(io.RawIOBase):
    def __init__(self, raw: io.RawIOBase, meter: FileMeter, on_tick: Callable[[], None],
                 every: float) -> None:
        super().__init__()
        self._raw = raw
        self.name = getattr(raw, "name", None)
        self._meter = meter
        self._on_tick = on_tick
        self._every = every
        self._next = time.monotonic() + every

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer) or 0
        self._meter.bytes_read += count
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self._every
            self._on_tick()
        return count


def _mb(count: int | None) -> str:
    megabytes = (count or 0) / 1e6
    return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"

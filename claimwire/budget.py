"""A time limit on CPU-bound work in this process (one document's claim stage).

SIGALRM interrupts the Python code at the next bytecode, spaCy's included
(it returns to Python between paragraphs), so one pathological document
cannot hold a transform shard for a quarter of an hour. Signals reach only
the main thread: elsewhere the limit is not enforced and the caller's size
caps are what bound the work.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class OutOfTime(Exception):
    """The block ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise OutOfTime inside the block once it has run `seconds` of wall clock."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return
    armed = True

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        # An alarm landing after the block ended (before it was disarmed) is ignored.
        if armed:
            raise OutOfTime(f"over the {seconds:g} s time budget")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

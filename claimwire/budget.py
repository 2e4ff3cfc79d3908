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
import time
from collections.abc import Iterator
from types import FrameType


class OutOfTime(Exception):
    """The block ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise OutOfTime inside the block once it has run `seconds` of wall clock.

    An interval timer already running (Airflow's execution_timeout uses one)
    keeps its deadline: if it comes first its own handler runs, and it is
    re-armed with what is left of it afterwards.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return
    started = time.monotonic()
    armed = True
    outer_fired = False
    previous = signal.getsignal(signal.SIGALRM)
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    outer_first = bool(outer_left) and outer_left <= seconds

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        # An alarm landing after the block ended (before it was disarmed) is ignored.
        if not armed:
            return
        if outer_first and callable(previous):
            nonlocal outer_fired
            outer_fired = True
            previous(signum, frame)
            return
        raise OutOfTime(f"over the {seconds:g} s time budget")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, outer_left if outer_first else seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_fired:
            if outer_interval:
                signal.setitimer(signal.ITIMER_REAL, outer_interval, outer_interval)
        elif outer_left:
            left = outer_left - (time.monotonic() - started)
            # Past due unnoticed: let it fire at once, for its own handler.
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)

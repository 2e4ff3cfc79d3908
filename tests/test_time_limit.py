"""The claim stage's per-document time limit (SIGALRM) stops a busy loop, and
leaves an interval timer someone else set (Airflow's execution_timeout) as it
was: firing at its own time, through its own handler."""

from __future__ import annotations

import signal
import time

import pytest

from claimwire.budget import OutOfTime, time_limit


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_busy_block_is_stopped_at_its_limit():
    started = time.monotonic()
    with pytest.raises(OutOfTime, match="over the 0.2 s time budget"), time_limit(0.2):
        _spin(5)
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


class Outer(Exception):
    pass


def _outer(signum, frame):
    raise Outer()


def test_an_outer_timer_keeps_its_deadline_and_handler():
    previous = signal.signal(signal.SIGALRM, _outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        started = time.monotonic()
        with pytest.raises(OutOfTime), time_limit(0.1):  # the inner one first
            _spin(5)
        with pytest.raises(Outer):  # then the outer one, at its own time
            _spin(5)
        assert 0.5 < time.monotonic() - started < 2
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(Outer), time_limit(5):  # the outer one first, inside the block
            _spin(5)
        _spin(0.3)  # and it does not fire twice
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

"""Process lifetimes: helpers die with the run that started them, and SIGTERM
ends a run as cleanly as Ctrl-C.

`timeout`, systemd and docker stop a run with SIGTERM and later SIGKILL.
Worker processes (the transform pool, the feed-parse sandbox) must not
outlive the run: each asks the kernel to kill it when its parent goes
(`die_with_parent`), so even a SIGKILLed run leaves nothing behind. The
forkserver that starts pool workers exits by itself once the run is gone
(it watches a pipe the run holds), which takes the workers with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType

_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwound like Ctrl-C, so staged work is kept."""


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent exits (Linux; a no-op
    elsewhere). Call it first thing in a child process."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    # The parent may have died before the request took effect: then this
    # process was already handed to init (or a subreaper) and must go now.
    if parent == 1 or os.getppid() != parent:
        os._exit(1)


def ignore_interrupts() -> None:
    """For helper processes: Ctrl-C (sent to the whole terminal process group)
    is the run's to handle; the run stops its helpers. SIGTERM keeps its
    default: multiprocessing stops processes with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` (a KeyboardInterrupt) in the
    main thread, so a run stops the way Ctrl-C stops it."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: running tasks are abandoned, their workers killed.

    `shutdown()` would wait for the running tasks (a whole shard), and at
    interpreter exit concurrent.futures joins them again; a stopped run must
    not wait for work it is throwing away.
    """
    # The executor keeps its processes in a private dict; there is no public
    # way to kill them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(5)

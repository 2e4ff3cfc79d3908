"""Process lifetimes: helpers die with the run that started them, and SIGTERM
ends a run as cleanly as Ctrl-C.

`timeout`, systemd and docker stop a run with SIGTERM and later SIGKILL.
Worker processes (the transform pool, the feed-parse sandbox) must not
outlive the run, so each watches the run's process and exits when it goes
(`die_with`), even when the run was SIGKILLed and ran no cleanup at all.

Watching the parent is not enough: pool workers are children of
multiprocessing's forkserver, not of the run, and the forkserver only exits
once its children have (they hold the pipe it waits on), while the workers
wait forever for work from the dead run. So a worker watches the run itself
(a pidfd, which cannot be fooled by a reused pid); with the workers gone,
the forkserver and the resource tracker exit too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType

_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwound like Ctrl-C, so staged work is kept."""


def die_with(run_pid: int) -> None:
    """End this process when process `run_pid` (the run that wants its work)
    exits. Call it first thing in a helper process."""
    if run_pid == os.getppid():
        _die_with_parent()
        return
    try:
        handle: int | None = os.pidfd_open(run_pid)
    except ProcessLookupError:
        os._exit(1)  # the run is already gone
    except (AttributeError, OSError):  # no pidfds here: poll the pid instead
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])  # readable once the process has exited
        else:
            while _alive(run_pid):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="claimwire-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent exits (Linux)."""
    parent = os.getppid()
    if not sys.platform.startswith("linux"):
        threading.Thread(target=lambda: (_wait_for_exit(parent), os._exit(1)),
                         name="claimwire-watchdog", daemon=True).start()
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    # The parent may have died before the request took effect: then this
    # process was already handed to init (or a subreaper) and must go now.
    if os.getppid() != parent:
        os._exit(1)


def _wait_for_exit(pid: int) -> None:
    while _alive(pid):
        time.sleep(1.0)


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

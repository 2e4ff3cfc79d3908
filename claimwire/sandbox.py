"""Running a parser over a stranger's bytes in a helper process, with a time
and a memory limit.

A thread cannot be stopped from outside, and a parser stuck in a pathological
input holds the GIL and the night with it. A helper process can be killed:
`SandboxPool.call` sends the function and its arguments to an idle helper,
waits at most `timeout` seconds for the answer, and kills (and later
replaces) a helper that overruns. Helpers run under an address-space limit,
ignore Ctrl-C/SIGTERM (the run handles those) and die with the run.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import queue
import threading
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class SandboxError(RuntimeError):
    """The call did not finish in the helper: it overran or the helper died."""


class SandboxTimeout(SandboxError):
    pass


class SandboxUnavailable(SandboxError):
    """No helper process can be started here (e.g. inside a daemonic process)."""


# Seconds a new helper may take to start and import its modules.
START_TIMEOUT = 60.0


def _serve(
    conn: Connection, memory_bytes: int | None, preload: tuple[str, ...], run_pid: int
) -> None:
    import importlib

    from claimwire.processes import die_with, ignore_interrupts

    die_with(run_pid)
    ignore_interrupts()
    for module in preload:  # imports do not count against the first call's time
        importlib.import_module(module)
    if memory_bytes:
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    conn.send("ready")
    while True:
        try:
            func, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, Any] = (True, func(*args, **kwargs))
        except MemoryError:
            answer = (False, SandboxError(f"out of memory (limit {memory_bytes} bytes)"))
        except Exception as exc:
            answer = (False, exc)
        try:
            conn.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send((False, SandboxError(f"unpicklable result: {exc}")))


class _Helper:
    """One helper process, started on first use, replaced after a kill."""

    def __init__(self, memory_bytes: int | None, preload: tuple[str, ...]) -> None:
        self._memory = memory_bytes
        self._preload = preload
        self._process: Any = None
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self.stop()
        context = get_context("forkserver")
        ours, theirs = context.Pipe()
        try:
            process = context.Process(
                target=_serve, args=(theirs, self._memory, self._preload, os.getpid()),
                name="claimwire-sandbox", daemon=True)
            process.start()
        except (AssertionError, OSError) as exc:
            ours.close()
            raise SandboxUnavailable(f"cannot start a helper process: {exc}") from exc
        finally:
            theirs.close()
        self._process, self._conn = process, ours
        try:
            started = ours.poll(START_TIMEOUT) and ours.recv() == "ready"
        except (EOFError, OSError):
            started = False
        if not started:
            code = self.stop()
            raise SandboxUnavailable(f"helper process did not start (exit code {code})")
        return ours

    def call(self, func: Callable[..., T], args: tuple, kwargs: dict, timeout: float) -> T:
        conn = self._connection()
        try:
            conn.send((func, args, kwargs))
            ready = conn.poll(timeout)
        except (OSError, EOFError) as exc:
            self.stop()
            raise SandboxError(f"helper process failed: {exc}") from exc
        if not ready:
            self.stop()
            raise SandboxTimeout(f"gave up after {timeout:g} s")
        try:
            ok, value = conn.recv()
        except (EOFError, OSError) as exc:
            code = self.stop()
            raise SandboxError(f"helper process died (exit code {code})") from exc
        if ok:
            return value
        raise value

    def stop(self) -> int | None:
        code = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                self._process.kill()
                self._process.join(5)
                code = self._process.exitcode
            self._process = None
        return code


class SandboxPool:
    """`size` helpers shared by any number of threads; a call waits for an idle one."""

    def __init__(
        self, size: int = 1, *, memory_bytes: int | None = None, preload: tuple[str, ...] = ()
    ) -> None:
        self._helpers = [_Helper(memory_bytes, preload) for _ in range(max(1, size))]
        self._idle: queue.SimpleQueue[_Helper] = queue.SimpleQueue()
        for helper in self._helpers:
            self._idle.put(helper)

    def call(self, func: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
        """`func(*args, **kwargs)` in a helper; SandboxTimeout after `timeout` seconds,
        SandboxError when the helper dies; the function's own exceptions as raised."""
        helper = self._idle.get()
        try:
            return helper.call(func, args, kwargs, timeout)
        finally:
            self._idle.put(helper)

    def close(self) -> None:
        for helper in self._helpers:
            helper.stop()


_shared: dict[str, SandboxPool] = {}
_shared_lock = threading.Lock()


def shared_pool(
    name: str, size: int, memory_bytes: int | None, preload: tuple[str, ...] = ()
) -> SandboxPool:
    """The process-wide pool called `name`, created on first use, closed at exit."""
    with _shared_lock:
        pool = _shared.get(name)
        if pool is None:
            pool = _shared[name] = SandboxPool(size, memory_bytes=memory_bytes, preload=preload)
            atexit.register(pool.close)
        return pool

"""Shared pieces of the explorer tests: the demo warehouse (built once per test
session, shared by the xdist workers), a synthetic one, clients and servers."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # bench/ is a package at the repository root
    sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _build_demo(target: Path) -> None:
    """`claimwire demo` in its own process (the spaCy model stays out of the
    test workers), into a fresh directory renamed into place when complete."""
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("CLAIMWIRE_CONFIG",)}
    env["CLAIMWIRE_DB"] = str(building / "claimwire.duckdb")
    done = subprocess.run(
        [sys.executable, "-m", "claimwire.cli", "demo", "--port", "0"], cwd=building, env=env,
        capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"claimwire demo failed:\n{done.stdout}\n{done.stderr}")
    (building / "demo-output.txt").write_text(done.stdout)
    building.rename(target)


def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse directory: `claimwire.duckdb` and its raw archive."""
    # Under xdist the base temp's parent is this session's, shared by its workers;
    # without xdist that parent outlives the session, so the base temp itself is used.
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = root / "explorer-demo"
    with open(root / "explorer-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not target.exists():
                _build_demo(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def settings_for(directory: Path):
    from claimwire.explorer.app import ExplorerSettings

    return ExplorerSettings(warehouse=directory / "claimwire.duckdb",
                            archive_dir=directory / "claimwire-raw")


def app_client(directory: Path, **kwargs):
    with warnings.catch_warnings():  # Starlette's note that it prefers httpx2
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from claimwire.explorer.app import create_app

    return TestClient(create_app(settings_for(directory)), **kwargs)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def uvicorn_server(directory: Path) -> Iterator[str]:
    """The app on a real uvicorn server on 127.0.0.1, in a thread; its base URL."""
    import uvicorn

    from claimwire.explorer.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings_for(directory)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""Airflow on Celery for tests, started with `scripts/airflow-celery.sh`: an API
server, a scheduler and a DAG processor, and Celery workers each in a directory
of its own (own working directory, TMPDIR, task logs, copy of claimwire.toml),
with the local Redis as broker (a queue of its own per cluster), a PostgreSQL
database of its own as metadata DB, the DuckLake catalog in another, and the
raw archive, staging area and lake data on a loopback S3 server.

Skips with a reason where PostgreSQL, Redis or the Celery provider is missing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from pg_support import HOST, USER, fresh_database
from s3_server import CREDENTIALS

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "airflow-celery.sh"

# Test runs: a lost worker's task is noticed in seconds, retried at once.
FAST_POLICY = """
from datetime import timedelta


def task_policy(task):
    task.retry_delay = timedelta(seconds=1)
    task.retry_exponential_backoff = 0
    task.max_retry_delay = timedelta(seconds=2)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_services() -> None:
    if find_spec("airflow") is None or find_spec("airflow.providers.celery") is None:
        pytest.skip("apache-airflow with apache-airflow-providers-celery is not installed")
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                pytest.skip("no Redis answering at 127.0.0.1:6379")
    except OSError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc})")


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    metadata_dsn: str
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    others: list[subprocess.Popen] = field(default_factory=list)

    def airflow(self, *args: str, timeout: float = 180) -> str:
        proc = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env,
                              cwd=self.root, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"airflow {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg2

        con = psycopg2.connect(self.metadata_dsn)
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            con.close()

    def wait_for(self, what: str, check: Any, timeout: float = 300, every: float = 1.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            for name, proc in self.workers.items():
                if proc.poll() is not None and not getattr(proc, "killed", False):
                    pytest.fail(f"worker {name} exited {proc.returncode}:\n{self.logs()}")
            time.sleep(every)
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for path in sorted(self.root.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def dag_runs(self, dag_id: str) -> list[tuple[str, str]]:
        return self.query("SELECT run_id, state FROM dag_run WHERE dag_id = %s ORDER BY id",
                          (dag_id,))

    def task_instances(self, dag_id: str, task_id: str) -> list[tuple[Any, ...]]:
        return self.query(
            "SELECT run_id, map_index, state, try_number, pid, hostname FROM task_instance "
            "WHERE dag_id = %s AND task_id = %s ORDER BY map_index", (dag_id, task_id))

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker and every process it started (its task processes too)."""
        proc = self.workers[name]
        proc.killed = True  # type: ignore[attr-defined]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def worker_of(self, pid: int) -> str | None:
        """The worker that process `pid` descends from (its task process)."""
        import psutil

        try:
            lineage = {pid, *(p.pid for p in psutil.Process(pid).parents())}
        except psutil.NoSuchProcess:
            return None
        return next((n for n, p in self.workers.items() if p.pid in lineage), None)


def _start(
    cluster: Cluster, name: str, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.Popen:
    log = open(cluster.root / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(["bash", str(SCRIPT), *args], cwd=cwd, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


@contextlib.contextmanager
def celery_cluster(root: Path, claimwire_toml: str, workers: int = 2) -> Iterator[Cluster]:
    require_services()
    with fresh_database("cw_airflow") as airflow_dsn:
        dbname = airflow_dsn.split()[0].split("=", 1)[1]
        (root / "config").mkdir(parents=True)
        (root / "config" / "airflow_local_settings.py").write_text(FAST_POLICY)
        api_port = _free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AIRFLOW_", "AIRFLOW__", "CLAIMWIRE_"))}
        env.update(CREDENTIALS)
        bin_dir = str(Path(sys.executable).parent)
        env.update({
            "PATH": f"{bin_dir}:{env.get('PATH', '')}",
            "PYTHONPATH": str(root / "config"),
            "AIRFLOW_HOME": str(root / "airflow_home"),
            "CLAIMWIRE_PG_HOST": HOST, "CLAIMWIRE_PG_USER": USER,
            "CLAIMWIRE_AIRFLOW_DB": dbname,
            # What the script derives from the above, for `airflow` commands run here.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
                f"postgresql+psycopg2://{USER}@{HOST}:5432/{dbname}",
            "CLAIMWIRE_WORKER_ROOT": str(root / "workers"),
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"claimwire-test-{uuid.uuid4().hex[:8]}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "15",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__CELERY__WORKER_ENABLE_REMOTE_CONTROL": "False",
        })
        control = root / "control"
        control.mkdir()
        (control / "claimwire.toml").write_text(claimwire_toml)
        env["CLAIMWIRE_CONFIG"] = str(control / "claimwire.toml")
        cluster = Cluster(root=root, env=env, metadata_dsn=airflow_dsn)
        init = subprocess.run(["bash", str(SCRIPT), "init"], cwd=control, env=env,
                              capture_output=True, text=True, timeout=300)
        assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
        try:
            for component in ("api-server", "scheduler", "dag-processor"):
                cluster.others.append(_start(cluster, component, component, cwd=control,
                                             env=env))
            for n in range(1, workers + 1):
                name = f"worker{n}"
                own = root / "workers" / name
                own.mkdir(parents=True)
                (own / "claimwire.toml").write_text(claimwire_toml)
                worker_env = {**env, "AIRFLOW_HOME": str(own / "airflow_home"),
                              "CLAIMWIRE_CONFIG": str(own / "claimwire.toml"),
                              "CLAIMWIRE_WORKER_LOG_PORT": str(_free_port())}
                cluster.workers[name] = _start(cluster, name, "worker", name, cwd=own,
                                               env=worker_env)
            cluster.wait_for("both DAGs parsed", lambda: len(cluster.query(
                "SELECT dag_id FROM dag WHERE dag_id LIKE 'claimwire_%%'")) == 2)
            yield cluster
        finally:
            for proc in [*cluster.workers.values(), *cluster.others]:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in [*cluster.workers.values(), *cluster.others]:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


__all__ = ["Cluster", "celery_cluster", "fresh_database"]

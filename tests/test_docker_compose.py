"""The compose deployment in docker/: its structure, checked without Docker."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from claimwire.airflow_support import WAREHOUSE_POOL

yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency (pip install -e '.[dev]')")

DOCKER = Path(__file__).resolve().parents[1] / "docker"
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "docker-compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _command(service: dict[str, Any]) -> str:
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts.extend([value] if isinstance(value, str) else value)
    return " ".join(parts)


def test_services(services: dict[str, Any]) -> None:
    assert {"postgres", "airflow-init", "sample-site", *AIRFLOW_SERVICES} <= set(services)
    commands = {name: _command(services[name]) for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }
    assert services["postgres"]["image"].startswith("postgres:")
    assert "healthcheck" in services["postgres"]


def test_airflow_services_build_the_project_image(services: dict[str, Any]) -> None:
    image = services["airflow-scheduler"]["image"]
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        service = services[name]
        assert service["build"]["dockerfile"] == "docker/Dockerfile", name
        assert (DOCKER / service["build"]["context"] / "docker" / "Dockerfile").is_file()
        assert service["image"] == image, name
    # The sample site runs from the same image.
    assert services["sample-site"]["image"] == image


def test_airflow_settings(services: dict[str, Any]) -> None:
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        env = services[name]["environment"]
        # LocalExecutor unless the `celery` profile's AIRFLOW_EXECUTOR says otherwise.
        assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}", name
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert re.match(r"postgresql(\+psycopg2)?://airflow:.+@postgres:5432/airflow$", conn), conn
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        assert env["CLAIMWIRE_CONFIG"] == "/opt/claimwire/config/${CLAIMWIRE_TOML:-claimwire.toml}"
        # Components must agree on the task-token secret and find the execution API.
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
            "http://airflow-apiserver:8080/"
        )
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        if name != "airflow-init":
            assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_init_migrates_creates_the_pool_and_an_admin(services: dict[str, Any]) -> None:
    script = _command(services["airflow-init"])
    assert "airflow db migrate" in script
    assert re.search(rf"airflow pools set {WAREHOUSE_POOL} 1\b", script)
    assert "airflow users create" in script and "Admin" in script


def test_volumes(compose: dict[str, Any], services: dict[str, Any]) -> None:
    config = tomllib.loads((DOCKER / "claimwire.toml").read_text(encoding="utf-8"))
    warehouse = config["warehouse"]
    mounts = {}
    for entry in services["airflow-scheduler"]["volumes"]:
        source, target = entry.split(":")[:2]
        mounts[target] = source
    # The tasks run in the scheduler (LocalExecutor): warehouse, raw archive and staging
    # are named volumes there, at the paths the compose config uses.
    for key in ("path", "archive_dir", "staging_dir"):
        path = Path(warehouse[key])
        directory = str(path.parent if key == "path" else path)
        assert directory in mounts, key
        assert mounts[directory] in compose["volumes"], key
    assert mounts["/opt/airflow/dags"] == "../dags"
    assert (DOCKER / mounts["/opt/airflow/dags"]).is_dir()
    assert mounts["/opt/claimwire/config/claimwire.toml"] == "./claimwire.toml"
    assert mounts["/opt/claimwire/config/claimwire-celery.toml"] == "./claimwire-celery.toml"


def test_sample_site_is_reachable_from_the_tasks(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    site = services["sample-site"]
    assert "claimwire.sample_site" in _command(site)
    assert "8080" in [str(port) for port in site.get("expose", [])]
    config = tomllib.loads((DOCKER / "claimwire.toml").read_text(encoding="utf-8"))
    assert any(feed["url"].startswith("http://sample-site:8080/") for feed in config["feeds"])
    subnets = [entry["subnet"] for entry in compose["networks"]["default"]["ipam"]["config"]]
    assert subnets and set(subnets) <= set(config["http"]["allow_networks"])


def test_compose_config_loads() -> None:
    from claimwire.config import load_config

    config = load_config(DOCKER / "claimwire.toml")
    assert config.airflow.schedule
    assert config.feeds


def test_dockerfile() -> None:
    lines = [
        line.strip()
        for line in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    froms = [line for line in lines if line.upper().startswith("FROM ")]
    assert len(froms) == 1
    assert re.fullmatch(r"FROM apache/airflow:3\.3\.2-python3\.1[1-9]", froms[0])
    text = "\n".join(lines)
    assert re.search(r"pip install .*apache-airflow==\$\{AIRFLOW_VERSION\}", text)
    assert "ARG AIRFLOW_VERSION=3.3.2" in text
    assert re.search(r"pip install .*/opt/claimwire\[airflow,scale\]", text)
    # Installed as the image's airflow user, not as root.
    user = None
    for line in lines:
        if line.upper().startswith("USER "):
            user = line.split()[1]
        if "pip install" in line:
            assert user == "airflow", line
    # Everything the package build needs is copied in.
    copied = " ".join(line for line in lines if line.upper().startswith("COPY "))
    for name in ("pyproject.toml", "README.md", "claimwire", "ingest", "transform", "warehouse"):
        assert re.search(rf"\b{re.escape(name)}\b", copied), name


def test_api_server_listens_on_this_machine_only_by_default(services: dict[str, Any]) -> None:
    assert services["airflow-apiserver"]["ports"] == ["${AIRFLOW_API_BIND:-127.0.0.1}:8080:8080"]


def test_celery_profile(compose: dict[str, Any], services: dict[str, Any]) -> None:
    celery = {name for name, s in services.items() if "celery" in s.get("profiles", [])}
    assert celery == {"redis", "minio", "minio-bucket", "airflow-worker-1", "airflow-worker-2"}
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
    assert "postgres:5432/airflow" in env["AIRFLOW__CELERY__RESULT_BACKEND"]
    for name in ("airflow-worker-1", "airflow-worker-2"):
        worker = services[name]
        assert _command(worker) == "celery worker"
        # Nothing shared but the services: no warehouse, archive or staging volume.
        sources = {entry.split(":")[0] for entry in worker["volumes"]}
        assert not sources & {"warehouse", "raw-archive", "staging"}, name
        assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    from claimwire.config import load_config

    config = load_config(DOCKER / "claimwire-celery.toml")
    assert config.backend == "ducklake" and config.catalog and "host=postgres" in config.catalog
    assert str(config.staging_location).startswith("s3://claimwire/")
    assert config.storage_endpoint == "http://minio:9000"
    assert "CREATE DATABASE claimwire" in _command(services["airflow-init"])

#!/usr/bin/env bash
# `make airflow`: Airflow standalone (api-server, scheduler, dag-processor, triggerer in
# one process tree, SQLite metadata DB, LocalExecutor) running this repository's DAGs.
# The API server binds 127.0.0.1 (set AIRFLOW__API__HOST=0.0.0.0 to open it).
#
# Settings live in environment variables, not in an airflow.cfg, so the same
# AIRFLOW_HOME can be thrown away at any time (it is gitignored). The UI is on
# http://localhost:8080; standalone prints the admin password and keeps it in
# $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"  # relative paths in claimwire.toml and the default warehouse resolve here

export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO/airflow_home}"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# The API server (and UI) listens on this machine only unless told otherwise.
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
# Every task process reads the same config, wherever the executor starts it.
if [[ -z "${CLAIMWIRE_CONFIG:-}" && -f "$REPO/claimwire.toml" ]]; then
    export CLAIMWIRE_CONFIG="$REPO/claimwire.toml"
fi
if [[ -z "${CLAIMWIRE_CONFIG:-}" && -z "${CLAIMWIRE_DB:-}" ]]; then
    export CLAIMWIRE_DB="$REPO/claimwire.duckdb"
fi

mkdir -p "$AIRFLOW_HOME"
airflow db migrate
# DuckDB allows one writer process: both DAGs' load tasks run in this one-slot pool.
airflow pools set claimwire_warehouse 1 "claimwire: the one DuckDB writer"
exec airflow standalone

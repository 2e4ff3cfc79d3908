#!/usr/bin/env bash
# `make airflow-celery`: Airflow with the CeleryExecutor on one machine, from PyPI and
# Debian packages: Redis as the broker, PostgreSQL as the metadata database, and the
# components the compose profile `celery` runs in containers (see README, "Scaling out"):
#
#   scripts/airflow-celery.sh            init, then everything, WORKERS=2 celery workers
#   scripts/airflow-celery.sh init       metadata DB (created if missing), migrations, pool
#   scripts/airflow-celery.sh api-server | scheduler | dag-processor | triggerer
#   scripts/airflow-celery.sh worker NAME    one celery worker, in its own directory
#
# Each worker runs in a directory of its own ($CLAIMWIRE_WORKER_ROOT/NAME, with its own
# TMPDIR): the workers share nothing but the services, as on separate machines. That only
# works with a claimwire.toml whose [storage] url and [warehouse] backend = "ducklake" are
# reachable from every worker (an object store, a PostgreSQL catalog); pass its absolute
# path in CLAIMWIRE_CONFIG.
#
# Settings are environment variables (defaults below); the API server binds 127.0.0.1
# unless AIRFLOW__API__HOST says otherwise.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO/airflow_home_celery}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$REPO/dags}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
PG_HOST="${CLAIMWIRE_PG_HOST:-127.0.0.1}"
PG_USER="${CLAIMWIRE_PG_USER:-postgres}"
AIRFLOW_DB="${CLAIMWIRE_AIRFLOW_DB:-airflow}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-postgresql+psycopg2://$PG_USER@$PG_HOST:5432/$AIRFLOW_DB}"
export AIRFLOW__CELERY__BROKER_URL="${AIRFLOW__CELERY__BROKER_URL:-redis://127.0.0.1:6379/0}"
export AIRFLOW__CELERY__RESULT_BACKEND="${AIRFLOW__CELERY__RESULT_BACKEND:-db+postgresql+psycopg2://$PG_USER@$PG_HOST:5432/$AIRFLOW_DB}"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
# Workers run their tasks through the API server's execution API.
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://127.0.0.1:$AIRFLOW__API__PORT/execution/}"
# Tasks go to this Celery queue and the workers serve it.
export AIRFLOW__OPERATORS__DEFAULT_QUEUE="${AIRFLOW__OPERATORS__DEFAULT_QUEUE:-default}"
WORKERS="${WORKERS:-2}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-1}"
CLAIMWIRE_WORKER_ROOT="${CLAIMWIRE_WORKER_ROOT:-$AIRFLOW_HOME/workers}"

mkdir -p "$AIRFLOW_HOME"
# Every component must sign and check task tokens with the same secrets: made once.
secret() {
    local file="$AIRFLOW_HOME/.$1"
    [[ -s "$file" ]] || python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$file"
    cat "$file"
}
export AIRFLOW__API_AUTH__JWT_SECRET="${AIRFLOW__API_AUTH__JWT_SECRET:-$(secret jwt_secret)}"
export AIRFLOW__API__SECRET_KEY="${AIRFLOW__API__SECRET_KEY:-$(secret api_secret)}"

init() {
    if command -v psql >/dev/null 2>&1 && ! psql -h "$PG_HOST" -U "$PG_USER" -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$AIRFLOW_DB'" | grep -q 1; then
        psql -h "$PG_HOST" -U "$PG_USER" -d postgres -qc "CREATE DATABASE \"$AIRFLOW_DB\""
    fi
    airflow db migrate
    # On a DuckLake the writers queue on the catalog's lock; on a DuckDB file the pool
    # is what keeps them to one (see claimwire/airflow_support.py).
    airflow pools set claimwire_warehouse 1 "claimwire: the warehouse writers"
}

worker() {
    local name="$1"
    local dir="$CLAIMWIRE_WORKER_ROOT/$name"
    mkdir -p "$dir/tmp" "$dir/logs"
    cd "$dir"
    export TMPDIR="$dir/tmp"
    # Task logs on the worker's own disk, served to the API server from its own port.
    export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$dir/logs"
    export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${CLAIMWIRE_WORKER_LOG_PORT:-8793}"
    exec airflow celery worker --concurrency "$WORKER_CONCURRENCY" \
        --celery-hostname "$name@%h" --queues "$AIRFLOW__OPERATORS__DEFAULT_QUEUE"
}

case "${1:-all}" in
    init) init ;;
    api-server) exec airflow api-server --host "$AIRFLOW__API__HOST" --port "$AIRFLOW__API__PORT" ;;
    scheduler | dag-processor | triggerer) exec airflow "$1" ;;
    worker) worker "${2:?usage: $0 worker NAME}" ;;
    all)
        init
        pids=()
        trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
        for component in api-server scheduler dag-processor triggerer; do
            "$0" "$component" & pids+=($!)
        done
        for n in $(seq 1 "$WORKERS"); do
            CLAIMWIRE_WORKER_LOG_PORT=$((8792 + n)) "$0" worker "worker$n" & pids+=($!)
        done
        echo "Airflow (CeleryExecutor, $WORKERS workers) on http://$AIRFLOW__API__HOST:$AIRFLOW__API__PORT"
        wait
        ;;
    *) echo "usage: $0 [all|init|api-server|scheduler|dag-processor|triggerer|worker NAME]" >&2
       exit 2 ;;
esac

# claimwire: the two commands of the README, and a few helpers.
# Every target sets up what it needs itself (a .venv beside this file).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint bench airflow airflow-celery clean chromium

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "claimwire needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

# Stamps record which extras are installed; they are redone when pyproject changes.
$(VENV)/.core: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[explorer]'
	@touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[dev,airflow,explorer]'
	@touch $@ $(VENV)/.core

# The explorer's browser tests drive Debian's chromium (never a downloaded
# browser). Installed here only as root and when missing; without it those
# tests skip with a reason, so this step never fails the build.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests (apt-get)"; \
	    (timeout 600 apt-get update -q && DEBIAN_FRONTEND=noninteractive timeout 900 \
	      apt-get install -y -q --no-install-recommends chromium) >/dev/null 2>&1 \
	      || echo "could not install chromium: the browser tests will skip"; \
	  else echo "no chromium (and not root): the browser tests will skip"; fi; \
	fi

## demo: the main job on the embedded default (sample site -> local DuckDB file)
demo: $(VENV)/.core
	$(BIN)/claimwire demo

## test: lint and the whole test suite, one test process per core
test: $(VENV)/.dev chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(VENV)/.dev
	$(BIN)/ruff check .

## bench: throughput and quality figures (see bench/README)
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run

## airflow: airflow standalone with this project's dags/ (AIRFLOW_HOME=./airflow_home)
airflow: $(VENV)/.dev
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/airflow-standalone.sh

## airflow-celery: Airflow with the CeleryExecutor on this machine (Redis, PostgreSQL;
## WORKERS=2 workers in directories of their own); see README, "Scaling out"
airflow-celery: $(VENV)/.dev
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/airflow-celery.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info

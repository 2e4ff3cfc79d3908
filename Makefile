# claimwire: the two commands of the README, and a few helpers.
# Every target sets up what it needs itself (a .venv beside this file).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint bench airflow clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "claimwire needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

# Stamps record which extras are installed; they are redone when pyproject changes.
$(VENV)/.core: $(BIN)/python pyproject.toml
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[dev,airflow]'
	@touch $@ $(VENV)/.core

## demo: the main job on the embedded default (sample site -> local DuckDB file)
demo: $(VENV)/.core
	$(BIN)/claimwire demo

## test: lint and the whole test suite, one test process per core
test: $(VENV)/.dev
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info

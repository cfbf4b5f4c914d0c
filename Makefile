# The README's commands. Everything runs from the project venv, created on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install up down status test test-unit lint bench charts clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# torch first and pinned: an unpinned resolve could pull a multi-GB CUDA build. recbole is installed without its
# dependencies: only the real MovieLens-100K files it ships are used (see docs/model.md).
$(STAMP): pyproject.toml scripts/ensure-java.sh
	@bash scripts/ensure-java.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[spark,train,local,k8s,dev]'
	$(BIN)/python -m pip install --quiet --no-deps recbole==1.2.1
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with every extra

up: $(STAMP)  ## start the local stack (broker, mongod, streaming job, model, API) and return when ready
	$(BIN)/movierecs up

down:  ## stop what `make up` started
	@if [ -x $(BIN)/movierecs ]; then $(BIN)/movierecs down; fi

status: $(STAMP)  ## show each component of the local stack
	$(BIN)/movierecs status

test: $(STAMP)  ## the whole suite (starts the broker and mongod when not running, stops what it started)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP)  ## unit tests only (no servers)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check apps spark-jobs tests
	$(BIN)/mypy apps/movierecs spark-jobs/movierecs_streaming

bench: $(STAMP)  ## every benchmark (needs `make up`); figures go to docs/benchmarks.md by hand
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench serving needs wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/movierecs bench ingest
	$(BIN)/movierecs bench streaming
	$(BIN)/movierecs bench serving
	$(BIN)/movierecs bench freshness

charts: $(STAMP)  ## offline chart tests: pinned helm, lint, template, schema validation, wiring
	bash scripts/install-helm.sh >/dev/null
	$(BIN)/pytest tests/charts $(PYTEST_ARGS)

clean:  ## remove the venv and local state (stop the stack first)
	rm -rf $(VENV) .state

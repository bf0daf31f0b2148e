# ogp-pipeline — every target does its own set-up, so `make demo` and `make test` work on a
# fresh Debian/Ubuntu machine. Ports and paths are environment variables (see README).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
APT_PACKAGES := redis-server libpq-dev libmagic1 chromium fonts-thai-tlwg postgresql

# The OCDS schema: OGP_OCDS_SCHEMA_DIR names a local copy (offline machines); without it the
# pipeline downloads the schema once into its cache, and without network it publishes every
# family and withholds only the OCDS package (see README, "Offline").

.PHONY: help setup apt venv portal portal-down portal-status demo run test lint typecheck \
        pytest ui bench clean workers

help:
	@echo "make demo         set up everything, then run the whole pipeline on the demo drops"
	@echo "make test         set up everything, then lint, type-check and run the tests"
	@echo "make portal       start the local CKAN 2.12 portal (idempotent)"
	@echo "make portal-down  stop the local portal"
	@echo "make ui           serve the Dagster UI (dagster dev)"
	@echo "make workers      start WORKERS (2) Celery workers for the Celery executor (idempotent)"
	@echo "make bench        run the benchmarks and update bench/RESULTS.md"

setup: apt venv

# Debian packages, only when running as root and only those missing.
apt:
	@if [ "$$(id -u)" = 0 ]; then \
	  missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "apt-get install:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

portal: apt
	$(PYTHON) portal/portalctl.py up

portal-down:
	$(PYTHON) portal/portalctl.py down

portal-status:
	$(PYTHON) portal/portalctl.py status

demo: setup portal
	$(BIN)/ogp run

run: venv
	$(BIN)/ogp run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# Every test in parallel (pytest-xdist; each test has its own data, build and Dagster folders,
# and names what it publishes on the shared local CKAN), whole-pipeline runs first, the modules
# reading the one demo-catalog run on one worker (xdist_group); then, alone,
# the tests marked exclusive (they stop the shared CKAN). More workers than cores: the portal
# tests spend much of their time waiting for CKAN.
# The tests' folders (their data, builds and Dagster instances, from tempfile/tmp_path) go to
# memory when the machine has /dev/shm: Dagster's SQLite instance commits every event with an
# fsync, which costs milliseconds per event on a disk and nothing in memory.
# Bytecode caches are written even where the environment sets PYTHONDONTWRITEBYTECODE: without
# them each test process (every worker, every `ogp` a test starts) compiles the project's modules
# and rewrites the test modules again, about 4 s of CPU per collection of the suite.
PYTEST_WORKERS ?= 3
PYTEST_TMPDIR ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm || echo $${TMPDIR:-/tmp})
PYTEST_ENV := TMPDIR=$(PYTEST_TMPDIR) PYTHONDONTWRITEBYTECODE=

pytest: setup portal
	$(PYTEST_ENV) $(BIN)/pytest -m "not exclusive" -n $(PYTEST_WORKERS) --dist loadgroup --durations=25
	$(PYTEST_ENV) $(BIN)/pytest -m exclusive

test: lint typecheck pytest

ui: venv
	$(BIN)/ogp ui

# Celery workers on the portal's Redis for runs using the Celery executor (OGP_EXECUTOR=celery
# or the run config's execution: {config: {celery: {}}}); `ogp workers --stop` stops them.
WORKERS ?= 2

workers: venv portal
	$(BIN)/ogp workers -n $(WORKERS)

bench: setup portal
	$(BIN)/python bench/run_all.py

clean:
	rm -rf build data .pytest_cache .ruff_cache .mypy_cache

# cordon: `make run` (the demo, then the service) and `make test` (lint, types, tests).
# Both create the environment in .venv/ from uv.lock when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
SHARED ?= ../shared
PORT ?= 8000
DOORS_PORT ?= 8001
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: env run serve test lint typecheck pytest browser bench audit clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

# The Venus demo on ./cordon.db (station clock at noon of day 6), then the service on it with a
# one-time demo login printed on first start.
run: export CORDON_CLOCK ?= 2026-11-24T12:00:00Z
run: env
	$(VENV)/bin/cordon demo
	$(VENV)/bin/cordon cases --status confirmed
	$(VENV)/bin/cordon missing --role performer
	$(MAKE) --no-print-directory serve

serve: export CORDON_CLOCK ?= 2026-11-24T12:00:00Z
serve: env
	$(VENV)/bin/cordon init
	@$(VENV)/bin/cordon user list --json | grep -q '"demo"' || $(VENV)/bin/cordon user add demo --role command
	$(VENV)/bin/cordon serve --host 127.0.0.1 --port $(PORT) --doors-port $(DOORS_PORT)

lint: env
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

typecheck: env
	$(VENV)/bin/mypy

# The browser tests drive Debian's chromium; install it when missing (as root), else they skip.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y chromium >/dev/null 2>&1 || \
	    { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; } || \
	    echo "chromium could not be installed: the browser tests will skip"; \
	  else echo "chromium is missing and this is not root: the browser tests will skip"; fi; }

pytest: env browser
	$(VENV)/bin/pytest -n 2 --dist loadfile

test: lint typecheck pytest

bench: env
	$(VENV)/bin/python -m bench

audit: env
	$(VENV)/bin/python scripts/audit_deps.py

clean:
	rm -rf $(VENV) .uv .mypy_cache .pytest_cache .ruff_cache .hypothesis

# cordon: `make run` (the demo, then the service) and `make test` (lint, types, tests).
# Both create the environment in .venv/ from uv.lock when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
SHARED ?= ../shared
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: env run test lint typecheck pytest bench audit clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

run: env
	$(VENV)/bin/cordon demo
	$(VENV)/bin/cordon cases
	$(VENV)/bin/cordon people --role visiting_crew --limit 8
	$(VENV)/bin/cordon person stephanie --last 8

lint: env
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

typecheck: env
	$(VENV)/bin/mypy

pytest: env
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench: env
	$(VENV)/bin/python -m bench

audit: env
	$(VENV)/bin/python scripts/audit_deps.py

clean:
	rm -rf $(VENV) .uv .mypy_cache .pytest_cache .ruff_cache .hypothesis

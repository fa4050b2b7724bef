# cordon: `make run` (the demo, then the service) and `make test` (lint, types, tests).
# Both create the environment in .venv/ from uv.lock when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
SHARED ?= ../shared
PORT ?= 8000
DOORS_PORT ?= $$(( $(PORT) + 1 ))
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: env run serve test lint typecheck pytest browser bench audit clean screenshots

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

# The Venus demo on ./cordon.db (station clock at noon of day 6), then the service on it on
# PORT (the doors on PORT+1): `make run PORT=8080`. The first start prints a one-time password
# for the user demo (a new one is chosen at the first sign-in); later starts say how to sign in.
run: export CORDON_CLOCK ?= 2026-11-24T12:00:00Z
run: env
	$(VENV)/bin/cordon demo
	$(VENV)/bin/cordon cases --status confirmed
	$(VENV)/bin/cordon missing --role performer
	$(MAKE) --no-print-directory serve

serve: export CORDON_CLOCK ?= 2026-11-24T12:00:00Z
serve: env
	$(VENV)/bin/cordon init
	@if $(VENV)/bin/cordon user list --json | grep -q '"name": "demo"'; then \
	  echo "Sign in as demo with the password chosen at its first sign-in" \
	       "(forgotten? '$(VENV)/bin/cordon user reset demo' prints a new one-time password)."; \
	else \
	  $(VENV)/bin/cordon user add demo --role command && \
	  echo "Sign in as demo with this one-time password; you choose your own at the first sign-in."; \
	fi
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

# Full-page screenshots of every dashboard page on the demo, at 1280 and 768 px wide.
SHOTS ?= test-artifacts/screenshots
screenshots: env browser
	$(VENV)/bin/python scripts/screenshots.py --out $(SHOTS)

bench: env
	$(VENV)/bin/python -m bench

audit: env
	$(VENV)/bin/python scripts/audit_deps.py

clean:
	rm -rf $(VENV) .uv .mypy_cache .pytest_cache .ruff_cache .hypothesis

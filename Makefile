# Rehab Log: `make run` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
APP_ENV ?= development
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium
export APP_ENV

.PHONY: run install install-test lock chromium postgres test test-fast test-js test-sqlite test-postgres lint bench bench-signals bench-sync assets clean pwa-images

# Locked dependencies (issue 10): exact versions with hashes, made by `make lock` from
# pyproject.toml with pip-tools for CPython 3.11 on Linux x86_64. Installs never resolve.
LOCK_RUN := requirements/run.txt
LOCK_TEST := requirements/test.txt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Each install stamp depends on its lock file, so a changed lock re-installs. `pip check` fails
# when pyproject.toml asks for a package the lock lacks (run `make lock` after editing it).
$(VENV)/.installed: $(LOCK_RUN) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_RUN)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check || { echo "ERROR: pyproject.toml and $(LOCK_RUN) differ: run make lock" >&2; exit 1; }
	touch $@

$(VENV)/.installed-test: $(LOCK_TEST) $(LOCK_RUN) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_TEST)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check || { echo "ERROR: pyproject.toml and $(LOCK_TEST) differ: run make lock" >&2; exit 1; }
	touch $(VENV)/.installed $@

# The lock is made from the package index alone (no pip config files or local wheel folders of
# this machine), keeping every pin already in the lock unless asked: `make lock UPGRADE=1` moves
# everything to the newest allowed, `make lock LOCK_ARGS="--upgrade-package ruff"` one package.
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
  CUSTOM_COMPILE_COMMAND="make lock"
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
  --no-emit-find-links $(if $(UPGRADE),--upgrade) $(LOCK_ARGS)

## Re-make both lock files from pyproject.toml (the test lock keeps the runtime lock's pins).
## pip-tools comes from the current test lock, so this works while the two disagree.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_TEST)
	$(LOCK_ENV) $(BIN)/pip-compile $(LOCK_FLAGS) -o $(LOCK_RUN) pyproject.toml
	$(LOCK_ENV) $(BIN)/pip-compile $(LOCK_FLAGS) --extra test --constraint $(LOCK_RUN) \
	  -o $(LOCK_TEST) pyproject.toml

install: $(VENV)/.installed

# The front end's unit tests run on Node with two packages from npm, locked with their hashes
# in package-lock.json (`npm ci` installs exactly that and fails if package.json disagrees).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install-test: $(VENV)/.installed-test node_modules/.installed chromium

## Serve the app on http://$(HOST):$(PORT) with demo data in an empty database.
run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo-data --if-empty
	@echo "Rehab Log is at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@# Reminders go out from a loop beside the server, stopped with it.
	$(BIN)/flask --app wsgi reminders run & reminders=$$!; trap 'kill $$reminders' EXIT; \
	  $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

## Debian's Chromium for the browser tests, when it is not there yet.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi
	@test -x "$(CHROMIUM)" || { echo "ERROR: $(CHROMIUM) is missing and could not be installed." >&2; exit 1; }

## The local PostgreSQL must answer: start it when stopped, fail loudly when it cannot.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "PostgreSQL is not answering; starting it..."; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql 2>/dev/null | head -1) main start 2>/dev/null || true; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@$(BIN)/python -c "import psycopg, sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=5).close()" \
	  || { echo "ERROR: PostgreSQL at $(PG_TEST_URL) is unreachable: the suite must run on it too." >&2; exit 1; }

# The two databases' suites run side by side (one a core on this 2-core machine): they share
# no database, port or temporary folder, only the CSS bundle, built once here first so that
# neither writes static/gen while the other reads it. Each suite's output is printed whole
# when it ends (--output-sync), the failing one's included.
test: install-test postgres
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-js
	$(MAKE) --no-print-directory assets
	@echo "=== The suite on SQLite and on PostgreSQL, side by side: each prints when it ends ==="
	@echo "    (to follow them: tail -f test-artifacts/sqlite.log test-artifacts/postgres.log)"
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

## The quick loop for your own edits: lint, then the suite on SQLite without the browser tests.
test-fast: $(VENV)/.installed-test node_modules/.installed
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-js
	$(BIN)/pytest -p no:cacheprovider -q -m "not browser" $(PYTEST_ARGS)

## The front end's unit tests (static/js): validation, and the outbox and sync against a fake
## server behind a faulty network (property tests; JS_PROPERTY_RUNS=1000 for a longer search).
test-js: node_modules/.installed
	node --test tests/js/

# The suite, its output also in test-artifacts/NAME.log (to follow while `make test` holds it
# back); pytest's status is make's.
suite = mkdir -p test-artifacts && set -o pipefail && \
  $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) 2>&1 | tee test-artifacts/$(1).log

test-sqlite: install-test
	@echo "=== The suite on SQLite ==="
	$(call suite,sqlite)

test-postgres: install-test postgres
	@echo "=== The suite on PostgreSQL ($(PG_TEST_URL)) ==="
	export TEST_DATABASE_URL=$(PG_TEST_URL) && $(call suite,postgres)

# The core (the Flask-free domain: the package rehab_app/core), named once in pyproject.toml's
# import-linter contract: held to that contract, to mypy --strict as well as ruff, with the
# models they use (on the plain declarative base of models/base.py, so that a misspelt column
# fails the check).
# Chosen by path: a new module in rehab_app/core is checked, and one that gains a Flask import
# fails the contract instead of silently leaving the type check.
CORE_MODULES := $(shell $(PYTHON) -c "import os, tomllib; c = tomllib.load(open('pyproject.toml', 'rb'))['tool']['importlinter']['contracts'][0]; print(' '.join(p if os.path.isdir(p) else p + '.py' for p in (m.replace('.', '/') for m in c['source_modules'])))")

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy --strict --follow-imports=silent $(CORE_MODULES) rehab_app/models
	@for f in static/js/*.js tests/js/*.js; do node --check "$$f" || exit 1; done

## Build the minified, versioned CSS and JS bundles (production deploys run this).
assets: install
	$(BIN)/flask --app wsgi assets build

## Redraw the PNG icons and store screenshots (needs Chromium); the PNGs are committed.
pwa-images: install-test
	$(BIN)/python -m rehab_app.tools.pwa_images

bench: install-test
	$(BIN)/python -m bench

## The slow-change signals on the independent cohort (issue 12), held-out seed: a long run.
bench-signals: install-test
	$(BIN)/python -m bench.signals --size 1000

## Sync apply and a small sync against raw inserts and a health check (issue 14), both databases:
## in the bench's process, then the small sync on gunicorn as production serves it.
bench-sync: install-test postgres
	$(BIN)/python -m bench.sync
	$(BIN)/python -m bench.sync_served

## The load test (issue 14): 1,000 patients, 200 phones syncing, 50 therapists, gunicorn + PostgreSQL.
bench-load: install-test postgres
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) node_modules static/gen .pytest_cache .hypothesis

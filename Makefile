# CrisisDesk — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_ENV := DJANGO_DEBUG=1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve test test-sqlite test-postgres lint check bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

## demo: install, migrate SQLite, load demo data, print the logins, serve on http://127.0.0.1:8000
demo: $(VENV)/.installed
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

## test: lint, checks, the whole suite on SQLite and on a throwaway PostgreSQL, browser tests in Chromium
test: $(VENV)/.installed-dev
	bash scripts/ensure-system-deps.sh
	$(MAKE) lint check
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(VENV)/.installed-dev
	$(DEMO_ENV) $(PY) manage.py check --fail-level WARNING
	$(DEMO_ENV) $(PY) manage.py makemigrations --check --dry-run

test-sqlite: $(VENV)/.installed-dev
	$(PY) -m pytest

test-postgres: $(VENV)/.installed-dev
	bash scripts/with-postgres.sh $(PY) -m pytest -m "not browser"

## bench: 100,000 incidents in PostgreSQL; p50/p95 latency and queries of list page, list API, detail page vs a bare view
bench: $(VENV)/.installed-dev
	bash scripts/ensure-system-deps.sh
	bash scripts/with-postgres.sh $(PY) manage.py bench

messages: $(VENV)/.installed-dev
	$(DEMO_ENV) $(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=staticfiles
	$(DEMO_ENV) $(PY) manage.py compilemessages -l fr --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

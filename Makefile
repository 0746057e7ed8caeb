# CrisisDesk — the two commands are `make demo` and `make test`.
# Needs only Python >= 3.11, make and git; everything else is installed on first use
# (Python packages into .venv, system packages with apt-get by scripts/ensure-system-deps.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

# The first Python >= 3.11 on PATH; override with `make PYTHON=/path/to/python3.11 ...`.
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check --no-input
DEMO_ENV := DJANGO_DEBUG=1 SOURCE_DEMO_TIMER=1 CRISISDESK_2FA_ENFORCE=0
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test-sqlite PYTEST_ARGS="-k timeline -x"`.
PYTEST_ARGS ?=
# Parallel test processes (pytest-xdist): `auto` = one per CPU core, at most TEST_WORKERS_MAX (CI machines
# may have many cores; past 4 the database setup of each process eats the gain); a number forces it;
# 0 runs serially in one process (e.g. for --pdb). Each process has its own test database
# (test_<name>_gwN), its own Redis database and Celery queues, its own Chromium.
TEST_WORKERS ?= auto
TEST_WORKERS_MAX ?= 4
XDIST_N = $(if $(filter auto,$(TEST_WORKERS)),$(shell n=$$(nproc 2>/dev/null || echo 1); \
	echo $$(( n < $(TEST_WORKERS_MAX) ? n : $(TEST_WORKERS_MAX) ))),$(TEST_WORKERS))
# loadgroup: tests go one by one to whichever process is free, except those marked
# @pytest.mark.xdist_group(name=...), which all run in one process.
XDIST_ARGS = --numprocesses=$(XDIST_N) --dist=loadgroup
# Production-like settings for the benchmark: DEBUG off, like a real deployment. The bench's users sign in
# with a password only, so second-factor enforcement is off (its middleware still runs on every request).
BENCH_ENV := DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0 \
	DJANGO_PLAIN_STATIC=1 DJANGO_ALLOWED_HOSTS=testserver,localhost DJANGO_DEBUG=0 CRISISDESK_2FA_ENFORCE=0
BENCH_ARGS ?=

.PHONY: demo serve test test-sqlite test-postgres lint check messages compilemessages system-deps bench clean \
	worker beat lock

# Installs come from the lock files (every package, transitive ones included, pinned with the hashes of its
# files): pip refuses anything else (--require-hashes). The stamps depend on the locks: a new lock reinstalls
# on the next make. requirements.txt / requirements-dev.txt are the top-level pins; `make lock` makes the locks.
$(VENV)/.installed: requirements.lock requirements-dev.lock scripts/make-venv.sh
	bash scripts/make-venv.sh $(VENV) "$(PYTHON)"
	$(PIP) install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements.lock requirements-dev.lock scripts/make-venv.sh
	bash scripts/make-venv.sh $(VENV) "$(PYTHON)"
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.installed

# pip-compile, run in a venv of its own (pip-tools pinned in requirements-dev.txt) so that locking works
# before the project's venv exists and does not depend on it.
LOCK_VENV := $(VENV)-lock
LOCK_ARGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--newline lf
# The package index alone, whatever this machine's pip configuration adds (local wheel folders, extra
# indexes): a lock must install on any machine.
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null

## lock: regenerate requirements.lock and requirements-dev.lock from requirements.txt and requirements-dev.txt
## (pip-compile --generate-hashes; the dev lock is constrained by the runtime lock, so the versions agree).
## Run it after editing a top-level pin; `make lock LOCK_UPGRADE=--upgrade` also moves unpinned transitive ones.
LOCK_UPGRADE ?=
lock:
	bash scripts/make-venv.sh $(LOCK_VENV) "$(PYTHON)"
	$(LOCK_VENV)/bin/python -m pip --disable-pip-version-check --no-input install --quiet \
		"$$(grep -E '^pip-tools==' requirements-dev.txt)"
	$(LOCK_ENV) $(LOCK_VENV)/bin/pip-compile $(LOCK_ARGS) $(LOCK_UPGRADE) \
		--output-file requirements.lock requirements.txt
	$(LOCK_ENV) $(LOCK_VENV)/bin/pip-compile $(LOCK_ARGS) $(LOCK_UPGRADE) \
		--constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

## demo: install, migrate SQLite, load demo data, print the logins, serve on http://$(HOST):$(PORT) (default 127.0.0.1:8000)
demo: $(VENV)/.installed
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py seed_demo --base-url "http://$(HOST):$(PORT)"
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(DEMO_ENV) CRISISDESK_WEBAUTHN_ORIGINS=http://localhost:$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

## test: lint, checks, the whole suite on SQLite (with the browser tests in Chromium) and on a throwaway PostgreSQL,
## each pass in TEST_WORKERS parallel pytest processes (pytest-xdist)
test: $(VENV)/.installed-dev system-deps
	@start=$$(date +%s); \
	if $(MAKE) --no-print-directory lint check compilemessages && \
		$(MAKE) --no-print-directory test-sqlite && \
		$(MAKE) --no-print-directory test-postgres; then rc=0; else rc=$$?; fi; \
	echo "make test: $$(( $$(date +%s) - start ))s, exit $$rc"; exit $$rc

system-deps:
	bash scripts/ensure-system-deps.sh

# lint-imports: the import-linter contracts of pyproject.toml (apps depend one way; domains independent).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

check: $(VENV)/.installed-dev
	$(DEMO_ENV) $(PY) manage.py check --fail-level WARNING
	$(DEMO_ENV) $(PY) manage.py makemigrations --check --dry-run

# Compile the translation catalogues the tests render with (needs msgfmt from gettext).
compilemessages: $(VENV)/.installed-dev
	@if compgen -G "locale/*/LC_MESSAGES/*.po" >/dev/null || compgen -G "*/locale/*/LC_MESSAGES/*.po" >/dev/null; then \
		$(DEMO_ENV) $(PY) manage.py compilemessages --ignore=.venv --ignore=.venv-lock --verbosity 0; \
	fi

test-sqlite: $(VENV)/.installed-dev
	CRISISDESK_REQUIRE_SYSTEM_DEPS=1 $(PY) -m pytest $(XDIST_ARGS) --durations=5 $(PYTEST_ARGS)

# Browser tests ran in the SQLite pass; here the rest runs again on PostgreSQL, including the
# postgres_only tests (row locks, concurrency) that skip themselves on SQLite, and the worker tests:
# a throwaway Redis (scripts/with-redis.sh) and real Celery worker processes started by the tests.
test-postgres: $(VENV)/.installed-dev system-deps
	CRISISDESK_REQUIRE_SYSTEM_DEPS=1 CRISISDESK_FORBID_SKIPS=1 \
		bash scripts/with-postgres.sh bash scripts/with-redis.sh $(PY) -m pytest $(XDIST_ARGS) -m "not browser" \
		--ignore=crisisdesk/tests/test_pg_script.py --durations=5 $(PYTEST_ARGS)

## bench: 100,000 incidents in PostgreSQL; p50/p95 latency and queries of list page, list API, detail page vs a bare view
bench: $(VENV)/.installed-dev system-deps
	$(BENCH_ENV) bash scripts/with-postgres.sh bash scripts/with-redis.sh $(PY) manage.py bench $(BENCH_ARGS)

## worker / beat: the Celery processes of a deployment (REDIS_URL set; see README, "Webhooks")
worker: $(VENV)/.installed
	$(BIN)/celery -A crisisdesk worker --loglevel INFO

beat: $(VENV)/.installed
	$(BIN)/celery -A crisisdesk beat --loglevel INFO

messages: $(VENV)/.installed-dev
	$(DEMO_ENV) $(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=.venv-lock --ignore=staticfiles
	$(DEMO_ENV) $(PY) manage.py compilemessages -l fr --ignore=.venv --ignore=.venv-lock

clean:
	rm -rf $(VENV) $(LOCK_VENV) db.sqlite3 staticfiles

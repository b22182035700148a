# Two commands matter: `make run` (portal with demo data on http://127.0.0.1:8000/) and `make test`.
# `make prod` runs the production path (gunicorn + worker, DEBUG=0) against a system PostgreSQL.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter on PATH that is Python >= 3.12 (pyenv users: .python-version selects 3.12.1).
PYTHON ?= $(shell for candidate in python3.14 python3.13 python3.12 python3 python; do \
	if command -v $$candidate >/dev/null 2>&1 && \
	   $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	   echo $$candidate; break; fi; done)

# Local development defaults; production sets its own environment (see README).
run serve demo shell migrate: export DEBUG ?= 1
test test-only fuzz lint migrations-check messages: export SECRET_KEY ?= test-only-secret-key-not-for-production
# Production settings on loopback: plain HTTP (no HTTPS redirect), a generated key kept in var/.
prod: export DEBUG = 0
prod: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/digest_prod
prod: export ALLOWED_HOSTS ?= 127.0.0.1,localhost
prod: export SECURE_SSL_REDIRECT ?= 0
prod: export WEB_CONCURRENCY ?= 2
PROD_SECRET_KEY_FILE := var/prod-secret-key

# The embedded PostgreSQL (under var/, used without DATABASE_URL) outlives the commands that start it, so
# that the next one finds it running. run, test, test-only, fuzz, bench and load run in a session: it stops
# the server when they end unless it was running before they started (or another client still uses it).
# `make stop` stops it.
EMBEDDED_DB := $(PY) -m digest.embedded_db
IN_DB_SESSION := $(EMBEDDED_DB) session --

.PHONY: help install run serve demo prod stop test test-only fuzz lint migrations-check messages shell migrate clean

help:
	@echo "make run    - set up, load demo digests and serve http://$(HOST):$(PORT)/"
	@echo "make test   - set up and run ruff, the migrations check and the whole test suite"
	@echo "make stop   - stop the embedded PostgreSQL (run and test stop it when they started it)"
	@echo "make fuzz   - the property and fuzz tests with fresh random examples, FUZZ_SCALE (default 20) times as many"
	@echo "make prod   - production settings: gunicorn + worker on http://$(HOST):$(PORT)/ against DATABASE_URL"
	@echo "make bench  - query-set benchmark vs the raw-SQL floor + import papers/s; default database: the 1M corpus"
	@echo "              digest_bench on the embedded PostgreSQL; DATABASE_URL=postgres://... make bench for another,"
	@echo "              BENCH_ARGS=\"--json --only paper_page,feed --cold|--cached --explain --runs N\" for options"
	@echo "make load   - wrk against gunicorn on loopback: paper pages, faceted search, browse, mixed (req/s, p95,"
	@echo "              errors, worker RSS; reads only); default database digest_bench as for bench;"
	@echo "              DATABASE_URL=postgres://... make load for another, LOAD_ARGS=\"--scenario paper,search ...\""

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.12 or newer is required but none was found on PATH."; \
		echo "       Install it (python.org, your package manager, or 'pyenv install 3.12') and run make again,"; \
		echo "       or point to one explicitly: make PYTHON=/path/to/python3.12 run"; \
		exit 1; \
	fi
	@echo "Using $$($(PYTHON) --version) from $$(command -v $(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --no-input

demo: migrate
	$(MANAGE) load_demo

run: install
	@$(IN_DB_SESSION) $(MAKE) --no-print-directory serve

# The background worker (large digest uploads) runs beside the web server and stops with it.
serve: demo
	@echo
	@echo "Serving the portal on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/) - Ctrl-C stops it"
	@echo "Background import worker: log in var/worker.log"
	@$(MANAGE) run_worker > var/worker.log 2>&1 & worker=$$!; \
	 trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	 $(MANAGE) runserver $(HOST):$(PORT)

# The production processes on loopback: DEBUG=0, hashed static files, JSON logs, gunicorn + worker. The
# database (default digest_prod on the system PostgreSQL) is created when missing.
prod: install
	@mkdir -p var
	@test -s $(PROD_SECRET_KEY_FILE) || (umask 077; $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(PROD_SECRET_KEY_FILE))
	@export SECRET_KEY="$$(cat $(PROD_SECRET_KEY_FILE))"; set -e; \
	 $(PY) -m digest.ensure_database; \
	 $(MANAGE) migrate --no-input; \
	 $(MANAGE) collectstatic --no-input; \
	 $(MANAGE) load_demo; \
	 echo; \
	 echo "Serving the portal (production settings) on http://$(HOST):$(PORT)/ with $$WEB_CONCURRENCY gunicorn workers - Ctrl-C stops it"; \
	 echo "Background import worker: log in var/prod-worker.log"; \
	 $(MANAGE) run_worker > var/prod-worker.log 2>&1 & worker=$$!; \
	 trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	 $(VENV)/bin/gunicorn digest.wsgi --workers $$WEB_CONCURRENCY --bind $(HOST):$(PORT) --access-logfile -

# Reliability tests on loopback (docs/reliability.md): a fresh digest_load database on the system PostgreSQL 15,
# gunicorn + worker; 64 readers for 60 s while a 2,000-paper import runs, then a PostgreSQL restart under load
# (needs root for pg_ctlcluster). Results in var/reliability.json, server logs in var/loadtest/.
.PHONY: reliability
reliability: install
	@mkdir -p var
	$(PY) -m benchmarks.load.reliability --fault all --json var/reliability.json

# Benchmarks (issue 6, docs/performance.md): the query set through the real views against the same SQL run
# directly with psycopg, and the importer's papers/s (a dry run: the database is not changed). DEBUG is off
# (DEBUG=1 slows Django); the database defaults to the 1M corpus on the embedded PostgreSQL 18 under var/.
BENCH_DATABASE_URL := postgres://postgres@$(subst /,%2F,$(CURDIR)/var/pgdata):5432/digest_bench
bench: export DATABASE_URL ?= $(BENCH_DATABASE_URL)
bench: export DEBUG = 0
bench: export SECRET_KEY ?= bench-only-secret-key-not-for-production
bench: export ALLOWED_HOSTS ?= testserver
.PHONY: bench
bench: install
	$(IN_DB_SESSION) $(MANAGE) bench $(BENCH_ARGS)

# Reader load (issue 6, docs/performance.md): gunicorn with production settings on 127.0.0.1 and wrk, per
# scenario req/s, p50/p95/p99, errors and the workers' peak RSS against the targets. Reads only; needs wrk
# (apt-get install -y wrk). Results in var/load.json, gunicorn logs in var/load/.
load: export DATABASE_URL ?= $(BENCH_DATABASE_URL)
.PHONY: load
load: install
	@mkdir -p var
	$(IN_DB_SESSION) $(PY) -m benchmarks.load.throughput --json var/load.json $(LOAD_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

test-only: install
	$(IN_DB_SESSION) $(VENV)/bin/pytest

test: install
	@$(IN_DB_SESSION) $(MAKE) --no-print-directory lint migrations-check test-only

# The property and fuzz tests (every @given test) with fresh random examples, FUZZ_SCALE (default 20) times
# as many as make test draws (tests/fuzzing.py); a failure found replays from .hypothesis/ until it is fixed.
fuzz: export HYPOTHESIS_PROFILE = fuzz
fuzz: install
	$(IN_DB_SESSION) $(VENV)/bin/pytest -m hypothesis -q -p no:cacheprovider

# Update the UI translations after changing strings (needs GNU gettext); the .mo files are committed.
messages: install
	$(MANAGE) makemessages -l ja -l zh_Hans -l ko --ignore=.venv --ignore=var --ignore=tests
	$(MANAGE) compilemessages --ignore=.venv --ignore=var

shell: install
	$(MANAGE) shell

stop:
	@if [ -x $(PY) ]; then $(EMBEDDED_DB) stop; else echo "No $(VENV): no embedded PostgreSQL to stop."; fi

clean:
	rm -rf $(VENV) var/static

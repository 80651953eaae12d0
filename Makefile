# The front door. `make run` serves the demo; `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/teachingfile
PYTEST_ARGS ?=

.PHONY: run install migrate demo test test-sqlite test-pg lint format migrations-check \
        bench bench-small bench-images prod-check test-production ci reset-local-db clean \
        backup restore bench-search browser-deps ocr-deps phi-audit viewer bench-viewer typecheck imports

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PY) manage.py seed_demo

# `make run PORT=8001 HOST=0.0.0.0`: another port, or listen beyond this machine (then add
# the name people type to ALLOWED_HOSTS). E-mail goes to the console unless EMAIL_URL is set.
HOST ?= 127.0.0.1
PORT ?= 8000
RUN_ALLOWED_HOSTS ?= $(HOST),127.0.0.1,localhost
run: demo
	@echo "Serving the demo at http://$(HOST):$(PORT) (accounts resident, faculty, editor, director; password demo)"
	DEBUG=1 ALLOWED_HOSTS="$${ALLOWED_HOSTS:-$(RUN_ALLOWED_HOSTS)}" SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" \
	  $(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(STAMP)
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# pytest exits 5 when it collected nothing; make treats that as the failure it is.
# The browser tests drive Debian's Chromium (never a downloaded browser). Without root
# the install is skipped with a message, and those tests skip with the reason.
browser-deps:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
	    sudo apt-get update && sudo apt-get install -y chromium; \
	  else echo "chromium is missing and apt-get needs root: browser tests will be skipped."; fi; }

# Burned-in text is read with Debian's Tesseract; installed like Chromium above.
ocr-deps:
	@command -v tesseract >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y tesseract-ocr; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
	    sudo apt-get update && sudo apt-get install -y tesseract-ocr; \
	  else echo "tesseract-ocr is missing and apt-get needs root: OCR tests will be skipped."; fi; }

test-sqlite: $(STAMP) browser-deps ocr-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-pg: $(STAMP)
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest --create-db $(PYTEST_ARGS)

# --- typecheck (issue 14) ---
# Strict mypy over the apps ([tool.mypy] in pyproject.toml), then bench/ from inside bench/,
# where its scripts are top-level modules (bench/viewer.py alone: it imports bench.images).
typecheck: $(STAMP)
	$(VENV)/bin/mypy
	cd bench && MYPYPATH=.. ../$(VENV)/bin/mypy --config-file ../pyproject.toml \
	  images.py probe.py reports.py run.py search.py seed.py live.py
	cd bench && MYPYPATH=.. ../$(VENV)/bin/mypy --config-file ../pyproject.toml viewer.py

# Who may import whom ([tool.importlinter] in pyproject.toml, docs/architecture.md).
imports: $(STAMP)
	$(VENV)/bin/lint-imports
# --- end typecheck ---

test: lint typecheck imports migrations-check test-sqlite

# The speed benchmark (bench/run.py): SCALE=full|small, BENCH_DB=sqlite|postgres|both.
# Writes var/bench/latest.json. `make bench SCALE=small` finishes in a few minutes.
SCALE ?= full
BENCH_DB ?= sqlite
bench: $(STAMP)
	SCALE=$(SCALE) BENCH_DB=$(BENCH_DB) $(PY) bench/run.py

bench-small: $(STAMP)
	SCALE=small BENCH_DB=$(BENCH_DB) $(PY) bench/run.py

# The production stack against real services: S3 (moto), Redis at TEST_REDIS_URL
# (default redis://127.0.0.1:6379/15; skipped with the reason when it does not answer).
# Part of `make test` too; this target shows each check by name.
test-production: $(STAMP)
	$(VENV)/bin/pytest tests/test_production.py -v -rs

bench-images: $(STAMP)
	$(PY) bench/images.py

prod-check: $(STAMP)
	DEBUG=0 SECRET_KEY=prod-check-$$RANDOM-$$RANDOM-$$RANDOM-$$RANDOM-$$RANDOM-long-enough-for-the-fifty-character-check \
	  ALLOWED_HOSTS=teachingfile.example.org $(PY) manage.py check --deploy --fail-level WARNING
	$(MAKE) phi-audit

# Every stored DICOM source against the current de-identification (docs/security.md);
# an unmigrated database has nothing stored and passes.
phi-audit: $(STAMP)
	DEBUG=1 $(PY) manage.py phi_audit

ci: test test-pg prod-check

# Whole-site backup (database + media) into $VAR_DIR/backups (var/backups), and restore
# (replaces the database contents; see docs/bundles.md).
backup: $(STAMP)
	DEBUG=1 $(PY) manage.py backup_site

restore: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/teachingfile-backup-....zip"; exit 2; }
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py restore_site "$(FILE)" --yes

bench-search: $(STAMP)
	$(PY) bench/search.py

# --- viewer (issue 15) ---
# Rebuild the vendored Cornerstone3D bundle from frontend/package-lock.json. Needs Node and
# npm; the output under static/vendor/ is committed, so `make run` and CI need neither.
viewer:
	cd frontend && npm ci --no-audit --no-fund && node build.mjs

# The viewer's speed in Chromium (bench/viewer.py): first image, scroll and W/L frame
# intervals, memory. Writes var/bench/viewer.json; figures go in docs/viewer.md.
bench-viewer: $(STAMP) browser-deps
	$(PY) bench/viewer.py
# --- end viewer ---

reset-local-db:
	rm -f var/teachingfile.sqlite3 var/teachingfile.sqlite3-wal var/teachingfile.sqlite3-shm
	rm -rf var/media

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache bench/.mypy_cache

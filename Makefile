# learningmechanics.pub: `make run` starts the site, `make test` tests it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/learningmechanics

.PHONY: setup run worker test test-sqlite test-postgres test-faults browser-deps sandbox-users bench lint precompute

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)
	@mkdir -p "$${VAR_DIR:-var}"

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loadsite
	$(BIN)/python manage.py runlocal

# On a fresh checkout (or VAR_DIR) the database gets its tables first, as `make run` does.
worker: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/celery -A config worker -Q experiments,default -c 1 --without-gossip --without-mingle --without-heartbeat --loglevel INFO

# Browser tests drive Debian's Chromium and the sandbox needs bubblewrap; install
# them when we may (root) and they are missing.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v bwrap >/dev/null \
	    || ! /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver bubblewrap python3-seccomp >/dev/null) \
	      || echo "could not install chromium; browser tests will skip (fail under CI)"; \
	  else echo "chromium missing and not root: browser tests will skip (fail under CI)"; fi; \
	fi

# One unprivileged user per sandbox slot (compute/sandbox.py); workers use slots
# SANDBOX_SLOT_BASE + pool index, each test process slot 6 + its xdist worker
# number (tests/sandbox/__init__.py). Root only.
SANDBOX_SLOTS ?= $(shell echo $$(( 6 + $(TEST_WORKERS) > 8 ? 6 + $(TEST_WORKERS) : 8 )))
sandbox-users:
	@if [ "$$(id -u)" = 0 ]; then \
	  for i in $$(seq 0 $$(($(SANDBOX_SLOTS) - 1))); do id lm-sandbox-$$i >/dev/null 2>&1 || \
	    useradd --system --no-create-home --shell /usr/sbin/nologin --user-group lm-sandbox-$$i; done; \
	else echo "not root: author experiments cannot run and the sandbox tests skip (fail under CI)"; fi

# Both passes run in parallel worker processes (pytest-xdist), each with its own
# test database: TEST_WORKERS=4 for more, TEST_WORKERS=0 for one process.
# PYTEST_ARGS passes anything else, e.g. PYTEST_ARGS="tests/forum -x".
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test: setup browser-deps sandbox-users test-sqlite test-postgres

test-sqlite: setup
	$(PYTEST)

# Again on PostgreSQL, only the tests that use the database (--database-only):
# the others, the science tests among them, gave their answer above. The browser
# tests exercise the pages, not the database.
test-postgres: setup
	DATABASE_URL=$(PG_TEST_URL) $(PYTEST) --database-only -m "not browser" -p no:cacheprovider

# The fault-injection suite (tests/faults/, docs/operations.md): its own PostgreSQL and Redis, gunicorn and
# Celery workers, killed and cut off while requests keep coming. About five minutes; root for the full-disk case.
test-faults: setup
	$(BIN)/python -m pytest tests/faults -m faults -p no:cacheprovider

bench: setup
	$(BIN)/python bench/web.py
	$(BIN)/python bench/runs.py
	$(BIN)/python bench/experiments.py
	$(BIN)/python bench/pages.py

# The claims tables of docs/experiments.md and README.md, generated from the
# experiments' claim data and their smoke results (docs/experiments-smoke.json).
.PHONY: docs-experiments docs-experiments-check
docs-experiments: setup
	$(BIN)/python -m compute docs

docs-experiments-check: setup
	$(BIN)/python -m compute docs --check

lint: setup
	$(BIN)/ruff check apps compute config tests bench
	$(BIN)/ruff format --check apps compute config tests bench
	$(BIN)/mypy apps compute config

# Sisumaker: the two commands a new user types are `make run` and `make test`.
#
#   make run            start the demo (schema, demo regency, private Redis, worker, web) on PORT (default 5000)
#   make test           install the dev requirements and run the whole test suite
#   make venv           only create .venv and install requirements.txt
#   make clean          remove .venv and caches (keeps instance/: database, keys, files)
#
# Variables: PORT=5077 make run · make test PYTEST_ARGS="-q -p no:xdist" (one process) · PYTHON=python3.11

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
# Two processes (the machine this targets has two cores); a test file stays on one process, so its module
# fixtures (a browser, a fixture world) are built once.
PYTEST_ARGS ?= -q -n 2 --dist loadfile

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.DEFAULT_GOAL := help
.PHONY: help run test venv clean

help:
	@echo "make run    start Sisumaker with the demo regency on http://localhost:$(PORT)/ (Ctrl-C stops it)"
	@echo "make test   run the whole test suite"
	@echo "make venv   create .venv and install requirements.txt"
	@echo "make clean  remove .venv and caches (instance/ with the database is kept)"

# The interpreter of the virtual environment. A half-made .venv (venv without ensurepip) is removed again.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo >&2 "Sisumaker needs Python 3.11 or newer as '$(PYTHON)' (Debian 12: apt-get install python3)."; exit 1; }
	@echo "Creating $(VENV) with $$($(PYTHON) --version) ..."
	@$(PYTHON) -m venv $(VENV) || { \
	  rm -rf $(VENV); \
	  echo >&2 ""; \
	  echo >&2 "*** '$(PYTHON) -m venv' does not work on this machine (venv/ensurepip is missing)."; \
	  echo >&2 "*** On Debian/Ubuntu install it with:  sudo apt-get install python3-venv"; \
	  echo >&2 "*** then run the make command again."; \
	  exit 1; }

# Stamp files: pip runs again only when a requirements file changed (or .venv was removed).
$(VENV)/.installed-run: requirements.txt | $(PY)
	@echo "Installing requirements.txt into $(VENV) ..."
	@$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed-run
	@echo "Installing requirements-dev.txt into $(VENV) ..."
	@$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed-run

run: $(VENV)/.installed-run
	@PORT=$(PORT) PYTHON=$(PY) SISUMAKER_ENV_NAME=development exec bash scripts/run.sh

test: $(VENV)/.installed-dev
	@command -v redis-server >/dev/null 2>&1 || echo "note: redis-server is not on PATH (apt-get install redis-server); queue tests need it."
	@test -x /usr/bin/chromium || echo "note: /usr/bin/chromium is missing (apt-get install chromium); browser tests need it."
	@if [ -n "$$SISUMAKER_TEST_POSTGRES_URL" ]; then echo "Testing on SQLite and on PostgreSQL ($$SISUMAKER_TEST_POSTGRES_URL)."; \
	  else echo "Testing on SQLite (set SISUMAKER_TEST_POSTGRES_URL to also test on PostgreSQL)."; fi
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache test-results .hypothesis bench/out
	find . -path ./instance -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Inbox and register pages on 100,000 letters as a ratio to ../shared/bench/floor_app.py (bench/README.md).
# make bench BENCH_ARGS="--letters 20000 --duration 5" · uses wrk when installed (apt-get install wrk)
BENCH_ARGS ?=
.PHONY: bench
bench: $(VENV)/.installed-run
	$(PY) bench/register_pages.py $(BENCH_ARGS)

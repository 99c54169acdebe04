# airline-elt: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first (`make setup`), so they work on a fresh machine.

PYTHON ?= python3.11
STACK  ?= airline-elt
VENV   ?= .venv
BIN    := $(VENV)/bin
SETUP_STAMP := $(VENV)/.setup-done
# apt-get needs root; as another user it goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-packages test-system-packages run report test lint build docs docs-url clean

setup: $(SETUP_STAMP)

$(SETUP_STAMP): pyproject.toml
	$(MAKE) system-packages
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# PostgreSQL server binaries (the local warehouse) and Java (PySpark; the JDK because the Glue-job
# test compiles a small Hadoop file system), from apt when missing.
system-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v javac >/dev/null 2>&1 || missing="$$missing openjdk-17-jdk-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Testing only: Debian's chromium, the headless browser of the report's page test
# (tests/report/test_report_browser.py), when missing.
test-system-packages:
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then \
	  echo "installing: chromium"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; \
	fi

# The whole pipeline on the bundled sample data, against the local warehouse.
run: setup
	$(BIN)/airline-elt run --landing sample_data/landing

# The delay report (charts) of the local warehouse, written to .airline-elt/dbt/target/report.html.
report: setup
	$(BIN)/airline-elt report

# Lint (ruff, sqlfluff) and every test: dbt build and tests, landing, runner, AWS path.
test: setup lint test-system-packages
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint models macros tests/dbt
	# The same SQL rendered for the Redshift target (target.type == 'redshift' branches).
	$(BIN)/sqlfluff lint --config orchestration/sqlfluff-redshift.cfg models macros

# dbt build against the local warehouse (starts it if needed).
build: setup
	$(BIN)/airline-elt transform

docs: setup
	$(BIN)/airline-elt docs

# The AWS stack's dbt docs site and delay report: presigned HTTPS links (orchestration/docs_url.sh).
docs-url:
	STACK=$(STACK) orchestration/docs_url.sh

clean:
	-$(BIN)/airline-elt warehouse stop
	rm -rf .airline-elt target logs

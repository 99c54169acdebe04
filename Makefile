# airline-elt: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first, so they work on a fresh machine: `make run` what
# running needs (setup-run), `make test` also the test tools (setup-test); `make setup`
# installs both.

PYTHON ?= python3.11
STACK  ?= airline-elt
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.setup-run-done
TEST_STAMP := $(VENV)/.setup-test-done
# Glue 5.0's own modules (the subset pip's resolution meets) and the wheels the deploy ships to
# the Glue job, downloaded for tests/orchestration/test_glue_job.py, which installs them offline.
GLUE5       := $(VENV)/glue5
GLUE5_STAMP := $(GLUE5)/.downloaded
GLUE5_BASE  := tests/orchestration/glue_runtime/glue5-base-requirements.txt
# The npm validators of `make lint` (package.json, package-lock.json), installed with `npm ci`
# inside the venv folder so that node_modules stays out of the checkout.
NODE_LINT  := $(VENV)/node-lint
NODE_BIN   := $(NODE_LINT)/node_modules/.bin
NODE_STAMP := $(NODE_LINT)/.installed
# checkov (IaC scanner) in a virtual environment of its own: it pins boto3 and other libraries at
# versions the project's own pins conflict with. Its top level is pinned here; the stamp names the
# version, so a new pin reinstalls it.
CHECKOV_VERSION := 3.3.30
CHECKOV       := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV)/.installed-$(CHECKOV_VERSION)
# setuptools prints an "Editable installation" notice (a warning) on every editable install,
# whatever the mode: silenced here, and only that one (the packages live in this checkout).
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet
# apt-get needs root; as another user it goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# How `make test` spreads the tests (see the test target); `make test PYTEST_WORKERS=` runs them
# in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile

.PHONY: setup setup-run setup-test spark-archive system-packages test-system-packages lint-system-packages run report test lint build docs docs-url clean

setup: setup-run setup-test
setup-run: $(RUN_STAMP) spark-archive
setup-test: $(TEST_STAMP) $(GLUE5_STAMP)

$(BIN)/python:
	$(MAKE) --no-print-directory system-packages
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The project and what running it needs.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(MAKE) --no-print-directory system-packages
	$(PIP_INSTALL) -e .
	touch $@

# The Spark driver's class-data-sharing archive (Java 17 dynamic CDS): the JVM maps Spark's
# classes instead of loading and verifying them on every run (docs/performance.md, "Fixed cost
# of a run"). Rebuilt when the installed packages or the JDK change; a run uses it only while
# it matches them (airline_elt/spark.py), and a failed build leaves none (runs start without
# it; the stamp says it was tried, so `make run` does not try again until its inputs change).
SPARK_ARCHIVE := $(VENV)/airline-elt-spark/.tried
JAVA_LIB := $(firstword $(wildcard $(shell readlink -f "$$(command -v java 2>/dev/null)" 2>/dev/null \
  | sed 's,/bin/java$$,,')/lib/server/libjvm.so))
$(SPARK_ARCHIVE): pyproject.toml $(JAVA_LIB) scripts/build_spark_archive.py | $(RUN_STAMP)
	mkdir -p $(dir $@)
	-$(BIN)/python scripts/build_spark_archive.py
	touch $@
spark-archive: $(SPARK_ARCHIVE)

# ... and the test tools (pytest, moto, ruff, sqlfluff, cfn-lint, Playwright: it drives Debian's
# chromium by path, so `playwright install` is never run).
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(MAKE) --no-print-directory system-packages
	$(PIP_INSTALL) -e '.[dev]'
	touch $@ $(RUN_STAMP)

$(GLUE5_STAMP): orchestration/glue_wheels.sh $(GLUE5_BASE) | $(BIN)/python
	rm -rf $(GLUE5) && mkdir -p $(GLUE5)/base $(GLUE5)/wheels
	$(BIN)/pip download --quiet --only-binary=:all: --no-deps --platform manylinux2014_x86_64 \
	  --python-version 3.11 --implementation cp --dest $(GLUE5)/base -r $(GLUE5_BASE)
	PATH="$(abspath $(BIN)):$$PATH" bash -c 'source orchestration/glue_wheels.sh && \
	  for wheel in "$${GLUE_WHEELS[@]}"; do IFS=- read -r name version _ <<< "$$wheel"; \
	    glue_wheel_download $(GLUE5)/wheels "$$name" "$$version"; \
	    [ -f "$(GLUE5)/wheels/$$wheel" ] || { echo "no $$wheel"; exit 1; }; done'
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

# Linting only: Node.js and npm for the state machine validators, from apt when npm is missing
# (Debian 12 ships nodejs 18; package.json holds jsep at a version that runs on it).
lint-system-packages:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "installing: nodejs npm"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm; \
	fi

# asl-validator and @wmfs/statelint at the versions package-lock.json pins (with integrity
# hashes), exactly as locked: `npm ci` fails if package.json and the lock disagree.
$(NODE_STAMP): package.json package-lock.json | $(BIN)/python
	$(MAKE) --no-print-directory lint-system-packages
	mkdir -p $(NODE_LINT)
	cp package.json package-lock.json $(NODE_LINT)/
	cd $(NODE_LINT) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_STAMP): | $(BIN)/python
	rm -rf $(CHECKOV)
	$(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

# The whole pipeline on the bundled sample data, against the local warehouse.
run: setup-run
	$(BIN)/airline-elt run sample_data/landing

# The delay report (charts) of the local warehouse, written to .airline-elt/dbt/target/report.html.
report: setup-run
	$(BIN)/airline-elt report

# Lint (ruff, sqlfluff) and every test: dbt build and tests, landing, runner, AWS path.
# On two pytest-xdist workers (one per core of a CI machine: most of a test's time is dbt, Spark
# and PostgreSQL processes): --dist loadfile keeps each test module on one worker, and each folder
# whose costly session fixtures all its modules share (tests/conftest.py).
test: setup-test lint test-system-packages
	$(BIN)/pytest $(PYTEST_WORKERS)

lint: setup-test $(NODE_STAMP) $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	# Types over airline_elt, airline_landing and glue ([tool.mypy] in pyproject.toml).
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models macros tests/dbt
	# The same SQL rendered for the Redshift target (its adapter.dispatch implementations).
	$(BIN)/sqlfluff lint --config orchestration/sqlfluff-redshift.cfg models macros
	# The stack: every rule on; the one check ignored is ignored in the template, with its reason.
	$(BIN)/cfn-lint orchestration/template.yaml
	# checkov's CloudFormation checks, none failed: a check is skipped only in the template, in the
	# resource's Metadata, with its reason beside it. --skip-download: no call to its vendor's API.
	$(CHECKOV)/bin/checkov --file orchestration/template.yaml --framework cloudformation \
	  --skip-download --quiet --compact
	# Every state machine (pipeline, safety net, monthly feed) as CloudFormation renders them,
	# each found by scripts/render_state_machines.py in the template, checked by two validators that share
	# nothing with this project's tests: asl-validator (JSON schema, paths, ARNs) and statelint
	# (AWS's own States Language rules, ported from awslabs/statelint).
	rm -rf $(VENV)/asl-rendered
	$(BIN)/python scripts/render_state_machines.py $(VENV)/asl-rendered
	for definition in $(VENV)/asl-rendered/*.json; do \
	  $(NODE_BIN)/asl-validator --json-path "$$definition" || exit 1; \
	  $(NODE_BIN)/statelint "$$definition" || exit 1; \
	done

# dbt build against the local warehouse (starts it if needed).
build: setup-run
	$(BIN)/airline-elt transform

docs: setup-run
	$(BIN)/airline-elt docs

# The AWS stack's dbt docs site and delay report: presigned HTTPS links (orchestration/docs_url.sh).
docs-url:
	STACK=$(STACK) orchestration/docs_url.sh

clean:
	-$(BIN)/airline-elt warehouse stop
	rm -rf .airline-elt target logs

# Storefront developer commands. Each target installs what it needs into .venv (pinned requirements).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
PORT ?= 3000
MODE ?= kong
ROLE ?= user
TTL ?= 3600
FUZZ_EXAMPLES ?= 100
export SAM_CLI_TELEMETRY := 0

.PHONY: run test check lint format typecheck validate build token invoke bench oracle-sql openapi fuzz clean

## run: the API on http://127.0.0.1:$(PORT) (SQLite, in-process Redis, demo data). MODE=apigw for API Gateway.
run: $(VENV)/.local-installed
	$(BIN)/python -m localdev.gateway --mode $(MODE) --port $(PORT)

## test: every test (unit, integration on SQLite/PostgreSQL/Redis, e2e over HTTP) with the coverage gate.
test: $(VENV)/.dev-installed
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

## check: lint, format check, types and the SAM template (what CI runs after the tests).
check: lint typecheck validate

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

validate: $(SAM_VENV)/.installed
	$(SAM_VENV)/bin/sam validate --lint

## build: sam build (needs network access to PyPI for the arm64 wheels of the dependency layer).
build: $(SAM_VENV)/.installed
	PATH="$(abspath $(SAM_VENV))/bin:$$PATH" $(SAM_VENV)/bin/sam build

## token: a signed local token, e.g. make token ROLE=admin [TENANT=<uuid>] [TTL=-60 for an expired one].
token: $(VENV)/.local-installed
	@$(BIN)/python -m localdev.issue_token --role $(ROLE) --ttl $(TTL) $(if $(TENANT),--tenant $(TENANT))

## invoke: one function with an event file, e.g. make invoke FN=GetProductFunction EVENT=events/products/get_product.json
invoke: $(VENV)/.local-installed
	@$(BIN)/python -m localdev.invoke $(FN) $(EVENT)

## bench: cold-start and request benchmarks, reported as ratios measured in one run.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks.run

## oracle-sql: regenerate migrations/oracle/upgrade.sql (the Oracle DDL of every migration).
oracle-sql: $(VENV)/.local-installed
	$(BIN)/python -m localdev.oracle_sql > migrations/oracle/upgrade.sql

## openapi: regenerate docs/openapi.json from the handlers' routes (a test fails while it is stale).
openapi: $(VENV)/.local-installed
	$(BIN)/python -m localdev.openapi

## fuzz: schemathesis on every operation against the local gateway in both modes (FUZZ_EXAMPLES per operation).
fuzz: $(VENV)/.dev-installed
	$(BIN)/python -m localdev.fuzz --examples $(FUZZ_EXAMPLES)

clean:
	rm -rf $(VENV) $(SAM_VENV) .local .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov

# Installs report on stderr, so `TOKEN=$$(make -s token)` captures only the token even on a first run.
$(VENV)/.created:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (the Lambda runtime)"'
	@echo "creating $(VENV)" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install -q --upgrade pip >&2
	@touch $@

$(VENV)/.local-installed: $(VENV)/.created requirements/local.txt layers/deps/requirements.txt
	@echo "installing requirements/local.txt" >&2
	@$(BIN)/pip install -q -r requirements/local.txt >&2
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.local-installed requirements/dev.txt
	@echo "installing requirements/dev.txt" >&2
	@$(BIN)/pip install -q -r requirements/dev.txt >&2
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	@echo "installing requirements/sam.txt into $(SAM_VENV)" >&2
	@$(PYTHON) -m venv $(SAM_VENV) >&2
	@$(SAM_VENV)/bin/pip install -q -r requirements/sam.txt >&2
	@touch $@

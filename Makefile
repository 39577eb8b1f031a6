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
# template.yaml uses Fn::ForEach (AWS::LanguageExtensions): SAM CLI expands it locally only when enabled.
export SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS := 1
# Installs run one at a time under this lock: a second `make` waits for the first one's install, then
# finds it done. The inner make writes to stderr, so `TOKEN=$$(make -s token)` captures only the token.
PEER_VENVS := benchmarks/peers/cookbook/.venv/.installed benchmarks/peers/lambdalith/.venv/.installed
LOCKED_MAKE = @$(PYTHON) localdev/locked.py $(VENV).lock $(MAKE) -s --no-print-directory

.PHONY: run test check lint format typecheck validate build token service-key invoke redrive bench oracle-sql kong openapi fuzz clean help \
	local-env dev-env sam-env

## run: the API on http://127.0.0.1:3000 (PORT=, MODE=apigw for API Gateway), SQLite, demo data, cache stand-in
## (ORDER_DELAY=20: new orders wait 20 s on the order-processing queue, PENDING and still changeable).
run: local-env
	$(BIN)/python -m localdev.stamp
	$(if $(ORDER_DELAY),ORDER_PROCESSING_DELAY_SECONDS=$(ORDER_DELAY) )$(BIN)/python -m localdev.gateway --mode $(MODE) --port $(PORT)

## test: every test (unit, integration on SQLite/PostgreSQL/Redis, e2e over HTTP) with the coverage gate; lists the 25 slowest.
test: dev-env
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest --durations=25 $(PYTEST_ARGS)
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

## check: lint, format check, types and the SAM template (what CI runs after the tests).
check: lint typecheck validate

## lint: ruff check and ruff format --check.
lint: dev-env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## format: let ruff fix what it can and format the code.
format: dev-env
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## typecheck: mypy --strict.
typecheck: dev-env
	$(BIN)/mypy

## validate: sam validate --lint (the SAM CLI lives in its own virtualenv, .venv-sam).
validate: sam-env
	$(SAM_VENV)/bin/sam validate --lint

## build: stamp the version and git revision (shared/storefront/build.json), then sam build (needs network access to PyPI for the arm64 wheels of the dependency layer).
build: sam-env
	$(PYTHON) -m localdev.stamp
	PATH="$(abspath $(SAM_VENV))/bin:$$PATH" $(SAM_VENV)/bin/sam build

## token: a signed local token, e.g. make token ROLE=admin [TENANT=<uuid>] [TTL=-60 for an expired one].
token: local-env
	@$(BIN)/python -m localdev.issue_token --role $(ROLE) --ttl $(TTL) $(if $(TENANT),--tenant $(TENANT))

## service-key: a new key for a calling service in the local database, e.g. make service-key SERVICE=billing [TENANT=<uuid>].
service-key: local-env
	@$(BIN)/python -m localdev.service_key --service "$(SERVICE)" $(if $(TENANT),--tenant $(TENANT))

## invoke: one function with an event file, e.g. make invoke FN=GetProductFunction EVENT=events/products/get_product.json (EVENT= alone: its function is worked out)
invoke: local-env
	@$(BIN)/python -m localdev.invoke "$(FN)" "$(EVENT)"

## redrive: local run: move a queue's dead-lettered messages back to it, e.g. make redrive QUEUE=order-processing
redrive: local-env
	@$(BIN)/python -m localdev.redrive "$(QUEUE)"

## bench: cold starts vs a bare handler and two peers, round trips, latencies, lists (BENCH_QUICK=1: shorter).
bench: dev-env $(PEER_VENVS)
	$(BIN)/python -m benchmarks.run

## oracle-sql: regenerate migrations/oracle/upgrade.sql (the Oracle DDL of every migration).
oracle-sql: local-env
	$(BIN)/python -m localdev.oracle_sql > migrations/oracle/upgrade.sql

## kong: regenerate kong/kong.yml and shared/storefront/http/routes.py from template.yaml.
kong: local-env
	$(BIN)/python -m localdev.generate_kong

## openapi: regenerate docs/openapi.json from the handlers' routes (a test fails while it is stale).
openapi: local-env
	$(BIN)/python -m localdev.openapi

## fuzz: schemathesis on every operation against the local gateway in both modes (FUZZ_EXAMPLES per operation).
fuzz: dev-env
	$(BIN)/python -m localdev.fuzz --examples $(FUZZ_EXAMPLES)

## clean: remove the virtualenvs, the local database and every cache (stop `make run` first).
clean:
	rm -rf $(VENV) $(SAM_VENV) $(VENV).lock benchmarks/peers/*/.venv .local .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov

## help: this list of targets and what each one does.
help:
	@awk '/^## [a-z-]+: / { name = $$2; sub(/:$$/, "", name); sub(/^## [a-z-]+: /, ""); printf "  %-11s %s\n", name, $$0 }' $(MAKEFILE_LIST)

local-env:
	$(LOCKED_MAKE) $(VENV)/.local-installed >&2

dev-env:
	$(LOCKED_MAKE) $(VENV)/.dev-installed >&2

sam-env:
	$(LOCKED_MAKE) $(SAM_VENV)/.installed >&2

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

# The benchmark peers, each in its own virtualenv from its pinned requirements.
benchmarks/peers/%/.venv/.installed: benchmarks/peers/%/requirements.txt
	@echo "installing $< into benchmarks/peers/$*/.venv" >&2
	@$(PYTHON) -m venv benchmarks/peers/$*/.venv >&2
	@benchmarks/peers/$*/.venv/bin/pip install -q -r $< >&2
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	@echo "installing requirements/sam.txt into $(SAM_VENV)" >&2
	@$(PYTHON) -m venv $(SAM_VENV) >&2
	@$(SAM_VENV)/bin/pip install -q -r requirements/sam.txt >&2
	@touch $@

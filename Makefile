# The two commands a newcomer needs: `make up` and `make test` (see README.md).
# Everything is installed by deploy/local/stack.py (the opp_devstack package)
# into .cache/ (ignored), so nothing depends on what was installed by hand. The
# services come from services/manifest.toml: no target here names one.

PYTHON ?= python3
STACK := $(PYTHON) deploy/local/stack.py
VENV := .venv/bin
ROLE ?= admin
SUB ?=

.PHONY: up up-cluster chaos chaos-cluster down status test test-unit lint format token seed bench install lock asyncapi generate replay

up:  ## install everything, start Kafka, FerretDB and the services, wait until ready
	$(STACK) up

up-cluster:  ## as up, with Kafka as a three-broker KRaft cluster (replication factor 3, min.insync.replicas 2)
	OPP_STACK_KAFKA_BROKERS=3 $(STACK) up

down:  ## stop the services and the servers (data is kept in .data/)
	$(STACK) down

status:
	$(STACK) status

install:  ## uv, the .venv, the Kafka jars and the FerretDB binary (cached)
	$(STACK) install all

test: install lint  ## lint, then the whole suite; the fixtures start and stop their own servers
	$(VENV)/python -m pytest

lint:  ## ruff: the linter and the formatter's check (configured in pyproject.toml)
	$(STACK) install python
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format:  ## let ruff fix what it can and format the code
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

test-unit: ## the tests that need no servers
	$(STACK) install python
	$(STACK) install typescript
	$(VENV)/python -m pytest -m "not integration and not e2e"

token:  ## a local bearer token: make token ROLE=partnerships_officer [SUB=alice]
	@$(VENV)/python -m opp_shared.auth --role $(ROLE) $(if $(SUB),--sub $(SUB))

seed:  ## load the sample data set through the running API (after make up)
	$(VENV)/python deploy/seed/seed.py

bench:  ## benchmarks against a stack of their own: print figures, write them (latest.json) and plots to bench/out/
	$(STACK) install all
	.cache/tools/bin/uv sync --frozen --all-packages --group bench --quiet
	$(VENV)/python bench/run.py

chaos:  ## fault injection on a stack of its own: load, SIGKILL of each service, Kafka and FerretDB; table and plot in tests/chaos/out/
	$(STACK) install all
	.cache/tools/bin/uv sync --frozen --all-packages --group bench --quiet
	$(VENV)/python tests/chaos/run.py $(CHAOS_ARGS)

chaos-cluster:  ## the same with three Kafka brokers (one killed at a time) and each service as API and worker copies
	$(STACK) install all
	.cache/tools/bin/uv sync --frozen --all-packages --group bench --quiet
	$(VENV)/python tests/chaos/run.py --brokers 3 $(CHAOS_ARGS)

lock:  ## re-resolve uv.lock after changing a pyproject.toml
	.cache/tools/bin/uv lock

asyncapi:  ## regenerate the committed event contracts: services/*/asyncapi.json, docs/events/, opp_shared/schemas/
	$(STACK) install python
	$(VENV)/python -m opp_devstack.contracts

generate: asyncapi  ## rewrite everything generated: the contracts, the catalogue, nginx.conf's and compose's service blocks, the OpenAPI documents and their TypeScript types
	$(STACK) generate
	$(STACK) install typescript
	$(VENV)/python -m opp_devstack.clients

replay:  ## write every aggregate's latest event to its state topic again: make replay SERVICE=partners
	$(VENV)/python -m opp_shared.replay --service $(SERVICE)

# Arbiter: every target sets up what it needs by itself.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
PACKAGES := libs/proto libs/kit libs/llm libs/text services/gateway services/planner services/search services/analysis services/audit cli
STAMP := $(VENV)/.arbiter-setup
PROTO_SRC := $(shell find protos -name '*.proto')
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))
RUN_DIR ?= .run
BUF := .tools/node_modules/.bin/buf

.PHONY: setup proto up down status demo test lint bench eval clean fuzz

setup: $(STAMP)

$(STAMP): constraints.txt requirements-dev.txt $(PYPROJECTS) $(PROTO_SRC) scripts/gen_protos.py
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install --disable-pip-version-check -q --upgrade pip
	@$(PIP) -r requirements-dev.txt
	@$(BIN)/python scripts/gen_protos.py
	@$(PIP) $(addprefix -e ,$(PACKAGES))
	@touch $@

proto: setup
	@$(BIN)/python scripts/gen_protos.py

up: setup
	@$(BIN)/python -m arbiter_cli.suite up --run-dir $(RUN_DIR)

down:
	@test -x $(BIN)/python && $(BIN)/python -m arbiter_cli.suite down --run-dir $(RUN_DIR) || true

status: setup
	@$(BIN)/python -m arbiter_cli.suite status --run-dir $(RUN_DIR)

demo: setup
	@bash scripts/demo.sh

test: setup
	@$(BIN)/python -m pytest

$(BUF):
	@mkdir -p .tools && cd .tools && npm install --silent --no-audit --no-fund @bufbuild/buf >/dev/null

lint: setup $(BUF)
	@$(BIN)/ruff check --no-cache .
	@$(BIN)/ruff format --no-cache --check .
	@$(BIN)/mypy
	@cd protos && ../$(BUF) lint

bench: setup
	@$(BIN)/python scripts/bench.py

# Text2SQL execution accuracy (arbiter eval-sql on a throwaway cluster), then retrieval quality:
# EVAL_LIMIT queries per set (0: all), EVAL_CONCURRENCY calls in flight.
eval: setup
	@$(BIN)/python scripts/eval.py

# Hostile calls against the suite: FUZZ_ARGS passes flags (--calls-per-rpc, --seed,
# --services, --concurrency, --json; see docs/fuzz.md).
fuzz: setup
	@$(BIN)/python scripts/fuzz.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) .tools libs/proto/src/arbiter $(RUN_DIR)

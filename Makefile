# Keras Cookbook. `make help` lists the targets. The first target that needs Python builds .venv.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB    := common/serving/web
WEB_RUNTIME := $(WEB)/node_modules/onnxruntime-web/package.json

RECIPE ?= binary
CONFIG ?=
ARGS   ?=
RESUME ?=
RUN    ?=
SERVE_PORT ?=
WORKERS ?=
FAIL_UNDER ?=
HOST   ?= 127.0.0.1
PORT   ?= 6006
LOGDIR ?= runs
PYTEST_ARGS ?=

DATA   ?=
TARGET ?=

NAMED := $(if $(CONFIG),$(CONFIG),$(RECIPE))
# `make train DATA=rows.csv TARGET=label` (no RECIPE or CONFIG given): the data picks the recipe.
TRAIN_NAMED := $(if $(and $(DATA),$(filter file,$(origin RECIPE)),$(if $(CONFIG),,y)),,$(NAMED))
TRAIN_DATA := $(if $(DATA),data.path=$(DATA)) $(if $(TARGET),data.target=$(TARGET))

.PHONY: serve help venv web-runtime train tune show check list tensorboard test test-quality test-slow test-full bench bench-memory zoo lint format clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: RECIPE=binary CONFIG=configs/x.yaml ARGS=\"trainer.epochs=3\" DATA=rows.csv TARGET=label RESUME=runs/x/id WORKERS=2 PORT=6006"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP) $(WEB_RUNTIME) ## Create .venv with TensorFlow, Keras, KerasTuner and the dev tools (and the web runtime)

# `cookbook export RUN --format web` copies ONNX Runtime Web beside the page: the version that
# common/serving/web/package-lock.json pins, from the npm registry, into its ignored node_modules/.
$(WEB_RUNTIME): $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(WEB_RUNTIME)

web-runtime: $(WEB_RUNTIME) ## Install ONNX Runtime Web (npm) for `cookbook export RUN --format web`

train: $(STAMP) ## Train RECIPE (or CONFIG) with ARGS; DATA=rows.csv TARGET=label: the data picks the recipe; RESUME=<run folder> continues one; WORKERS=2 on 127.0.0.1; FAIL_UNDER=baseline exits 3 below it
	$(BIN)/cookbook train $(if $(RESUME),--resume $(RESUME),$(TRAIN_NAMED) $(TRAIN_DATA) $(ARGS)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(FAIL_UNDER),--fail-under $(FAIL_UNDER))

tune: $(STAMP) ## KerasTuner sweep over tune.space of RECIPE (or CONFIG) with ARGS; WORKERS=2: chief + 2 workers; RESUME=<sweep folder>
	$(BIN)/cookbook tune $(if $(RESUME),--resume $(RESUME),$(NAMED) $(ARGS)) $(if $(WORKERS),--workers $(WORKERS))

show: $(STAMP) ## Print the resolved config of RECIPE (or CONFIG) with ARGS
	$(BIN)/cookbook show $(NAMED) $(ARGS)

check: $(STAMP) ## Validate RECIPE (or CONFIG), build it under its strategy, run one step
	$(BIN)/cookbook check $(NAMED) $(ARGS)

list: $(STAMP) ## List recipes and configs
	$(BIN)/cookbook list

serve: $(STAMP) ## Serve RUN=<run folder> over TensorFlow Serving's REST API on HOST:SERVE_PORT (127.0.0.1:8501)
	$(BIN)/cookbook serve $(RUN) --host $(HOST) --port $(or $(SERVE_PORT),8501) $(ARGS)

tensorboard: $(STAMP) ## Serve TensorBoard over runs/ on HOST:PORT (127.0.0.1:6006)
	$(BIN)/tensorboard --logdir $(LOGDIR) --host $(HOST) --port $(PORT)

test: $(STAMP) $(WEB_RUNTIME) ## The fast suite (offline, about 4 min on 2 cores): unit tests and short runs
	$(BIN)/python -m pytest -m "not slow and not quality" $(PYTEST_ARGS)

test-quality: $(STAMP) ## Only the quality checks: default configs at default epochs clear the README's figures
	$(BIN)/python -m pytest -m "quality" $(PYTEST_ARGS)

test-slow: $(STAMP) $(WEB_RUNTIME) ## Only the slow end-to-end and quality checks (clusters, kills, default configs)
	$(BIN)/python -m pytest -m "slow or quality" $(PYTEST_ARGS)

test-full: $(STAMP) $(WEB_RUNTIME) ## Everything: the fast suite, then the slow and quality checks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) ## Every recipe against a plain Keras script (~50 min; ARGS="--only table": speed settings); writes BENCHMARKS.md
	$(BIN)/python -m tests.benchmarks.bench $(ARGS)

bench-memory: $(STAMP) ## Peak memory of one epoch on 2,000 vs 40,000 images; writes BENCHMARKS.md
	$(BIN)/python -m tests.benchmarks.memory

zoo: $(STAMP) ## Every recipe's default on real datasets from wheels (installs .[zoo]; ARGS="--only airline --epochs 2"); writes ZOO.md
	$(BIN)/python -c "import skimage, sktime, statsmodels" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[zoo]"
	$(BIN)/python -m tests.zoo $(ARGS)

lint: $(STAMP) ## ruff check, format check, and the import layers of common/ (pyproject.toml)
	$(BIN)/ruff check common recipes tests
	$(BIN)/ruff format --check common recipes tests
	$(BIN)/lint-imports

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format common recipes tests
	$(BIN)/ruff check --fix common recipes tests

clean: ## Remove runs/ and caches (keeps .venv)
	rm -rf runs .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

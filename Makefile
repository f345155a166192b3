# Bootstraps .venv from the committed uv.lock; installs uv with pip when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: bootstrap demo test lint format bench clean

$(BIN)/bedside: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --locked --group dev
	@touch $@

# The independent FHIR validator and test FHIR server (Medplum 4.5.2 on Node 20), from the
# committed package-lock.json.
NODE_STAMP := node/node_modules/.package-lock.json

$(NODE_STAMP): node/package.json node/package-lock.json
	cd node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bootstrap: $(BIN)/bedside $(NODE_STAMP)

demo: bootstrap
	$(BIN)/bedside demo $(ARGS)

lint: bootstrap
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src

format: bootstrap
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: lint
	$(BIN)/pytest -n 2 $(ARGS)

DEPRESJON ?= ../shared/data/depresjon

bench: bootstrap
	$(BIN)/python bench/biomarkers.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/mobility.py
	$(BIN)/python bench/voice.py
	$(BIN)/python bench/language.py
	$(BIN)/bedside language validate --json out/language-validation.json
	$(BIN)/bedside triage evaluate --patients 500 --days 180 --clinicians 5 --budget 5 --seed 2027 \
		--cohort effect_activity_sd=0.9 --cohort effect_sleep_duration_sd=0.9 --json out/triage-evaluation.json
	$(BIN)/python bench/cds_hooks.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/access.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/device.py
	$(BIN)/python bench/trend_calibration.py
	$(BIN)/python bench/univariate_budget.py
	$(BIN)/python bench/estimated_baseline.py
	$(BIN)/python bench/importers.py
	$(BIN)/bedside risk evaluate-shift
	$(BIN)/python bench/federated.py
	$(BIN)/python bench/federated_engines.py --clients 100 --rounds 3
	@if [ -d $(DEPRESJON)/control ]; then \
		$(BIN)/bedside fl evaluate --clients 500 --depresjon $(DEPRESJON); \
	else $(BIN)/bedside fl evaluate --clients 500; fi
	@if [ -f $(DEPRESJON)/scores.csv ]; then \
		$(BIN)/bedside model evaluate --dataset depresjon $(DEPRESJON); \
	else echo "Depresjon data absent at $(DEPRESJON): evaluation skipped"; fi
	@if [ -d $(DEPRESJON)/control ]; then \
		$(BIN)/bedside trends evaluate --depresjon $(DEPRESJON); \
	else $(BIN)/bedside trends evaluate; fi

clean:
	rm -rf $(VENV) node/node_modules out .pytest_cache .mypy_cache .ruff_cache

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

bootstrap: $(BIN)/bedside

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
	@if [ -f $(DEPRESJON)/scores.csv ]; then \
		$(BIN)/bedside model evaluate --dataset depresjon $(DEPRESJON); \
	else echo "Depresjon data absent at $(DEPRESJON): evaluation skipped"; fi

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

# One entry point for people and CI. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Reflex must never reach the internet: system bun from npm, no telemetry, no version checks.
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export NPM_CONFIG_REGISTRY := https://registry.npmjs.org
export PATH := $(CURDIR)/tools/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: setup run serve migrate test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

migrate: setup
	$(BIN)/newapi migrate

serve: setup
	$(BIN)/newapi serve --port $${PORT:-3000}

run: setup
	$(BIN)/newapi migrate
	$(BIN)/newapi serve --port $${PORT:-3000}

test: setup
	$(BIN)/ruff check backend tests
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache

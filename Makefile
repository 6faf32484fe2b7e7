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

.PHONY: setup run start serve migrate test test-fast lint bench clean chromium

BUN := tools/node_modules/.bin/bun
# axe-core's rules, which the browser tests inject into every console page (tests/ui/test_axe_browser.py).
AXE := tools/node_modules/axe-core/axe.min.js
# The agent CLIs (Claude Code, Codex, Gemini CLI) the end-to-end tests drive: only `make test` needs
# them, so a plain `make run` never downloads them.
AGENT_CLIS := tools/agents/node_modules/.bin/claude
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
# Marks the console's JS dependencies as installed in .web (the only step that needs the npm registry).
# Pages can bring JS packages (charts...), so any console source change re-runs the export here,
# never at `make run` time.
FRONTEND_STAMP := .web/.newapi-deps
UI_SOURCES := $(shell find newapi_ui -name '*.py' 2>/dev/null)

setup: $(STAMP) $(BUN) $(AXE) $(MO_FILES) $(FRONTEND_STAMP)

# One `npm ci` installs both (a grouped target: it runs once). npm stamps unpacked files with a 1985
# date, hence the touch; a checkout from before axe-core came has a fresh bun but no axe.min.js, and
# the missing file alone re-runs the install.
$(BUN) $(AXE) &: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund
	@touch $(BUN) $(AXE)

$(AGENT_CLIS): tools/agents/package.json tools/agents/package-lock.json
	npm ci --prefix tools/agents --no-audit --no-fund
	@touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations -l $* -i $< -o $@

$(FRONTEND_STAMP): $(STAMP) $(BUN) $(MO_FILES) rxconfig.py $(UI_SOURCES)
	$(BIN)/reflex export --frontend-only --no-zip --env prod
	@touch $@

# The container installs without the test tools: `make setup EXTRAS=`.
EXTRAS ?= [dev]
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.$(EXTRAS)'
	@touch $(STAMP)

migrate: setup
	$(BIN)/newapi migrate

serve: setup
	$(BIN)/newapi serve --port $${PORT:-3000}

# Console + management API + relay on one port (Reflex prod mode, single port). Each start rebuilds
# the console bundle from the installed JS dependencies; nothing is downloaded.
# Several workers (WORKERS>1, or Reflex's own choice when REDIS_CONN_STRING is set) count metrics in
# per-worker files: METRICS_ENV exports PROMETHEUS_MULTIPROC_DIR for them (backend/observability/multiproc.py).
METRICS_ENV = METRICS_DIR=$$($(BIN)/newapi metrics-dir --workers $(1)) && \
	if [ -n "$$METRICS_DIR" ]; then export PROMETHEUS_MULTIPROC_DIR="$$METRICS_DIR"; fi

run: setup
	$(BIN)/newapi migrate
	if [ -n "$${WORKERS:-}" ]; then export GRANIAN_WORKERS=$$WORKERS; fi; \
	$(call METRICS_ENV,$${WORKERS:-$$([ -n "$${REDIS_CONN_STRING:-}" ] && echo 2 || echo 1)}) && \
	PORT=$${PORT:-3000} $(BIN)/reflex run --env prod --frontend-port $${PORT:-3000} --backend-port $${PORT:-3000}

# The console bundle built by `make setup`, served as is (no bundler, so no Node.js or bun at run
# time; up in about a second): the container's entry point. The bundle knows the port it was built
# for, so PORT must be the one `make setup` saw (3000 unless set).
start:
	$(BIN)/newapi migrate
	$(call METRICS_ENV,$${WORKERS:-1}) && \
	REFLEX_ENV_MODE=prod __REFLEX_SKIP_COMPILE=true __REFLEX_MOUNT_FRONTEND_COMPILED_APP=true \
		$(BIN)/granian --interface asgi --factory --host $${HOST:-0.0.0.0} --port $${PORT:-3000} \
		--workers $${WORKERS:-1} newapi_ui.newapi_ui:app

# Browser tests drive Debian's chromium; install it only when it is missing. A CJK font, so the
# zh_CN / zh_TW / ja screenshots show text rather than empty boxes.
chromium:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver -a -d /usr/share/fonts/truetype/wqy || \
		(apt-get update && apt-get install -y chromium chromium-driver fonts-wqy-microhei)

# mypy reads its settings (packages = backend, plugins, per-library exceptions) from pyproject.toml.
# pytest runs on TEST_WORKERS processes (pytest-xdist): each worker has its own PostgreSQL/MariaDB
# databases and Redis db (tests/conftest.py); the browser tests (`*_browser.py`) are one unit for one worker (its scheduler).
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS)
test: setup chromium $(AGENT_CLIS)
	$(BIN)/ruff check backend newapi_ui tests bench rxconfig.py
	$(BIN)/mypy
	$(PYTEST)

# The loop while working: everything but the browser tests and the PostgreSQL/MariaDB runs (the
# markers come from tests/conftest.py). Needs no chromium and no built console; CI runs `make test`.
test-fast: $(STAMP) $(MO_FILES)
	$(BIN)/ruff check backend newapi_ui tests bench rxconfig.py
	$(BIN)/mypy
	$(PYTEST) -m "not browser and not multi_db"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache

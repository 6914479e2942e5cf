# baimo task runner. `make demo` and `make test` do all set-up on a fresh machine.
#
# llama-cpp-python builds from source (about 9 minutes on 2 cores, once: pip caches the wheel),
# so the venv is built in a stamped step that later targets reuse.

PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PIP     := $(BIN)/pip
STAMP   := $(VENV)/.installed
ECHARTS := src/baimo/reports/static/echarts.min.js
ECHARTS_VERSION := 6.1.0
HTMX    := src/baimo/web/static/htmx.min.js
HTMX_VERSION := 2.0.8
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck check vendor bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing baimo and its dependencies (first time: llama-cpp-python compiles, ~9 min)"
	$(PIP) install -q -e '.[local,dev,postgres,hub,code,mcda,web,monitor,ray]'
	touch $(STAMP)

# ECharts is loaded from npm at build time and inlined into reports (no CDN, works offline).
$(ECHARTS):
	@mkdir -p build/npm src/baimo/reports/static
	cd build/npm && npm install --no-audit --no-fund --silent echarts@$(ECHARTS_VERSION)
	cp build/npm/node_modules/echarts/dist/echarts.min.js $(ECHARTS)

# htmx (the web workspace's interaction library) is vendored the same way: from npm, at build
# time, served by baimo serve itself (no CDN).
$(HTMX):
	@mkdir -p build/npm src/baimo/web/static
	cd build/npm && npm install --no-audit --no-fund --silent htmx.org@$(HTMX_VERSION)
	cp build/npm/node_modules/htmx.org/dist/htmx.min.js $(HTMX)

vendor: $(ECHARTS) $(HTMX)

demo: $(STAMP) $(ECHARTS) $(HTMX)
	$(BIN)/baimo demo --report build/demo-report.html
	@echo "Open build/demo-report.html in a browser (it works offline), or explore every result in the workspace: $(BIN)/baimo serve  (then open http://127.0.0.1:8000/)"

test: $(STAMP) $(ECHARTS) $(HTMX)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/baimo

check: lint typecheck test

bench: $(STAMP)
	$(PIP) install -q -e '.[bench]'
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/ratelimit.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

# adscan task runner. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv demo smoke test lint typecheck bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first, pinned: the CPU build on local disk, never a multi-GB CUDA download.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create or update .venv with adscan and its dev tools

demo: $(STAMP) ## Crawl the synthetic demo sites, score, link and serve the review UI on 127.0.0.1:8000
	$(VENV)/bin/adscan demo

smoke: $(STAMP) ## The demo path on a small site without the UI; prints one JSON line
	$(VENV)/bin/adscan demo --smoke

test: $(STAMP) ## Run the whole test suite
	$(VENV)/bin/pytest -q

lint: $(STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check crawler classifier index review_ui tests benchmarks
	$(VENV)/bin/ruff format --check crawler classifier index review_ui tests benchmarks

typecheck: $(STAMP) ## mypy on index/, crawler/ and review_ui/
	$(VENV)/bin/mypy index crawler review_ui

bench: $(STAMP) ## Run the benchmarks and write benchmarks/REPORT.md
	$(PY) -m benchmarks.run

clean: ## Remove the demo data (var/) and caches
	rm -rf var .pytest_cache

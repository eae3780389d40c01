# Transcript Themes — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
STUDY  ?= demo
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
STUDY_NAME := $(notdir $(abspath $(STUDY)))

.PHONY: help setup report lab notebooks lint test test-unit bench clean

help: ## List the targets with a line on each
	@echo "Transcript Themes: make <target> [STUDY=demo|path]"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  \033[1m%-9s\033[0m %s\n", $$1, $$2}'

# The stamp makes a second run install nothing unless pyproject.toml changed.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name transcript-themes --display-name "Transcript Themes" >/dev/null
	touch $(STAMP)

setup: $(STAMP) ## Create .venv, install the package with its dev extra, register the Jupyter kernel

report: setup ## Run the whole pipeline on STUDY (default demo) -> reports/STUDY/index.html
	$(PY) -m helpers report $(STUDY) --jobs $(JOBS)

lab: setup ## Open JupyterLab on the notebooks (saved without outputs: etc/jupyter)
	JUPYTER_CONFIG_PATH="$(CURDIR)/etc/jupyter" $(VENV)/bin/jupyter lab notebooks/

notebooks: setup ## Sync each notebook with its paired py:percent script (edit the .py; outputs stay stripped)
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb

lint: setup ## Lint the package, tests, benchmarks and notebook scripts (ruff: pyflakes and import order)
	$(VENV)/bin/ruff check src tests bench notebooks

# loadgroup: tests sharing a batch run or a module fixture share a worker (tests/conftest.py);
# the rest go wherever a worker is free. Integration first: its long tests start early.
# PYTHONDONTWRITEBYTECODE emptied: a test starts hundreds of processes and kernels, and where the
# environment sets it (some CI images do) each compiled the package's modules again (~0.5 s each).
test: setup ## Run every test in parallel, one worker per core (tests/unit, tests/integration: the CLI, notebooks under papermill, the batch, browser tests where Chromium exists)
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -q -n auto --dist loadgroup tests/integration tests/unit

test-unit: setup ## Run only tests/unit (no kernel, no subprocess): the quick loop while editing
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -q -n auto tests/unit

bench: setup ## Run the benchmarks (co-occurrence speed and memory, exploration, report against its floor, scale)
	$(PY) bench/cooccurrence.py
	$(PY) bench/explore.py
	$(PY) bench/report.py
	$(PY) bench/scale.py

clean: ## Remove data/processed/STUDY and reports/STUDY (never data/raw)
	@test -n "$(STUDY_NAME)" -a "$(STUDY_NAME)" != "/" || { echo "error: STUDY names no study — give STUDY=<name>" >&2; exit 2; }
	rm -rf -- "data/processed/$(STUDY_NAME)" "reports/$(STUDY_NAME)"

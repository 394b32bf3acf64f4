# Batang OPD research notebooks. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SEED ?= 20200
# pytest-xdist workers for make test / test-fast (0 = no workers, one process); one test module
# stays on one worker (--dist loadfile), so module fixtures are never built twice
TEST_WORKERS ?= 2
PYTEST_XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# The exact versions of every dependency (with the extras dev and dask) are pinned in
# requirements.lock, made from pyproject.toml by `make lock` (tests/test_environment.py keeps
# the two in step); the package itself is installed on top without resolving anything again.
LOCK := requirements.lock
# the lowest Python the lock is resolved for (--universal: one file, with markers, for every
# platform and Python from this one up; soupsieve, pulled in by nbconvert, needs >= 3.11.5)
LOCK_PYTHON := 3.11.5
UV := $(VENV)/bin/uv

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(VENV)/bin/nbstripout --install --keep-id 2>/dev/null || $(VENV)/bin/nbstripout --install || true
	@touch $(STAMP)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sed -e 's/$$(SEED)/$(SEED)/g' \
	  -e 's/$$(TEST_WORKERS)/$(TEST_WORKERS)/g' \
	  | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## create .venv and install the package with its dependencies

.PHONY: lock
lock: ## refresh requirements.lock from pyproject.toml with uv (keeps pins that still fit; UPGRADE=1 takes the newest)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet uv
	$(UV) pip compile pyproject.toml --extra dev --extra dask --universal \
	  --python-version $(LOCK_PYTHON) --custom-compile-command "make lock" --quiet \
	  $(if $(UPGRADE),--upgrade,) -o $(LOCK)

.PHONY: data
data: $(STAMP) ## build the processed tables (public + simulated seed $(SEED) + user data)
	$(PY) -m analysis build --seed $(SEED)

.PHONY: all
all: data kernel ## the main job: build the data, then render every OPD report into reports/opd/
	$(PY) -m analysis summary
	$(PY) -m analysis render --engine inprocess

.PHONY: reports
reports: kernel ## render the per-OPD reports (incremental; FORCE=1 redoes all; in-process engine)
	$(PY) -m analysis render --engine inprocess $(if $(FORCE),--force,)

.PHONY: peers
peers: data kernel ## render one peer report per kab/kota into reports/pemda/ (+ index filtering by province)
	$(PY) -m analysis render --kind pemda --engine inprocess $(if $(FORCE),--force,)

.PHONY: test
test: $(STAMP) ## run the whole test suite (lint, unit tests, notebooks, rendering, browser); CI runs this
	$(VENV)/bin/ruff check src tests benchmarks validation notebooks
	$(PY) -m pytest $(PYTEST_XDIST) --durations=15

.PHONY: test-fast
test-fast: $(STAMP) ## quick check while working (~80 s with kept fits): lint + every test not marked slow
	$(VENV)/bin/ruff check src tests benchmarks validation notebooks
	$(PY) -m pytest $(PYTEST_XDIST) -m "not slow" --keep-fits -q

.PHONY: lint
lint: $(STAMP) ## ruff over package, tests and notebooks
	$(VENV)/bin/ruff check src tests benchmarks validation notebooks

.PHONY: kernel
kernel: $(STAMP) ## register the project's Jupyter kernel ("Python (batang-analysis)")
	$(PY) -m analysis kernel

.PHONY: lab
lab: kernel ## start JupyterLab with the project's kernel (adds --allow-root when run as root)
	@if [ "$$(id -u)" = 0 ]; then echo "note: running as root (uid 0, common in containers): JupyterLab is started with --allow-root"; fi
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

.PHONY: clean
clean: ## remove built data and rendered reports (never raw or external data)
	rm -rf data/processed
	find reports -mindepth 1 -not -name .gitkeep -exec rm -rf {} +

.PHONY: recovery
recovery: $(STAMP) ## regenerate validation/recovery_results.md + recovery_summary.json (hours; resumes from the cache)
	$(PY) validation/recovery.py --seeds 120 --power-seeds 20 --office-seeds 40 --workers 2 --cache validation/recovery_cache

.PHONY: present
present: data kernel ## slide deck, figures (PNG+SVG), one-page brief (HTML+PDF) into reports/ (PRESENT_LANG=en|all)
	$(PY) -m analysis present --lang $(or $(PRESENT_LANG),id)

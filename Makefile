# Two commands on a fresh machine: `make demo` and `make test` (only python3 needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROVINCE ?= lang_son

.PHONY: install lock demo test test-fast system-deps lab app bench docs clean

LOCK   := requirements.lock

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r $(LOCK)
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## Re-resolve every dependency from pyproject.toml's ranges in a scratch venv and write the exact versions to requirements.lock
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q --disable-pip-version-check 'setuptools>=68' -e '.[dev]'
	{ echo "# Exact versions of every dependency (direct and transitive) that make demo / make test / CI install."; \
	  echo "# Regenerate with 'make lock' (see README, 'Upgrading dependencies'); pyproject.toml keeps the ranges for library users."; \
	  .lock-venv/bin/pip freeze --all --exclude-editable | grep -v '^pip==\|^commune-planner'; } > $(LOCK)
	rm -rf .lock-venv

## Solve the bundled sample province and write out/<province>_plan.xlsx
demo: install
	$(BIN)/planner solve data/$(PROVINCE).xlsx --out out/$(PROVINCE)_plan.xlsx --csv-dir out/$(PROVINCE)

## Install everything (including Chromium and LibreOffice for the browser and spreadsheet tests) and run the whole suite
test: install system-deps
	$(BIN)/python -m pytest -q

## The suite without notebooks, browser and LibreOffice
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

## Debian packages for the real-browser and spreadsheet tests (skipped with a reason where apt is unavailable)
system-deps:
	@bash .ci/system-deps.sh

lab: install
	$(BIN)/jupyter lab notebooks/

app: install
	$(BIN)/voila notebooks/app.ipynb --no-browser --Voila.ip=127.0.0.1 --port=8866

bench: install
	$(BIN)/python bench/staffing_bench.py
	$(BIN)/python bench/assets_bench.py
	$(BIN)/python bench/stages_bench.py
	$(BIN)/python bench/validate_bench.py
	$(BIN)/python bench/workbook_bench.py
	$(BIN)/python bench/nation_bench.py
	$(BIN)/python bench/orlib.py assign bench/orlib/assign/*.txt
	$(BIN)/python bench/orlib.py gap bench/orlib/gap/*.txt
	$(BIN)/python bench/orlib.py cap bench/orlib/cap/*.txt

docs: install
	$(BIN)/planner dictionary docs/data_dictionary.md --readme README.md

clean:
	rm -rf out .pytest_cache

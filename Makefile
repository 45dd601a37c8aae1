# radnb: the two set-up commands of the README are `make main` and `make test`.
PY ?= python3
VENV ?= .venv
OUT ?= out
export RADNB_CACHE_DIR ?= $(CURDIR)/.radnb_cache
# browser tests save their screenshots here; `make docs` shows them (git-ignored)
export RADNB_SCREENSHOTS ?= $(CURDIR)/docs/_screenshots

.PHONY: install main test lint lab bench docs clean strip

install:
	PYTHON=$(PY) VENV=$(VENV) bash scripts/install.sh

## main: install, then run the S1 study end to end on its simulated cohort (figures and tables in out/)
main: install
	$(VENV)/bin/python -m radnb main --out $(OUT)

## test: install, then run the whole test suite (unit, statistics vs R references, notebooks)
test: install
	$(VENV)/bin/ruff check radnb tests benchmarks notebooks
	$(VENV)/bin/ruff format --check radnb tests benchmarks notebooks
	$(VENV)/bin/python -m pytest -q --durations=15

## docs: build the documentation site into docs/_build/html (offline; warnings are errors).
## Notebook outputs come from the executed copies `make test` saves in docs/_executed/
## ($RADNB_EXECUTED_DIR); a notebook with none (or a stale one) is executed by the build.
## Widget screenshots come from $RADNB_SCREENSHOTS (default docs/_screenshots/).
docs: install
	$(VENV)/bin/python -m sphinx -W --keep-going -b html -d docs/_build/doctrees docs docs/_build/html
	@echo "open docs/_build/html/index.html"

lint:
	$(VENV)/bin/ruff check radnb tests benchmarks notebooks
	$(VENV)/bin/ruff format --check radnb tests benchmarks notebooks

lab: install
	$(VENV)/bin/jupyter lab notebooks/

bench: install
	for b in benchmarks/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(OUT) .radnb_cache .pytest_cache docs/_build docs/guide docs/api docs/notebooks docs/screenshots

## strip: clear the notebooks' outputs (the .ipynb files are the source; tests check they are clean)
strip:
	$(VENV)/bin/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

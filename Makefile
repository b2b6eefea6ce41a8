# paysync: `make demo` shows it working, `make test` proves it. Both install what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# Test workers (pytest-xdist), each module on one of them so its fixtures (an emulator, a
# Prefect server) stay in one process; 0: one process. 2 cores: 10 min instead of 15.
TEST_WORKERS ?= 2
BENCH_SCALE ?= full

.PHONY: install test demo lint bench mutants clean

install: $(STAMP)

# Re-runs only when pyproject.toml changes; the stamp makes a second `make install` instant.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "paysync needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/paysync demo

lint: install
	$(VENV)/bin/ruff check connectors pipelines tests bench
	$(VENV)/bin/ruff format --check connectors pipelines tests bench
	$(VENV)/bin/mypy connectors pipelines

# BENCH_SCALE=small: a < 2 min check; full (default): < 20 min on 2 cores. See bench/README.md.
bench: install
	$(PY) bench/run.py --scale $(BENCH_SCALE)

# Plant each listed bug in a scratch copy and run the tests meant to catch it (~10 min on 2
# cores); fails when a mutant survives. See tests/mutants/run.py.
mutants: install
	$(PY) tests/mutants/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

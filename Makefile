# One task runner. `make demo` and `make test` bootstrap the virtual environment themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint typecheck format bench lock clean help

help:
	@echo "make demo   - run the whole service on the embedded default (SQLite)"
	@echo "make test   - lint, type-check, import contracts, then the test suite (SQLite + PostgreSQL)"
	@echo "make bench  - benchmarks, each against its baseline in the same run"
	@echo "make lock   - re-resolve requirements.lock from pyproject.toml"

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	# Byte-compile our sources too: with PYTHONDONTWRITEBYTECODE set (as on CI), every process
	# would otherwise compile pandas, CCXT, SQLAlchemy and us again (~4.5 s instead of ~1.3 s).
	$(BIN)/python -m compileall -q -j 0 src > /dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/botfolio demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -x -q tests/unit

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock

clean:
	rm -rf $(VENV) var

# Developer entry points; CI (.ci/run) calls `make check` before the tests.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: check lint types imports fix test wheel-test

check: lint types imports  ## every static check; must pass before a merge

lint:
	$(BIN)/ruff check .

types:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

fix:  ## apply ruff's safe fixes (import order and the like), then check again
	$(BIN)/ruff check --fix .
	$(MAKE) check

test:  ## the test command README.md gives
	$(BIN)/python -m pytest -n 4 -q

wheel-test:  ## only the wheel test: build, install into a fresh venv, use it
	$(BIN)/python -m pytest -q -m wheel tests/packaging

# The two commands a new user needs: `make demo` (a real sync) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean

$(STAMP): pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[tests]' -e ./sandbox
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/deptry .

test: lint
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python -m demo

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-* build *.egg-info .pytest_cache .demo .bench .image-cache secrets

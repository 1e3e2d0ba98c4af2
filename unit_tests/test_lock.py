"""The dependency locks: current with pyproject.toml on every supported Python, and the tests run
against the versions the image ships.

requirements.lock (the image's dependencies) and requirements-dev.lock (those plus the test tools)
are written by `make lock`; `make install` and the Dockerfile install from them with
--require-hashes. A dependency added to or narrowed in pyproject.toml without `make lock` fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
PYTHONS = ("3.11", "3.12", "3.13")
PIN = re.compile(r"^(?P<requirement>[A-Za-z0-9][A-Za-z0-9._-]*==[^\s;\\]+(?:\s*;\s*[^\\]+?)?)\s*\\?$")


def environment(python: str) -> dict[str, str]:
    return {**default_environment(), "python_version": python, "python_full_version": f"{python}.0"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path, python: str) -> dict[str, str]:
    """Package -> version that `lock` installs on Linux with `python`."""
    pinned: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if not match:
            continue
        requirement = Requirement(match["requirement"])
        if requirement.marker is None or requirement.marker.evaluate(environment(python)):
            (specifier,) = requirement.specifier
            pinned[normalized(requirement.name)] = specifier.version
    return pinned


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in extras:
        texts += project["optional-dependencies"][extra]
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    return [Requirement(text) for text in [*texts, *build]]


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize(("lock", "extras"), [(LOCK, ()), (DEV_LOCK, ("tests",))], ids=["image", "dev"])
def test_given_pyproject_when_compared_to_a_lock_then_every_declared_requirement_is_pinned_within_its_range(
    lock: Path, extras: tuple[str, ...], python: str
) -> None:
    pinned = pins(lock, python)
    wanted = [r for r in declared(*extras) if r.marker is None or r.marker.evaluate(environment(python))]

    missing = [str(r) for r in wanted if normalized(r.name) not in pinned]
    outside = [
        f"{r} (locked {pinned[normalized(r.name)]})"
        for r in wanted
        if normalized(r.name) in pinned and not r.specifier.contains(pinned[normalized(r.name)], prereleases=True)
    ]

    assert missing == [] and outside == [], f"run `make lock`: missing {missing}, outside {outside}"


@pytest.mark.parametrize("python", PYTHONS)
def test_given_both_locks_when_compared_then_the_tests_run_the_versions_the_image_ships(python: str) -> None:
    image, dev = pins(LOCK, python), pins(DEV_LOCK, python)

    assert {name: dev.get(name) for name in image} == image

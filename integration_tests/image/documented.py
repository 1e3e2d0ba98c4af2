"""The `docker` commands the docs page gives users for the image, as the image test runs them.

The docs' section "Running the connector image" has one bash block of `docker build` and
`docker run` commands. The image test runs exactly those, with `docker build` and `docker run`
replaced by build-image.sh and run-image.sh (podman with the flags this kind of machine needs),
the image name by the test's tag and `$PWD/secrets` by the test's folder, so the docs cannot
drift from what is tested. The README repeats the same block.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent
DOCS = ROOT / "docs" / "braze-campaigns.md"
README = ROOT / "README.md"
SECTION = {DOCS: "## Running the connector image", README: "## The image"}
IMAGE = "airbyte/source-braze-campaigns:dev"
WRAPPERS = {"build": SCRIPTS / "build-image.sh", "run": SCRIPTS / "run-image.sh"}


def commands(markdown: Path = DOCS) -> list[list[str]]:
    """Every `docker ...` command of the first bash block of the image section, as argv lists."""
    text = markdown.read_text()
    heading = SECTION[markdown]
    start = text.index(f"\n{heading}\n")
    block = re.search(r"```bash\n(.*?)```", text[start:], re.DOTALL)
    assert block, f"no bash block under {heading!r} in {markdown.name}"
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip().startswith("docker ")]


def command(connector_command: str, *with_options: str) -> list[str]:
    """The documented command: `build`, or a `docker run` of spec/check/discover/read, the
    one that has all of `with_options` (and no other `--state`)."""
    for argv in commands():
        if connector_command == "build" and argv[1] == "build":
            return argv
        if argv[1] == "run" and connector_command in argv:
            if all(option in argv for option in with_options) and ("--state" in argv) == ("--state" in with_options):
                return argv
    raise LookupError(f"the docs give no `docker` command for {connector_command} {' '.join(with_options)}")


def as_podman(argv: list[str], image: str, secrets: Path | None = None) -> list[str]:
    """`argv` (a documented `docker build|run ...`) as this machine runs it."""
    assert argv[0] == "docker" and argv[1] in WRAPPERS, argv
    arguments = []
    for argument in argv[2:]:
        if argument == IMAGE:
            argument = image
        elif "$PWD/secrets" in argument:
            assert secrets is not None, f"{argv} mounts secrets/"
            argument = argument.replace("$PWD/secrets", str(secrets))
        arguments.append(argument)
    return ["bash", str(WRAPPERS[argv[1]]), *arguments]

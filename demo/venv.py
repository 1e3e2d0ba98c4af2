"""The separate venv PyAirbyte runs in: ``.venv-pyairbyte``, created once, then reused.

Creation is guarded by a lock file (the demo and a test session may race) and finished by a
stamp holding the requirement; a venv without the stamp (an interrupted install) is rebuilt.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
VENV_DIR = Path(os.environ.get("PYAIRBYTE_VENV") or ROOT / ".venv-pyairbyte")
# The lock and pip's log live in the (gitignored) demo folder, not next to the venv.
WORK_DIR = ROOT / ".demo"
REQUIREMENT = "airbyte>=0.71,<0.72"
STAMP = ".installed"
# PyAirbyte 0.71 supports 3.10 to 3.12.
SUPPORTED = ((3, 10), (3, 11), (3, 12))


class VenvError(RuntimeError):
    """``.venv-pyairbyte`` could not be created; the message says why and what to do."""


def venv_python(venv: Path = VENV_DIR) -> Path:
    return venv / "bin" / "python"


def is_ready(venv: Path = VENV_DIR) -> bool:
    """Whether ``venv`` holds a finished install of ``REQUIREMENT``."""
    stamp = venv / STAMP
    return venv_python(venv).exists() and stamp.exists() and stamp.read_text().strip() == REQUIREMENT


def base_python() -> str:
    """A Python that PyAirbyte supports: $PYAIRBYTE_PYTHON if set (`make` sets it), else this one
    if it is supported, else python3.12/3.11/3.10 on PATH."""
    chosen = os.environ.get("PYAIRBYTE_PYTHON")
    if chosen:
        return shutil.which(chosen) or chosen
    if sys.version_info[:2] in SUPPORTED:
        return sys.executable
    for major, minor in reversed(SUPPORTED):
        found = shutil.which(f"python{major}.{minor}")
        if found:
            return found
    raise VenvError(
        f"PyAirbyte needs Python 3.10-3.12 and this is {sys.version.split()[0]}; "
        "install python3.11 (or 3.12) and run again."
    )


def ensure_venv(venv: Path = VENV_DIR, say: Callable[[str], None] = print, log_path: Path | None = None) -> Path:
    """Create ``venv`` with PyAirbyte unless it is already there; return its python.

    ``say`` receives progress lines; pip's full output goes to ``log_path``
    (default ``.demo/<venv name>-install.log``), whose tail is part of the error on failure.
    """
    with _lock(WORK_DIR / f"{venv.name.lstrip('.')}.lock"):
        if is_ready(venv):
            return venv_python(venv)
        log_path = log_path or WORK_DIR / f"{venv.name.lstrip('.')}-install.log"
        started = time.monotonic()
        say(f"installing PyAirbyte into {venv.name} (one time, ~1-2 min, ~780 MB)...")
        if venv.exists():
            shutil.rmtree(venv)
        with log_path.open("w", encoding="utf-8") as log:
            steps = [
                ([base_python(), "-m", "venv", str(venv)], None, "creating the venv"),
                ([str(venv_python(venv)), "-m", "pip", "install", "--upgrade", "pip"], None, "upgrading pip"),
                (
                    [str(venv_python(venv)), "-m", "pip", "install", "--progress-bar", "off", REQUIREMENT],
                    say,
                    f"pip install {REQUIREMENT}",
                ),
            ]
            for command, progress, what in steps:
                _run(command, log, progress, f"{what} failed (see {_shown(log_path)})")
        (venv / STAMP).write_text(REQUIREMENT + "\n")
        say(f"PyAirbyte installed in {time.monotonic() - started:.0f} s (log: {_shown(log_path)})")
        return venv_python(venv)


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], log: IO[str], say: Callable[[str], None] | None, what: str) -> None:
    """Run one install step, log its output, and turn pip's lines into a few progress lines."""
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONUNBUFFERED="1")
    env.pop("PYTHONPATH", None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    progress = _PipProgress(say) if say else None
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        log.write(line)
        tail = [*tail[-19:], line.rstrip()]
        if progress:
            progress.feed(line)
    code = process.wait()
    if code != 0:
        detail = "\n    ".join(tail)
        raise VenvError(f"{what}, exit {code}; its last lines:\n    {detail}")


class _PipProgress:
    """Counts pip's "Collecting" lines; says something every 25 packages and per phase."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.collected = 0
        self.started = time.monotonic()

    def feed(self, line: str) -> None:
        elapsed = f"{time.monotonic() - self.started:4.0f} s"
        if line.startswith("Collecting "):
            self.collected += 1
            if self.collected % 25 == 0:
                self.say(f"  {elapsed}  {self.collected} packages resolved...")
        elif line.startswith("Installing collected packages"):
            self.say(f"  {elapsed}  downloading done ({self.collected} packages), installing...")
        elif line.startswith("Successfully installed"):
            self.say(f"  {elapsed}  installed")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)

"""Run the connector as users do: ``check`` with its console script, syncs through PyAirbyte.

``run_sync`` starts ``demo/pyairbyte_sync.py`` with ``.venv-pyairbyte``'s python
and returns its JSON result (see that module). The config, which holds the API key, only
ever travels in files inside a private temporary folder; every line shown to the user or
written to a log passes through ``Redactor``.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .venv import ROOT

SOURCE_NAME = "source-braze-campaigns"
SYNC_SCRIPT = ROOT / "demo" / "pyairbyte_sync.py"
PROGRESS_PREFIX = "@@progress "
SYNC_TIMEOUT_S = 6 * 3600
CHECK_TIMEOUT_S = 600

ProgressCallback = Callable[[float, dict[str, int] | None], None]


class SyncFailed(RuntimeError):
    """A check or sync failed; the message is safe to print (secrets redacted)."""


class Redactor:
    """Replaces every secret value in a text with ``****``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "****")
        return text


def connector_executable() -> Path:
    """The connector's console script: next to this python (the project venv), else ``.venv``."""
    for candidate in (Path(sys.executable).parent / SOURCE_NAME, ROOT / ".venv" / "bin" / SOURCE_NAME):
        if candidate.exists():
            return candidate
    raise SyncFailed(f"the `{SOURCE_NAME}` console script is not installed: run `make install` first")


@dataclass
class CheckResult:
    succeeded: bool
    message: str


def check(executable: Path, config: dict[str, Any]) -> CheckResult:
    """``source-braze-campaigns check --config ...``: the connector's own verdict."""
    redact = Redactor([config.get("api_key")])
    with tempfile.TemporaryDirectory(prefix="braze-check-") as folder:
        config_path = _private_json(Path(folder) / "config.json", config)
        try:
            completed = subprocess.run(
                [str(executable), "check", "--config", str(config_path)],
                capture_output=True,
                text=True,
                timeout=CHECK_TIMEOUT_S,
                env=_child_env(),
            )
        except subprocess.TimeoutExpired as error:
            raise SyncFailed(f"`check` did not finish within {CHECK_TIMEOUT_S} s") from error
    for line in completed.stdout.splitlines():
        message = _json_line(line)
        if message.get("type") == "CONNECTION_STATUS":
            status = message["connectionStatus"]
            return CheckResult(status.get("status") == "SUCCEEDED", redact(status.get("message") or ""))
        if message.get("type") == "TRACE" and (message.get("trace") or {}).get("type") == "ERROR":
            return CheckResult(False, redact(message["trace"]["error"].get("message", "")))
    tail = redact("\n".join((completed.stdout + completed.stderr).splitlines()[-10:]))
    return CheckResult(False, f"no CONNECTION_STATUS message (exit {completed.returncode}):\n{tail}")


def run_sync(
    python: Path,
    executable: Path,
    config: dict[str, Any],
    cache_path: Path,
    *,
    log_path: Path,
    on_progress: ProgressCallback | None = None,
    progress_every_s: float = 3.0,
    streams: str | list[str] = "*",
) -> dict[str, Any]:
    """One PyAirbyte sync of ``streams`` into the DuckDB file ``cache_path``; its JSON result.

    PyAirbyte's and the connector's console output goes to ``log_path`` (redacted);
    ``on_progress(elapsed_s, records_per_stream_or_None)`` is called every ``progress_every_s``.
    Raises ``SyncFailed`` with PyAirbyte's error and the tail of the log.
    """
    redact = Redactor([config.get("api_key")])
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    request = {
        "source_name": SOURCE_NAME,
        "executable": str(executable),
        "config": config,
        "cache_path": str(cache_path),
        "cache_dir": str(cache_path.parent / "pyairbyte-cache"),
        "streams": streams,
    }
    env = _child_env(AIRBYTE_LOGGING_ROOT=str(log_path.parent / "pyairbyte-logs"))
    with tempfile.TemporaryDirectory(prefix="braze-sync-") as folder, log_path.open("w", encoding="utf-8") as log:
        request_path = _private_json(Path(folder) / "request.json", request)
        result_path = Path(folder) / "result.json"
        command = [str(python), "-I", "-W", "ignore::FutureWarning", str(SYNC_SCRIPT)]
        process = subprocess.Popen(
            [*command, str(request_path), str(result_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # one process group with the connector: stopped together
        )
        try:
            tail = _follow(process, log, redact, on_progress, progress_every_s)
        finally:
            _stop_group(process)
        result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.exists() else None
    if result is None or not result.get("ok"):
        raise SyncFailed(_failure(result or {}, process.returncode, tail, log_path, redact))
    return result


def _failure(result: dict[str, Any], code: int | None, tail: list[str], log_path: Path, redact: Redactor) -> str:
    """The connector's own words when it failed, else PyAirbyte's error and the log's tail."""
    said = result.get("connector_errors") or []
    if said:
        lines = "\n    ".join(redact(message) for message in said)
        return f"the connector failed during the PyAirbyte sync:\n    {lines}\n  (PyAirbyte's log: {log_path})"
    error = redact(str(result.get("error") or f"PyAirbyte exited with {code}"))
    shown = "\n    ".join(redact(line) for line in tail[-15:])
    return f"the PyAirbyte sync failed: {error}\n  last lines of {log_path}:\n    {shown}"


def _follow(
    process: subprocess.Popen[str],
    log: IO[str],
    redact: Redactor,
    on_progress: ProgressCallback | None,
    every_s: float,
) -> list[str]:
    """Log the child's lines and report progress until it exits; return the last lines."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    started = last_report = time.monotonic()
    records: dict[str, int] | None = None
    tail: list[str] = []
    while True:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            line = ""
        if line is None:
            break
        if line.startswith(PROGRESS_PREFIX):
            records = json.loads(line[len(PROGRESS_PREFIX) :]).get("records") or records
        elif line:
            clean = redact(line.rstrip("\n"))
            log.write(clean + "\n")
            tail = [*tail[-39:], clean]
        now = time.monotonic()
        if now - started > SYNC_TIMEOUT_S:
            raise SyncFailed(f"the sync did not finish within {SYNC_TIMEOUT_S} s")
        if on_progress and now - last_report >= every_s:
            last_report = now
            on_progress(now - started, records)
    process.wait()
    return tail


def _stop_group(process: subprocess.Popen[str]) -> None:
    """Stop the sync's process group (PyAirbyte and the connector) if it is still running."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(AIRBYTE_OFFLINE_MODE="1", DO_NOT_TRACK="1", NO_LIVE_PROGRESS="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def _private_json(path: Path, value: Any) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    return path


def _json_line(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

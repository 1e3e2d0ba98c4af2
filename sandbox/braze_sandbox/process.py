"""The sandbox as a child process (``python -m braze_sandbox``) and its control API.

The demo and the benchmark run the sandbox in its own process: as a user would run a fake
Braze next to a real sync, and so that its CPU is not counted as the connector's. It starts on
a free port, announces its url on the first stdout line, and stops on SIGTERM.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import urllib.request
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .config import SANDBOX_API_KEY

ROOT = Path(__file__).resolve().parents[2]

START_TIMEOUT_S = 30.0


class SandboxError(RuntimeError):
    """The sandbox process did not start or answer."""


class SandboxProcess:
    """``with SandboxProcess(today=...) as sandbox:`` -> ``sandbox.url``, ``.stats()``, ...

    ``campaigns``, ``days`` and ``canvases`` are the sandbox's ``--campaigns``, ``--days`` and
    ``--canvases`` (its ground truth: ``BrazeData`` and ``CanvasData`` with the same seed).
    """

    def __init__(
        self,
        *,
        today: date,
        seed: int = 1,
        campaigns: int = 40,
        days: int = 400,
        canvases: int = 8,
        api_key: str = SANDBOX_API_KEY,
        latency_ms: float = 0,
        log_path: Path | None = None,
    ) -> None:
        self.today = today
        self.seed, self.campaigns, self.days, self.api_key = seed, campaigns, days, api_key
        self.canvases = canvases
        self.latency_ms = latency_ms
        self.log_path = log_path
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Self:
        command = [
            sys.executable, "-m", "braze_sandbox", "--port", "0", "--seed", str(self.seed),
            "--campaigns", str(self.campaigns), "--days", str(self.days),
            "--canvases", str(self.canvases), "--today", self.today.isoformat(),
            "--api-key", self.api_key, "--latency-ms", str(self.latency_ms),
        ]  # fmt: skip
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w", encoding="utf-8") if self.log_path else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
            )
        finally:
            if self.log_path:
                log.close()  # type: ignore[union-attr]
        announcement = self._first_line()
        try:
            self.url = json.loads(announcement)["url"]
        except (ValueError, KeyError, TypeError) as error:
            self.stop()
            raise SandboxError(f"the sandbox did not announce its url (got {announcement!r})") from error
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # ---- control API -------------------------------------------------------------------
    def set_today(self, today: date) -> None:
        self.control("POST", "/_sandbox/today", {"today": today.isoformat()})
        self.today = today

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "/_sandbox/stats")

    def request_log(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_sandbox/requests")

    def reset(self) -> None:
        self.control("POST", "/_sandbox/reset")

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        # 127.0.0.1 directly, whatever proxy the environment names.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=60) as response:
            return json.loads(response.read())

    def _first_line(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            return lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.stop()
            raise SandboxError(f"the sandbox did not start within {START_TIMEOUT_S:.0f} s") from None

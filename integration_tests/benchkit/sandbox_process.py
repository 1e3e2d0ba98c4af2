"""The Braze sandbox as a separate process, so that its CPU is not counted as the connector's.

Started with `python -m integration_tests.sandbox`, driven through its HTTP control API
(`/_sandbox/stats`, `/_sandbox/requests`, `/_sandbox/reset`, `/_sandbox/today`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SandboxSettings:
    campaigns: int
    days: int
    today: date
    latency_ms: float
    seed: int = 1


class SandboxProcess:
    """`python -m integration_tests.sandbox ...` on a free port of 127.0.0.1."""

    def __init__(self, settings: SandboxSettings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.today = settings.today

    def start(self) -> SandboxProcess:
        s = self.settings
        args = [
            sys.executable,
            "-m",
            "integration_tests.sandbox",
            "--port",
            "0",
            "--seed",
            str(s.seed),
            "--campaigns",
            str(s.campaigns),
            "--days",
            str(s.days),
            "--today",
            s.today.isoformat(),
            "--latency-ms",
            str(s.latency_ms),
            "--api-key",
            "sandbox-key",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        self._process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"the sandbox did not start; see {self.log_path}")
        self.url = json.loads(line)["url"]
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ control API
    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=60) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        return dict(self._call("GET", "/_sandbox/stats"))

    def request_log(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_sandbox/requests"))

    def reset(self) -> None:
        self._call("POST", "/_sandbox/reset", {})

    def set_today(self, today: date) -> None:
        self._call("POST", "/_sandbox/today", {"today": today.isoformat()})
        self.today = today

"""What the reliability tests need beyond `harness`: a secret that must never leak, a ledger of
what a destination holds, a connector process that can be watched and killed, and two tiny HTTP
servers to catch an API key that follows a redirect to another host.

- `SECRET_KEY` / `assert_no_secret`: every test of the reliability files registers this long,
  distinctive key with the sandbox and asserts that no 18-character piece of it appears in
  anything the connector printed (`GuardedRunner` does it after every run).
- `Warehouse`: the campaigns_analytics rows an append + dedup destination holds after each sync,
  every row checked against the sandbox's ground truth as of that sync's "today".
- `BackgroundRead`: a `read` whose stdout goes to a file as it runs; it can be waited on, killed
  with SIGKILL, and reports the process's own peak RSS (VmHWM).
- `AuthRecorder` / `Redirector`: a server that records the Authorization header of every request
  and answers 401, and one that redirects every request to it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from braze_sandbox import BrazeData
from integration_tests.harness import (
    CONSOLE_SCRIPT,
    CampaignDay,
    ConnectorRun,
    ConnectorRunner,
    duplicates,
    expected_analytics,
)

#: The API key of every reliability test: long and distinctive, so any leak of it is findable.
SECRET_KEY = "brz-Rel14bility-7Qm4Xv9Lp2Tz8Kc5Wn3Rb6Hd1Fg0Js-w1Yt"
ANALYTICS = "campaigns_analytics"
ANALYTICS_KEY = ("campaign_id", "time")
_PIECE, _STEP = 12, 6  # any leaked run of 18+ characters contains one whole piece


def secret_pieces(key: str = SECRET_KEY) -> list[str]:
    """Overlapping pieces of `key`: a leak of 18 or more consecutive characters contains one."""
    starts = range(0, max(1, len(key) - _PIECE + 1), _STEP)
    return sorted({key[start : start + _PIECE] for start in starts} | {key[-_PIECE:]})


def assert_no_secret(*captured: str | bytes | ConnectorRun, key: str = SECRET_KEY) -> None:
    """Fail if any piece of `key` is in the given texts or in a run's stdout or stderr."""
    for item in captured:
        texts = [item.stdout, item.stderr] if isinstance(item, ConnectorRun) else [item]
        for text in texts:
            data = text.encode() if isinstance(text, str) else text
            leaked = [piece for piece in secret_pieces(key) if piece.encode() in data]
            assert not leaked, f"the API key leaked: {len(leaked)} pieces of it were found in the output"


def assert_no_secret_in_files(*paths: Path, key: str = SECRET_KEY, chunk: int = 1 << 24) -> None:
    """Fail if a piece of `key` is in any of the files (folders: every file under them), read in chunks."""
    pieces = [piece.encode() for piece in secret_pieces(key)]
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()]
    for path in files:
        with path.open("rb") as handle:
            tail = b""
            while block := handle.read(chunk):
                window = tail + block
                assert not any(piece in window for piece in pieces), f"the API key leaked into {path.name}"
                tail = window[-_PIECE:]


class GuardedRunner(ConnectorRunner):
    """A `ConnectorRunner` that asserts, after every run, that the API key was not printed."""

    def run(self, command: str, *args: Any, **kwargs: Any) -> ConnectorRun:
        result = super().run(command, *args, **kwargs)
        assert_no_secret(result)
        return result


# ---------------------------------------------------------------------------------- ground truth
class Warehouse:
    """campaigns_analytics as an append + dedup destination holds it, checked against ground truth.

    `load` takes one sync's records (complete or cut short): none may repeat a (campaign, day)
    within the sync, and each must equal the sandbox's day as of that sync's `today`. `missing`
    lists the (campaign, day) pairs with data that no sync has delivered yet.
    """

    def __init__(self, data: BrazeData, campaign_ids: list[str], first: date) -> None:
        self.data = data
        self.campaign_ids = campaign_ids
        self.first = first
        self.rows: dict[CampaignDay, Mapping[str, Any]] = {}

    def load(self, records: list[dict[str, Any]], today: date, last: date | None = None) -> None:
        repeated = duplicates(records, ANALYTICS_KEY)
        assert not repeated, f"{len(repeated)} (campaign, day) emitted twice in one sync, e.g. {next(iter(repeated))}"
        expected = expected_analytics(self.data, self.campaign_ids, self.first, last or today, today)
        wrong = [(r["campaign_id"], r["time"]) for r in records if expected.get((r["campaign_id"], r["time"])) != r]
        assert not wrong, f"{len(wrong)} records differ from the sandbox or are unexpected, e.g. {wrong[:3]}"
        self.rows.update({(r["campaign_id"], r["time"]): r for r in records})

    def missing(self, today: date, last: date | None = None) -> list[CampaignDay]:
        expected = expected_analytics(self.data, self.campaign_ids, self.first, last or today, today)
        return sorted(set(expected) - set(self.rows))


def last_states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last STATE message of each stream, as a platform would save them for the next sync."""
    last: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message.get("type") == "STATE":
            last[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
    return list(last.values())


# ---------------------------------------------------------------------------------- processes
class BackgroundRead:
    """A connector `read` running in the background, stdout and stderr going to files.

    `TMPDIR` points at a folder of the test (the CDK's request cache lives there), so what a
    killed process leaves behind can be inspected.
    """

    def __init__(
        self,
        runner: ConnectorRunner,
        config: Mapping[str, Any],
        catalog: Mapping[str, Any],
        state: list[dict[str, Any]] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        args = [str(CONSOLE_SCRIPT), "read", "--config", str(runner.write("config", config))]
        args += ["--catalog", str(runner.write("catalog", catalog))]
        if state is not None:
            args += ["--state", str(runner.write("state", state))]
        args += list(extra_args)
        number = len(list(runner.workdir.glob("*.stdout")))
        self.stdout_path = runner.workdir / f"background_{number}.stdout"
        self.stderr_path = runner.workdir / f"background_{number}.stderr"
        self.tmpdir = runner.workdir / f"background_{number}_tmp"
        self.tmpdir.mkdir()
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        env["TMPDIR"] = str(self.tmpdir)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(args, cwd=runner.workdir, env=env, stdout=out, stderr=err)
        self.peak_rss_kib: int | None = None
        self._offset = 0
        self._pending = b""
        self.seen: list[dict[str, Any]] = []

    def poll_messages(self) -> list[dict[str, Any]]:
        """Messages printed since the last call (complete lines only)."""
        with self.stdout_path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        self._offset += len(chunk)
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        fresh = [json.loads(line) for line in lines if line.startswith(b"{")]
        self.seen.extend(fresh)
        return fresh

    def wait_until(self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float) -> bool:
        """Poll the output until `condition(all messages so far)` holds; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll_messages()
            if condition(self.seen):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        raise TimeoutError(f"the condition did not hold within {timeout} s")

    def kill(self) -> None:
        """SIGKILL, as an out-of-memory killer or a lost node would."""
        self.process.send_signal(signal.SIGKILL)

    def wait(self, timeout: float = 300) -> int:
        """Reap the process, following its peak RSS; returns its exit code (negative: a signal).

        A process still running when this raises (its own deadline, or a test timeout) is killed.
        The peak is VmHWM of /proc/<pid>/status, read every 50 ms while the process lives (the last
        50 ms may be missed). Not `ru_maxrss` from `wait4`: Linux carries the high-water mark over
        `exec`, so a child forked from a big test process reports the test process's size.
        """
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.peak_rss_kib = max(self.peak_rss_kib or 0, high_water_kib(self.process.pid))
                pid, status = os.waitpid(self.process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the connector did not finish within {timeout} s")
                time.sleep(0.05)
        except BaseException:  # the deadline, or pytest-timeout interrupting the test: leave no process behind
            self.kill()
            os.waitpid(self.process.pid, 0)
            raise
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return self.process.returncode

    def result(self) -> ConnectorRun:
        """The finished run as `harness.ConnectorRun` (for small outputs: it holds all of stdout)."""
        completed = subprocess.CompletedProcess(
            self.process.args,
            self.process.returncode,
            self.stdout_path.read_text(errors="replace"),
            self.stderr_path.read_text(errors="replace"),
        )
        return ConnectorRun.parse("read", completed)

    def assert_no_secret(self) -> None:
        """Nothing the process printed or left in its temporary folder holds the API key."""
        assert_no_secret_in_files(self.stdout_path, self.stderr_path, self.tmpdir)

    def stream_messages(self) -> Iterator[dict[str, Any]]:
        """Every message of the finished run, read line by line (for big outputs)."""
        with self.stdout_path.open("rb") as handle:
            for line in handle:
                if line.startswith(b"{"):
                    yield json.loads(line)


def high_water_kib(pid: int) -> int:
    """VmHWM (peak resident set, KiB) of a live process; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------------- other hosts
class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server:
    """A threaded HTTP server on 127.0.0.1, any free port."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _RecordingHandler(_Quiet):
    def do_GET(self) -> None:
        owner: AuthRecorder = self.server.owner  # type: ignore[attr-defined]
        owner.received.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        self._answer(401, b'{"message": "Invalid API key"}')


class AuthRecorder(_Server):
    """Records the path and Authorization header of every request; answers 401."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        super().__init__(_RecordingHandler)


class _RedirectHandler(_Quiet):
    def do_GET(self) -> None:
        owner: Redirector = self.server.owner  # type: ignore[attr-defined]
        self._answer(302, b"{}", {"Location": owner.target + self.path})


class Redirector(_Server):
    """Answers every request with 302 to the same path and query on `target` (scheme://host:port)."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        super().__init__(_RedirectHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

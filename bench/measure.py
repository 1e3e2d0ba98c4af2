"""Run one process and measure it: wall time, CPU time (wait4's rusage), peak RSS (its VmHWM, followed).

stdout and stderr go to files (as a platform would drain a pipe, without a pipe to deadlock),
and `summarize` reads what the process printed: records per stream, the last STATE of each
stream, error traces, and optionally the (campaign_id, time) pairs of one stream.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integration_tests.faultkit import high_water_kib

LOCAL_ENV = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
_STREAM = re.compile(rb'"stream":\s*"([^"]*)"')


@dataclass
class ProcessRun:
    """One finished process."""

    args: list[str]
    returncode: int
    wall_s: float
    max_rss_mb: float
    cpu_user_s: float
    cpu_sys_s: float
    stdout_path: Path
    stderr_path: Path
    timed_out: bool = False

    def stderr_tail(self, lines: int = 5) -> str:
        text = self.stderr_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])


def run_measured(
    args: Sequence[str],
    stdout_path: Path,
    stderr_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 3600,
) -> ProcessRun:
    """Start `args` and wait for it: wall time, CPU from wait4's rusage, peak RSS from its VmHWM.

    The peak is read from /proc/<pid>/status every 50 ms by a thread beside the wait (the last
    50 ms may be missed), not taken from wait4's `ru_maxrss`: Linux carries the high-water mark
    over `exec`, so a child of the bench process would report at least the bench's own size.
    """
    stdout_path.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **LOCAL_ENV, **(env or {})}
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(args), stdout=out, stderr=err, cwd=cwd, env=environment)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            os.kill(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        exited = threading.Event()
        peak_kib = [0]

        def follow_peak() -> None:
            while not exited.is_set():
                peak_kib[0] = max(peak_kib[0], high_water_kib(process.pid))
                exited.wait(0.05)

        follower = threading.Thread(target=follow_peak, daemon=True)
        follower.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            exited.set()
            timer.cancel()
        wall = time.perf_counter() - started
        follower.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        args=list(args),
        returncode=process.returncode,
        wall_s=wall,
        max_rss_mb=peak_kib[0] / 1024,
        cpu_user_s=usage.ru_utime,
        cpu_sys_s=usage.ru_stime,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
        timed_out=timed_out.is_set(),
    )


@dataclass
class Output:
    """What a connector printed, reduced to what the benchmark reports."""

    records: Counter[str] = field(default_factory=Counter)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    duplicate_pairs: int = 0
    unparsed_lines: int = 0
    bytes: int = 0

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def summarize(stdout_path: Path, pairs_of: str | None = None, ids_of: str | None = None) -> Output:
    """Count RECORD lines per stream (parsing only what is needed), keep the last STATE of each
    stream and every error trace; collect (campaign_id, time) of stream `pairs_of` and the `id`
    of the records of stream `ids_of`, if given."""
    output = Output()
    with stdout_path.open("rb") as handle:
        for line in handle:
            output.bytes += len(line)
            head = line[:48]
            if b'"RECORD"' in head:
                match = _STREAM.search(line, 0, 256)
                stream = match.group(1).decode() if match else "?"
                output.records[stream] += 1
                if stream == pairs_of:
                    data = json.loads(line)["record"]["data"]
                    pair = (str(data.get("campaign_id")), str(data.get("time")))
                    if pair in output.pairs:
                        output.duplicate_pairs += 1
                    output.pairs.add(pair)
                elif stream == ids_of:
                    output.ids.add(str(json.loads(line)["record"]["data"].get("id")))
            elif b'"STATE"' in head:
                state = json.loads(line)["state"]
                if state.get("type") == "STREAM":
                    output.states[state["stream"]["stream_descriptor"]["name"]] = state
                else:
                    output.states["_legacy"] = state
            elif b'"TRACE"' in head:
                message = json.loads(line)
                if message["trace"].get("type") == "ERROR":
                    output.errors.append(str(message["trace"]["error"].get("message")))
            elif not line.startswith(b"{"):
                if line.strip():
                    output.unparsed_lines += 1
    return output

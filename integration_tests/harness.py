"""Run the installed connector as Airbyte runs it, against the Braze sandbox, and read what it says.

The connector is the console script `source-braze-campaigns` of the interpreter running the tests
(resolved next to `sys.executable`), started as a subprocess with config, catalog and state files,
in a working directory of the test's choosing. Its stdout is parsed into Airbyte messages
(`ConnectorRun`); the sandbox's `BrazeData` gives the records it should have emitted
(`expected_analytics`, `expected_variations`), and its request log the requests it should
have sent (`data_series_windows`).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from braze_sandbox import SANDBOX_API_KEY, BrazeData, Sandbox, SandboxConfig, parse_iso_datetime

CONSOLE_SCRIPT = Path(sys.executable).parent / "source-braze-campaigns"
TODAY = date(2026, 6, 30)
API_KEY = SANDBOX_API_KEY
ANALYTICS_STREAMS = ("campaigns_analytics", "campaigns_analytics_variations")
DIMENSION_STREAMS = ("campaigns_message_variations", "campaigns_conversion_behaviors")
ALL_STREAMS = ("campaigns", "campaigns_details", *ANALYTICS_STREAMS, *DIMENSION_STREAMS)
CANVAS_ANALYTICS = ("canvases_analytics", "canvases_analytics_variants", "canvases_analytics_steps")
CANVAS_DIMENSIONS = ("canvases_message_variations", "canvases_variants")
CANVAS_STREAMS = ("canvases", "canvases_details", *CANVAS_ANALYTICS, *CANVAS_DIMENSIONS)
# Fields the variations stream adds to each Braze entry.
VARIATION_KEYS = ("campaign_id", "time", "channel", "variation_key")
DATA_SERIES = "/campaigns/data_series"

Day = str  # YYYY-MM-DD, as records carry it
CampaignDay = tuple[str, Day]


def start_sandbox(campaigns: int = 16, days: int = 300, today: date = TODAY, **settings: Any) -> Sandbox:
    """A started sandbox on a free port of 127.0.0.1 (stop it when done)."""
    settings = {"latency_ms": 0, **settings}
    config = SandboxConfig(seed=1, campaigns=campaigns, days=days, today=today, port=0, **settings)
    return Sandbox(config).start()


def connector_config(sandbox: Sandbox, start_date: date, **overrides: Any) -> dict[str, Any]:
    """A config for `sandbox`, its end_date pinned to the sandbox's today."""
    config: dict[str, Any] = {
        "url": sandbox.url,
        "api_key": API_KEY,
        "start_date": start_date.isoformat(),
        "end_date": sandbox.today.isoformat(),
        "num_workers": 4,
    }
    config.update(overrides)
    return config


# ---------------------------------------------------------------------------------- running
@dataclass
class ConnectorRun:
    """What one connector process printed, sorted by message type."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, command: str, completed: subprocess.CompletedProcess[str]) -> ConnectorRun:
        run = cls(command, completed.returncode, completed.stdout, completed.stderr)
        for line in completed.stdout.splitlines():
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                run.unparsed.append(line)
                continue
            if isinstance(message, dict) and "type" in message:
                run.messages.append(message)
            else:
                run.unparsed.append(line)
        return run

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["type"] == kind]

    def records(self, stream: str) -> list[dict[str, Any]]:
        """The data of every RECORD of `stream`, in the order emitted."""
        return [m["record"]["data"] for m in self.of_type("RECORD") if m["record"]["stream"] == stream]

    def record_counts(self) -> Counter[str]:
        return Counter(m["record"]["stream"] for m in self.of_type("RECORD"))

    def state_messages(self) -> list[dict[str, Any]]:
        """The last STATE message of each stream: what a platform saves for the next sync."""
        last: dict[str, dict[str, Any]] = {}
        for message in self.of_type("STATE"):
            state = message["state"]
            last[state["stream"]["stream_descriptor"]["name"]] = state
        return list(last.values())

    def final_state(self, stream: str) -> dict[str, Any] | None:
        """The stream_state of the last STATE message of `stream`."""
        for state in self.state_messages():
            if state["stream"]["stream_descriptor"]["name"] == stream:
                return dict(state["stream"]["stream_state"])
        return None

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Error traces (`trace.error`)."""
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    @property
    def logs(self) -> list[dict[str, Any]]:
        return [m["log"] for m in self.of_type("LOG")]

    @property
    def connection_status(self) -> dict[str, Any]:
        (status,) = [m["connectionStatus"] for m in self.of_type("CONNECTION_STATUS")]
        return dict(status)

    @property
    def spec(self) -> dict[str, Any]:
        (spec,) = [m["spec"] for m in self.of_type("SPEC")]
        return dict(spec)

    @property
    def catalog(self) -> dict[str, Any]:
        (catalog,) = [m["catalog"] for m in self.of_type("CATALOG")]
        return dict(catalog)

    def streams(self) -> dict[str, dict[str, Any]]:
        """The discovered streams by name."""
        return {stream["name"]: stream for stream in self.catalog["streams"]}

    def describe(self) -> str:
        """A short account of the run for assertion messages (never the config)."""
        errors = [error.get("message") for error in self.errors]
        tail = self.stderr.strip().splitlines()[-5:]
        return f"`{self.command}` exited {self.returncode}; errors {errors}; stderr tail {tail}"


class ConnectorRunner:
    """Writes config/catalog/state files into `workdir` and runs the console script."""

    def __init__(self, workdir: Path, cwd: Path | None = None) -> None:
        self.workdir = workdir
        self.cwd = cwd or workdir
        self._numbers = itertools.count(1)
        workdir.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, content: Any) -> Path:
        path = self.workdir / f"{next(self._numbers):02d}_{name}.json"
        path.write_text(json.dumps(content, indent=1))
        return path

    def run(
        self,
        command: str,
        config: Mapping[str, Any] | None = None,
        catalog: Mapping[str, Any] | None = None,
        state: list[dict[str, Any]] | None = None,
        cwd: Path | None = None,
        timeout: float = 180,
    ) -> ConnectorRun:
        args = [str(CONSOLE_SCRIPT), command]
        if config is not None:
            args += ["--config", str(self.write("config", config))]
        if catalog is not None:
            args += ["--catalog", str(self.write("catalog", catalog))]
        if state is not None:
            args += ["--state", str(self.write("state", state))]
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        completed = subprocess.run(
            args, cwd=cwd or self.cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return ConnectorRun.parse(command, completed)

    def read(
        self,
        config: Mapping[str, Any],
        catalog: Mapping[str, Any],
        state: list[dict[str, Any]] | None = None,
    ) -> ConnectorRun:
        return self.run("read", config=config, catalog=catalog, state=state)


def configured_catalog(discovered: Mapping[str, Any], streams: Iterable[str] = ALL_STREAMS) -> dict[str, Any]:
    """A configured catalog of `streams` from `discover` output: the streams with a cursor (the
    analytics streams) incremental with append_dedup on their primary key, the others full refresh
    with overwrite."""
    by_name = {stream["name"]: stream for stream in discovered["streams"]}
    configured = []
    for name in streams:
        stream = by_name[name]
        if "incremental" in stream.get("supported_sync_modes", []) and stream.get("default_cursor_field"):
            configured.append(
                {
                    "stream": stream,
                    "sync_mode": "incremental",
                    "destination_sync_mode": "append_dedup",
                    "cursor_field": stream["default_cursor_field"],
                    "primary_key": stream["source_defined_primary_key"],
                }
            )
        else:
            configured.append({"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"})
    return {"streams": configured}


# ---------------------------------------------------------------------------------- ground truth
def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def expected_analytics(
    data: BrazeData, campaign_ids: Iterable[str], first: date, last: date, today: date
) -> dict[CampaignDay, dict[str, Any]]:
    """campaigns_analytics as the sandbox has it on `today`: (campaign, day) -> record."""
    expected: dict[CampaignDay, dict[str, Any]] = {}
    for campaign_id in campaign_ids:
        for day in data.expected_days(campaign_id, first, last, today):
            record = data.day(campaign_id, day, today)
            assert record is not None
            expected[(campaign_id, day.isoformat())] = {**record, "campaign_id": campaign_id}
    return expected


def by_campaign_day(records: Iterable[Mapping[str, Any]]) -> dict[CampaignDay, list[Mapping[str, Any]]]:
    """Records grouped by (campaign_id, time); a list longer than one is a duplicate."""
    grouped: dict[CampaignDay, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[(record["campaign_id"], record["time"])].append(record)
    return dict(grouped)


def duplicates(records: Iterable[Mapping[str, Any]], key: Iterable[str]) -> dict[tuple[Any, ...], int]:
    """Primary-key values that occur more than once, with their counts."""
    fields = tuple(key)
    counts = Counter(tuple(record.get(name) for name in fields) for record in records)
    return {value: count for value, count in counts.items() if count > 1}


def expected_variations(
    day_records: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, Day, str], list[dict[str, Any]]]:
    """(campaign, day, channel) -> Braze's entries of that channel list, in order.

    An empty channel list (`"sms": []`, on some zero-filled days) has no variation and no row.
    """
    expected: dict[tuple[str, Day, str], list[dict[str, Any]]] = {}
    for record in day_records:
        for channel, entries in (record.get("messages") or {}).items():
            if entries:
                expected[(record["campaign_id"], record["time"], channel)] = [dict(entry) for entry in entries]
    return expected


def variation_entries(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, Day, str], list[dict[str, Any]]]:
    """Variation rows grouped back by (campaign, day, channel), minus the fields the connector adds."""
    grouped: dict[tuple[str, Day, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        entry = {name: value for name, value in row.items() if name not in VARIATION_KEYS}
        grouped[(row["campaign_id"], row["time"], row["channel"])].append(entry)
    return dict(grouped)


def without_order(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """Entries as sorted canonical JSON, to compare lists regardless of order."""
    return sorted(json.dumps(entry, sort_keys=True) for entry in entries)


# ---------------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Window:
    """The days one data_series request asked for."""

    first: date
    last: date
    length: int

    def days(self) -> list[date]:
        return days_between(self.first, self.last)


def data_series_windows(request_log: Iterable[Mapping[str, Any]]) -> dict[str, list[Window]]:
    """campaign_id -> the windows of its data_series requests, in the order sent."""
    windows: dict[str, list[Window]] = defaultdict(list)
    for entry in request_log:
        if entry["path"] != DATA_SERIES:
            continue
        query = entry["query"]
        length = int(query["length"])
        # The sandbox's own reading of the parameters (today only matters without ending_at).
        first, last = BrazeData.window(length, parse_iso_datetime(query["ending_at"]), TODAY)
        windows[query["campaign_id"]].append(Window(first, last, length))
    return dict(windows)


def coverage(windows: Iterable[Window]) -> Counter[date]:
    """How many times each day was requested."""
    return Counter(day for window in windows for day in window.days())

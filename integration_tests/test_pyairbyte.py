"""The connector through PyAirbyte, as `make demo` and PyAirbyte users run it.

PyAirbyte runs in its own venv (``.venv-pyairbyte``, created by the first test that needs it,
~1 min once); it syncs the console script (``local_executable``) from a sandbox on 127.0.0.1
into a DuckDB file, through the same code as the demo (``demo.sync``).
Only when that venv cannot be created are these tests skipped, with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from braze_sandbox import BrazeData, Sandbox, SandboxConfig
from demo.checks import STREAMS, expected_rows, incremental_report
from demo.sync import Redactor, SyncFailed, connector_executable, run_sync
from demo.venv import VenvError, ensure_venv

pytestmark = pytest.mark.pyairbyte

TODAY = date(2026, 6, 30)
NEXT_DAY = TODAY + timedelta(days=1)
DAYS = 120
START = TODAY - timedelta(days=DAYS - 1)
LOOKBACK = 30
# 14 campaigns: every kind (ongoing, stopped, never sent, multivariate, ...) and every channel.
SANDBOX = {"seed": 3, "campaigns": 14, "days": DAYS, "latency_ms": 0, "port": 0, "api_key": "sandbox-key"}
DECLARED_KEYS = {
    "campaigns": ["id"],
    "campaigns_details": ["campaign_id"],
    "campaigns_analytics": ["campaign_id", "time"],
    "campaigns_analytics_variations": ["campaign_id", "time", "channel", "variation_key"],
    "campaigns_message_variations": ["campaign_id", "variation_api_id"],
    "campaigns_conversion_behaviors": ["campaign_id", "conversion_column"],
}


@dataclass
class Sync:
    """One PyAirbyte sync: its result, the sandbox's request log and ground truth."""

    cache: Path
    result: dict[str, Any]
    requests: list[dict[str, Any]]
    expected: dict[str, int]
    connector_counts: dict[str, int] | None = None


@pytest.fixture(scope="module")
def pyairbyte_python() -> Path:
    try:
        return ensure_venv(say=lambda line: print(line, file=sys.stderr))
    except VenvError as error:
        pytest.skip(f".venv-pyairbyte (PyAirbyte's own venv) could not be created: {error}")


@pytest.fixture(scope="module")
def first_sync(pyairbyte_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Sync:
    """A full PyAirbyte sync of a small sandbox, plus the connector's own read of the same data."""
    folder = tmp_path_factory.mktemp("pyairbyte-1")
    with Sandbox(SandboxConfig(today=TODAY, **SANDBOX)) as sandbox:
        config = sandbox_connector_config(sandbox)
        counts = connector_record_counts(config, folder)
        sandbox.reset_stats()
        cache = folder / "braze.duckdb"
        result = run_sync(pyairbyte_python, connector_executable(), config, cache, log_path=folder / "sync.log")
        expected = expected_rows(sandbox.data, START, TODAY, TODAY)
        return Sync(cache, result, sandbox.request_log(), expected, counts)


@pytest.fixture(scope="module")
def second_sync(first_sync: Sync, pyairbyte_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Sync:
    """A day later, a second sync into (a copy of) the first sync's cache: PyAirbyte's state."""
    folder = tmp_path_factory.mktemp("pyairbyte-2")
    cache = folder / "braze.duckdb"
    shutil.copy(first_sync.cache, cache)
    with Sandbox(SandboxConfig(today=TODAY, **SANDBOX)) as sandbox:
        sandbox.set_today(NEXT_DAY)
        config = sandbox_connector_config(sandbox)
        result = run_sync(pyairbyte_python, connector_executable(), config, cache, log_path=folder / "sync.log")
        expected = expected_rows(sandbox.data, START, NEXT_DAY, NEXT_DAY)
        return Sync(cache, result, sandbox.request_log(), expected)


def sandbox_connector_config(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "url": sandbox.url,
        "api_key": sandbox.config.api_key,
        "start_date": START.isoformat(),
        "end_date": sandbox.today.isoformat(),
        "lookback_window_days": LOOKBACK,
    }


def connector_record_counts(config: dict[str, Any], folder: Path) -> dict[str, int]:
    """Records per stream from the console script's own `read` of every stream."""
    (folder / "config.json").write_text(json.dumps(config))
    catalog = {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
            for name in STREAMS
        ]
    }
    (folder / "catalog.json").write_text(json.dumps(catalog))
    completed = subprocess.run(
        [str(connector_executable()), "read", "--config", "config.json", "--catalog", "catalog.json"],
        cwd=folder, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    counts: Counter[str] = Counter()
    for line in completed.stdout.splitlines():
        if line.startswith("{") and '"RECORD"' in line:
            message = json.loads(line)
            if message["type"] == "RECORD":
                counts[message["record"]["stream"]] += 1
    return dict(counts)


def test_given_a_sandbox_when_pyairbyte_syncs_all_streams_then_duckdb_holds_one_table_per_stream_with_every_record(
    first_sync: Sync,
) -> None:
    tables = first_sync.result["tables"]
    assert sorted(tables) == sorted(STREAMS)
    assert first_sync.connector_counts is not None
    for stream in STREAMS:
        rows = tables[stream]["rows"]
        assert rows > 0, stream
        assert rows == first_sync.connector_counts[stream], stream
        assert rows == first_sync.expected[stream], stream
        assert first_sync.result["records_read"][stream] == first_sync.connector_counts[stream], stream


def test_given_a_pyairbyte_sync_when_reading_its_tables_then_each_has_the_declared_primary_key_and_no_duplicates(
    first_sync: Sync,
) -> None:
    tables = first_sync.result["tables"]
    for stream, key in DECLARED_KEYS.items():
        assert tables[stream]["primary_key"] == key, stream
        assert tables[stream]["duplicate_keys"] == 0, stream
        assert tables[stream]["null_keys"] == 0, stream
    assert tables["campaigns_analytics"]["sync_mode"] == "incremental"
    assert tables["campaigns_analytics"]["cursor_field"] == ["time"]


def test_given_a_first_sync_when_a_day_passes_and_pyairbyte_syncs_again_then_it_resumes_from_the_saved_cursors(
    first_sync: Sync, second_sync: Sync
) -> None:
    saved = first_sync.result["state_after"]["campaigns_analytics"]["cursors"]
    assert saved and second_sync.result["state_before"]["campaigns_analytics"]["cursors"] == saved

    report = incremental_report(second_sync.requests, saved, LOOKBACK, START)

    assert report.incremental, report.too_early
    # One day later, every campaign (sending, stopped or never sent) is one window: the lookback.
    windows = {campaign.campaign_id: sorted(campaign.windows) for campaign in report.campaigns}
    every_campaign = BrazeData(SANDBOX["seed"], SANDBOX["campaigns"], DAYS, TODAY).campaign_ids()
    assert sorted(windows) == sorted(every_campaign)
    assert {len(days) for days in windows.values()} == {1}, windows
    read_1, read_2 = first_sync.result["records_read"], second_sync.result["records_read"]
    assert read_2["campaigns_analytics"] < read_1["campaigns_analytics"]


def test_given_a_second_sync_a_day_later_when_reading_duckdb_then_every_table_matches_the_new_ground_truth(
    second_sync: Sync,
) -> None:
    for stream in STREAMS:
        assert second_sync.result["tables"][stream]["rows"] == second_sync.expected[stream], stream
        assert second_sync.result["tables"][stream]["duplicate_keys"] == 0, stream


def test_given_a_wrong_key_when_pyairbyte_syncs_then_the_failure_quotes_the_connector_and_never_the_key(
    pyairbyte_python: Path, tmp_path: Path
) -> None:
    wrong_key = "not-the-sandbox-key-7f3a"
    with Sandbox(SandboxConfig(today=TODAY, **SANDBOX)) as sandbox:
        config = dict(sandbox_connector_config(sandbox), api_key=wrong_key)
        with pytest.raises(SyncFailed) as failure:
            run_sync(pyairbyte_python, connector_executable(), config, tmp_path / "x.duckdb", log_path=tmp_path / "log")

    assert "401 Unauthorized" in str(failure.value)
    assert wrong_key not in str(failure.value)
    assert wrong_key not in (tmp_path / "log").read_text()


def test_given_a_window_before_cursor_minus_lookback_when_reporting_then_the_sync_is_not_incremental() -> None:
    requests = [data_series_request("a", length=31), data_series_request("b", length=60)]
    cursors = {"a": "2026-06-30", "b": "2026-06-30"}

    report = incremental_report(requests, cursors, 30, date(2026, 1, 1))

    assert not report.incremental
    assert [campaign_id for campaign_id, _, _ in report.too_early] == ["b"]
    assert report.requests == 2


def data_series_request(campaign_id: str, length: int, last_day: str = "2026-07-01") -> dict[str, Any]:
    query = {"campaign_id": campaign_id, "length": str(length), "ending_at": f"{last_day}T23:59:59+00:00"}
    return {"path": "/campaigns/data_series", "status": 200, "query": query}


def test_given_a_config_with_a_key_when_redacting_output_then_the_key_never_remains() -> None:
    redact = Redactor(["secret-key-123", None])

    assert redact("401 for secret-key-123 at url") == "401 for **** at url"

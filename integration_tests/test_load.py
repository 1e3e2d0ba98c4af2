"""Load: thousands of campaigns, memory that stays flat, and the CDK's switch to one global cursor.

Each sync reads campaigns_analytics over 30 days from a sandbox whose campaigns all started within
those 30 days. Outputs are hundreds of megabytes, so they go to a file and are checked one record
at a time (`check_sync`) instead of being held in memory. Peak RSS is the connector process's own
(VmHWM of /proc/<pid>/status, followed while it runs), not the test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from braze_sandbox import Sandbox, SandboxConfig
from integration_tests.faultkit import (
    ANALYTICS,
    SECRET_KEY,
    BackgroundRead,
    GuardedRunner,
)
from integration_tests.harness import TODAY, CampaignDay, configured_catalog, connector_config
from source_braze_campaigns.cdk_compat import PENDING_PARTITIONS

DAYS = 30
FIRST = TODAY - timedelta(days=DAYS - 1)
LATER = TODAY + timedelta(days=2)
WORKERS = 2  # at zero latency more workers only add contention (docs/benchmarks.md)
SWITCH_TO_GLOBAL_LIMIT = 10_000  # ConcurrentPerPartitionCursor keeps one cursor per campaign up to this
# Peak RSS with 10,000 campaigns may exceed the 100-campaign peak by this factor at most: room for the
# per-campaign state a sync must keep (a cursor per campaign, a state message of ~1.3 MB), not for
# anything held per record, per request or per queued campaign.
RSS_GROWTH_ALLOWED = 1.5

pytestmark = pytest.mark.slow


@dataclass
class SyncCheck:
    """What one streamed sync delivered, checked against the sandbox record by record."""

    keys: set[CampaignDay] = field(default_factory=set)
    repeated: list[CampaignDay] = field(default_factory=list)
    wrong: list[CampaignDay] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def check_sync(background: BackgroundRead, sandbox: Sandbox, today: date) -> SyncCheck:
    """Stream the finished run's output: each (campaign, day) once, each equal to the sandbox's day."""
    result = SyncCheck()
    for message in background.stream_messages():
        kind = message["type"]
        if kind == "RECORD" and message["record"]["stream"] == ANALYTICS:
            record = message["record"]["data"]
            key = (record["campaign_id"], record["time"])
            if key in result.keys:
                result.repeated.append(key)
            result.keys.add(key)
            expected = sandbox.data.day(key[0], date.fromisoformat(key[1]), today)
            if expected is None or {**expected, "campaign_id": key[0]} != record:
                result.wrong.append(key)
        elif kind == "STATE":
            result.states.append(message["state"])
        elif kind == "TRACE" and message["trace"]["type"] == "ERROR":
            result.errors.append(message["trace"]["error"])
    background.assert_no_secret()
    return result


def expected_keys(sandbox: Sandbox, today: date) -> set[CampaignDay]:
    return {
        (campaign_id, day.isoformat())
        for campaign_id in sandbox.data.campaign_ids()
        for day in sandbox.data.expected_days(campaign_id, FIRST, today, today)
    }


@pytest.fixture
def new_sandbox() -> Iterator[Any]:
    started: list[Sandbox] = []

    def start(campaigns: int) -> Sandbox:
        config = SandboxConfig(
            seed=1, campaigns=campaigns, days=DAYS, today=TODAY, api_key=SECRET_KEY, request_log_size=1000
        )
        started.append(Sandbox(config).start())
        return started[-1]

    yield start
    for sandbox in started:
        sandbox.stop()


def sync(
    runner: GuardedRunner,
    sandbox: Sandbox,
    catalog: dict[str, Any],
    today: date,
    state: list[dict[str, Any]] | None = None,
    workers: int = WORKERS,
) -> tuple[BackgroundRead, SyncCheck]:
    sandbox.set_today(today)
    config = connector_config(
        sandbox, FIRST, api_key=SECRET_KEY, end_date=today.isoformat(), num_workers=workers, lookback_window_days=0
    )
    background = BackgroundRead(runner, config, catalog, state=state)
    returncode = background.wait(timeout=600)
    checked = check_sync(background, sandbox, today)
    assert returncode == 0 and not checked.errors, [error.get("message") for error in checked.errors]
    assert not checked.repeated, f"{len(checked.repeated)} (campaign, day) emitted twice, e.g. {checked.repeated[0]}"
    assert not checked.wrong, f"{len(checked.wrong)} records differ from the sandbox, e.g. {checked.wrong[0]}"
    return background, checked


def test_given_100_1000_and_10000_campaigns_when_syncing_then_peak_rss_does_not_grow_with_the_number_of_campaigns(
    tmp_path: Path, new_sandbox: Any, discovered: dict[str, Any]
) -> None:
    catalog = configured_catalog(discovered, [ANALYTICS])
    peaks: dict[int, float] = {}
    in_flight: dict[int, int] = {}
    for campaigns in (100, 1_000, 10_000):
        sandbox = new_sandbox(campaigns)
        background, checked = sync(GuardedRunner(tmp_path / str(campaigns)), sandbox, catalog, TODAY)
        assert checked.keys == expected_keys(sandbox, TODAY)
        assert background.peak_rss_kib is not None
        peaks[campaigns] = background.peak_rss_kib / 1024
        in_flight[campaigns] = sandbox.stats()["max_in_flight_by_endpoint"]["/campaigns/data_series"]
        sandbox.stop()
    print("peak RSS (MiB) by campaigns:", {count: round(peak, 1) for count, peak in peaks.items()})
    print("data_series requests in flight at most, by campaigns:", in_flight)
    assert all(count <= WORKERS for count in in_flight.values()), in_flight
    assert peaks[10_000] <= peaks[100] * RSS_GROWTH_ALLOWED, f"peak RSS (MiB) by campaigns: {peaks}"


def test_given_one_worker_and_more_campaigns_than_partitions_queued_ahead_when_syncing_then_it_completes_one_read_at_a_time(  # noqa: E501
    tmp_path: Path, new_sandbox: Any, discovered: dict[str, Any]
) -> None:
    # In one pool of one thread, a partition generator waiting on the look-ahead bound would hold the
    # only thread and the sync would hang; the connector gives the generator a thread of its own.
    catalog = configured_catalog(discovered, [ANALYTICS])
    sandbox = new_sandbox(PENDING_PARTITIONS + 150)
    _, checked = sync(GuardedRunner(tmp_path), sandbox, catalog, TODAY, workers=1)
    assert checked.keys == expected_keys(sandbox, TODAY)
    stats = sandbox.stats()
    assert stats["requests"]["/campaigns/data_series"] == PENDING_PARTITIONS + 150
    # One reader; the generator reads the campaign list on its own thread.
    assert stats["max_in_flight_by_endpoint"]["/campaigns/data_series"] == 1, stats


def test_given_more_campaigns_than_the_cdk_keeps_cursors_for_when_syncing_then_no_day_is_lost_and_the_incremental_sync_loses_nothing(  # noqa: E501
    tmp_path: Path, new_sandbox: Any, discovered: dict[str, Any]
) -> None:
    catalog = configured_catalog(discovered, [ANALYTICS])
    sandbox = new_sandbox(SWITCH_TO_GLOBAL_LIMIT + 50)
    runner = GuardedRunner(tmp_path)

    background, full = sync(runner, sandbox, catalog, TODAY)
    print(f"peak RSS (MiB) with {SWITCH_TO_GLOBAL_LIMIT + 50} campaigns: {(background.peak_rss_kib or 0) / 1024:.1f}")
    assert full.keys == expected_keys(sandbox, TODAY), "a day was lost in the sync that switched to a global cursor"
    state = full.states[-1]
    assert state["stream"]["stream_state"].get("use_global_cursor") is True, "the CDK did not switch: test nothing"

    _, incremental = sync(runner, sandbox, catalog, LATER, state=[state])
    missing = expected_keys(sandbox, LATER) - full.keys - incremental.keys
    assert not missing, f"{len(missing)} (campaign, day) lost after the switch, e.g. {sorted(missing)[:3]}"

"""Load: thousands of campaigns, memory that stays flat, and a cursor per campaign above 10,000 of them.

Each sync reads campaigns_analytics over 30 days from a sandbox whose campaigns all started within
those 30 days. Outputs are hundreds of megabytes, so they go to a file and are checked one record
at a time (`check_sync`) instead of being held in memory. Peak RSS is the connector process's own
(VmHWM of /proc/<pid>/status, followed while it runs), not the test's.
"""

from __future__ import annotations

import json
import os
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
# More campaigns than the 10,000 above which the CDK would share one cursor among all. 20,000 was
# measured once (docs/reliability.md): SOURCE_BRAZE_LOAD_CAMPAIGNS=20000 pytest -k more_campaigns_than
LARGE_WORKSPACE = int(os.environ.get("SOURCE_BRAZE_LOAD_CAMPAIGNS") or 10_050)
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


def expected_keys(sandbox: Sandbox, today: date, campaign_ids: list[str] | None = None) -> set[CampaignDay]:
    return {
        (campaign_id, day.isoformat())
        for campaign_id in (sandbox.data.campaign_ids() if campaign_ids is None else campaign_ids)
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
    **settings: Any,
) -> tuple[BackgroundRead, SyncCheck]:
    sandbox.set_today(today)
    config = connector_config(
        sandbox,
        FIRST,
        api_key=SECRET_KEY,
        end_date=today.isoformat(),
        num_workers=workers,
        lookback_window_days=0,
        **settings,
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


def test_given_more_campaigns_than_the_cdk_keeps_cursors_for_when_an_archived_campaign_is_first_listed_after_them_then_no_day_is_lost(  # noqa: E501
    tmp_path: Path, new_sandbox: Any, discovered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Above 10,000 campaigns the CDK would switch to one cursor for all: no checkpoint until the end,
    # and the next sync would start a campaign listed for the first time at the latest day of any
    # campaign, losing its history. Here archived campaigns are first listed in the second sync.
    monkeypatch.setenv("SOURCE_BRAZE_STATE_INTERVAL_S", "2")  # checkpoints in a sync of about a minute
    catalog = configured_catalog(discovered, [ANALYTICS])
    sandbox = new_sandbox(LARGE_WORKSPACE)
    listed = sandbox.data.campaign_ids(include_archived=False)
    assert LARGE_WORKSPACE - len(listed) > 500, "too few archived campaigns: test nothing"
    runner = GuardedRunner(tmp_path)

    background, full = sync(runner, sandbox, catalog, TODAY, include_archived=False)
    first_requests = sandbox.stats()["requests"]["/campaigns/data_series"]
    print(
        f"{LARGE_WORKSPACE - len(listed)} archived of {LARGE_WORKSPACE} campaigns; first sync of {len(listed)}: "
        f"peak RSS {(background.peak_rss_kib or 0) / 1024:.1f} MiB, {first_requests} data_series requests, "
        f"{len(full.states)} states, the last {len(json.dumps(full.states[-1])) / 1e6:.2f} MB"
    )
    assert full.keys == expected_keys(sandbox, TODAY, listed)
    assert first_requests == len(listed), "not one request per campaign for 30 days"
    assert len(full.states) >= 3, "no checkpoint before the end of the sync"
    assert all(not state["stream"]["stream_state"]["use_global_cursor"] for state in full.states), (
        "switched to one cursor for all campaigns"
    )

    sandbox.reset_stats()
    background, incremental = sync(runner, sandbox, catalog, LATER, state=[full.states[-1]])
    print(
        f"incremental sync of {LARGE_WORKSPACE}: peak RSS {(background.peak_rss_kib or 0) / 1024:.1f} MiB, "
        f"{sandbox.stats()['requests']['/campaigns/data_series']} data_series requests"
    )
    missing = expected_keys(sandbox, LATER, sandbox.data.campaign_ids()) - full.keys - incremental.keys
    assert not missing, f"{len(missing)} (campaign, day) lost, e.g. {sorted(missing)[:3]}"
    assert sandbox.stats()["requests"]["/campaigns/data_series"] == LARGE_WORKSPACE

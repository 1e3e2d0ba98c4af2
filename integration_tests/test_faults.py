"""Faults survived, nothing lost: the installed connector against a sandbox that misbehaves.

Each test arms faults on a fresh sandbox, runs a full sync, then an incremental sync from the state
the full sync emitted ("today" moved on three days, faults armed again), and loads every sync's
campaigns_analytics records into a `faultkit.Warehouse`, which holds them as an append + dedup
destination would: within a sync no (campaign, day) may repeat and every record must equal the
sandbox's day as of that sync; after the syncs no (campaign, day) with data may be missing.
A sync may also stop with a clear error, as long as the next sync from the state it left fills
every gap; the tests then run that next sync and prove it.

`lookback_window_days` is 0, so a cursor saved ahead of the days really received shows up as a
missing day instead of being papered over by the lookback.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from braze_sandbox import BrazeData, Sandbox
from integration_tests.faultkit import (
    ANALYTICS,
    SECRET_KEY,
    BackgroundRead,
    GuardedRunner,
    Warehouse,
    assert_no_secret,
    last_states,
)
from integration_tests.harness import (
    DATA_SERIES,
    TODAY,
    ConnectorRun,
    configured_catalog,
    connector_config,
    expected_variations,
    start_sandbox,
    variation_entries,
    without_order,
)

# The fault matrix is a tier of its own (make test-slow): each scenario syncs at least twice
# against a misbehaving sandbox.
pytestmark = pytest.mark.slow

LIST = "/campaigns/list"
DETAILS = "/campaigns/details"
CAMPAIGNS, HISTORY_DAYS = 16, 120
FIRST = TODAY - timedelta(days=59)  # 60 days: one data_series request per campaign
LATER = TODAY + timedelta(days=3)  # "today" of the incremental sync
RATE_LIMIT_LOG = re.compile(r"Braze rate limit reached on (\S+): waiting (\d+) s")
SANDBOX_DATA = BrazeData(seed=1, campaigns=CAMPAIGNS, days=HISTORY_DAYS, today=TODAY)  # as start_sandbox builds it


@dataclass
class Scenario:
    """One sandbox, one destination: syncs the analytics stream and loads what each sync emitted."""

    sandbox: Sandbox
    runner: GuardedRunner
    catalog: dict[str, Any]
    warehouse: Warehouse

    def config(self, today: date, **overrides: Any) -> dict[str, Any]:
        settings = {"api_key": SECRET_KEY, "lookback_window_days": 0, "end_date": today.isoformat(), **overrides}
        return connector_config(self.sandbox, self.warehouse.first, **settings)

    def sync(self, today: date, state: list[dict[str, Any]] | None = None) -> ConnectorRun:
        """Move the sandbox to `today`, read up to it, load the records; the run is returned as it ended."""
        self.sandbox.set_today(today)
        run = self.runner.read(self.config(today), self.catalog, state=state)
        self.warehouse.load(run.records(ANALYTICS), today)
        return run

    def full_then_incremental(self, arm: Callable[[Sandbox], None]) -> list[ConnectorRun]:
        """A full sync, then an incremental one from its state, each with `arm`'s faults; both must end
        with nothing missing (a failed sync is followed by one more sync, which must succeed)."""
        runs = []
        state = None
        for today in (TODAY, LATER):
            arm(self.sandbox)
            run = self.sync(today, state)
            runs.append(run)
            state = run.state_messages()
            if run.returncode != 0:
                assert_failed_clearly(run)
                state = self.recover(run, today).state_messages()
            assert self.warehouse.missing(today) == [], runs[-1].describe()
        return runs

    def recover(self, failed: ConnectorRun, today: date) -> ConnectorRun:
        """Faults cleared, the next sync from the failed sync's state succeeds and leaves nothing missing."""
        self.sandbox.clear_faults()
        recovered = self.sync(today, failed.state_messages())
        assert_survived(recovered)
        assert self.warehouse.missing(today) == [], recovered.describe()
        return recovered


def assert_failed_clearly(run: ConnectorRun) -> None:
    """A failed sync says why in an error trace, and leaves a state for the next sync."""
    assert run.returncode != 0
    assert run.errors, f"no error trace: {run.describe()}"
    assert all(error.get("message") and error.get("failure_type") for error in run.errors), run.errors


def assert_survived(run: ConnectorRun) -> None:
    assert run.returncode == 0, run.describe()
    assert run.errors == [], run.describe()


def rate_limit_waits(run: ConnectorRun) -> list[tuple[str, int]]:
    """(path, seconds) of every "Braze rate limit reached on <path>: waiting <n> s" warning."""
    waits = []
    for log in run.logs:
        match = RATE_LIMIT_LOG.search(log["message"])
        if match:
            assert log["level"] == "WARN", log
            waits.append((match.group(1), int(match.group(2))))
    return waits


def data_series_requests(sandbox: Sandbox) -> Counter[str]:
    """How many data_series requests the sandbox answered per campaign."""
    return Counter(entry["query"]["campaign_id"] for entry in sandbox.request_log() if entry["path"] == DATA_SERIES)


def repeated_requests(sandbox: Sandbox, path: str = DATA_SERIES) -> int:
    """How many requests asked again for exactly what an earlier request had asked."""
    asked = Counter(tuple(sorted(entry["query"].items())) for entry in sandbox.request_log() if entry["path"] == path)
    return sum(count - 1 for count in asked.values())


def ongoing_campaigns() -> list[str]:
    """Campaigns still sending on the sandbox's today: every sync has days of theirs to read."""
    return SANDBOX_DATA.campaign_ids(kind="ongoing")


@pytest.fixture
def catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    return configured_catalog(discovered, [ANALYTICS])


def new_scenario(runner: GuardedRunner, catalog: dict[str, Any], **settings: Any) -> Scenario:
    sandbox = start_sandbox(campaigns=CAMPAIGNS, days=HISTORY_DAYS, api_key=SECRET_KEY, **settings)
    warehouse = Warehouse(sandbox.data, sandbox.data.campaign_ids(), FIRST)
    return Scenario(sandbox, runner, catalog, warehouse)


@pytest.fixture
def scenario(runner: GuardedRunner, catalog: dict[str, Any]) -> Iterator[Scenario]:
    instance = new_scenario(runner, catalog)
    yield instance
    instance.sandbox.stop()


def observe(case: str, **facts: Any) -> None:
    """Print what a run showed (seen with `pytest -s`; docs/reliability.md quotes these lines)."""
    print(f"observed [{case}]", "; ".join(f"{name}={value}" for name, value in facts.items()))


def in_parallel(*chains: Callable[[], None]) -> None:
    """Run independent scenarios side by side (their connectors mostly sleep in backoff)."""
    with ThreadPoolExecutor(len(chains)) as pool:
        for future in [pool.submit(chain) for chain in chains]:
            future.result()


# ---------------------------------------------------------------------------------- 429
def test_given_429_storms_with_reset_headers_when_syncing_then_the_waits_are_bounded_logged_and_nothing_is_lost(
    runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    # The data_series bucket allows 6 requests per 2-second window, so every sync runs into it again
    # and again; the list answers 429 once more on top, with its reset 2 s away.
    scenario = new_scenario(runner, catalog, data_series_limit=6, data_series_window_s=2.0)
    try:
        runs = scenario.full_then_incremental(lambda sb: sb.add_fault(path=LIST, kind="429", count=1, reset_in=2))
    finally:
        scenario.sandbox.stop()
    for run in runs:
        assert_survived(run)
        waits = rate_limit_waits(run)
        assert {path for path, _ in waits} == {LIST, DATA_SERIES}, waits
        # X-RateLimit-Reset is at most 2 s away (+1 s of margin, rounded): never the 600 s cap.
        assert all(1 <= seconds <= 4 for _, seconds in waits), waits
        observe("429", exit=run.returncode, waits=Counter(waits), records=len(run.records(ANALYTICS)))
    assert scenario.sandbox.stats()["responses_by_status"]["429"] >= len(runs) * 2


# ---------------------------------------------------------------------------------- 5xx
def test_given_bursts_of_500_502_503_504_when_syncing_then_requests_are_retried_and_nothing_is_lost(
    scenario: Scenario,
) -> None:
    def arm(sandbox: Sandbox) -> None:
        sandbox.add_fault(path=LIST, kind="503", count=1)
        for kind in ("500", "502", "503", "504"):
            sandbox.add_fault(path=DATA_SERIES, kind=kind, count=2)

    runs = scenario.full_then_incremental(arm)

    for run in runs:
        assert_survived(run)
    statuses = scenario.sandbox.stats()["responses_by_status"]
    observe("5xx", exits=[run.returncode for run in runs], statuses=statuses)
    assert {status: statuses.get(status, 0) for status in ("500", "502", "503", "504")} == {
        "500": 4,
        "502": 4,
        "503": 6,
        "504": 4,
    }


def test_given_a_server_that_stays_down_when_syncing_then_retries_are_bounded_the_error_is_transient_and_the_next_sync_fills_every_gap(  # noqa: E501
    runner: GuardedRunner, catalog: dict[str, Any], tmp_path: Path
) -> None:
    # Two independent scenarios, run side by side: each waits out the whole backoff (2+4+8+16+32 s).
    def whole_api_down() -> None:
        scenario = new_scenario(GuardedRunner(tmp_path / "down"), catalog)
        try:
            scenario.sandbox.add_fault(kind="500", count=-1)  # every path, for ever
            failed = scenario.sync(TODAY)
            assert_failed_clearly(failed)
            assert [error["failure_type"] for error in failed.errors][:1] == ["transient_error"], failed.errors
            # One try and five retries of the first page of the list, then it gave up: no hang.
            assert scenario.sandbox.stats()["requests"][LIST] == 6
            observe("down", exit=failed.returncode, list_tries=6, error=failed.errors[0]["message"][:110])
            scenario.recover(failed, TODAY)
        finally:
            scenario.sandbox.stop()

    def one_campaign_down_during_an_incremental_sync() -> None:
        scenario = new_scenario(GuardedRunner(tmp_path / "one"), catalog)
        down = ongoing_campaigns()[0]
        try:
            full = scenario.sync(TODAY)
            assert_survived(full)
            scenario.sandbox.add_fault(path=DATA_SERIES, kind="503", count=-1, campaign_id=down)
            failed = scenario.sync(LATER, state=full.state_messages())
            assert_failed_clearly(failed)
            assert data_series_requests(scenario.sandbox)[down] == 1 + 6  # the full sync, then 6 tries
            assert {record["campaign_id"] for record in failed.records(ANALYTICS)} - {down}, "others completed"
            observe("one down", exit=failed.returncode, records=len(failed.records(ANALYTICS)))
            scenario.recover(failed, LATER)
        finally:
            scenario.sandbox.stop()

    in_parallel(whole_api_down, one_campaign_down_during_an_incremental_sync)


# ---------------------------------------------------------------------------------- slow, reset, bad bodies
def test_given_a_response_slower_than_the_read_timeout_when_syncing_then_the_request_is_retried_and_nothing_is_lost(
    runner: GuardedRunner, catalog: dict[str, Any], tmp_path: Path
) -> None:
    # The connector's read timeout is 60 s; the slow answer comes after 61 s. The full sync meets it in
    # one scenario, the incremental sync in another, side by side.
    slow = ongoing_campaigns()[0]

    def arm(sandbox: Sandbox) -> None:
        sandbox.add_fault(path=DATA_SERIES, kind="slow", count=1, campaign_id=slow, delay=61)

    def slow_in(which: str) -> None:
        scenario = new_scenario(GuardedRunner(tmp_path / which), catalog)
        try:
            if which == "full":
                arm(scenario.sandbox)
            full = scenario.sync(TODAY)
            if which == "incremental":
                arm(scenario.sandbox)
            incremental = scenario.sync(LATER, state=full.state_messages())
            for run in (full, incremental):
                assert_survived(run)
            assert scenario.warehouse.missing(LATER) == []
            # Both syncs asked once for the slow campaign, plus the retry after the timeout.
            assert data_series_requests(scenario.sandbox)[slow] == 3
            observe(f"slow in {which}", exits=[full.returncode, incremental.returncode], asked=3)
        finally:
            scenario.sandbox.stop()

    in_parallel(lambda: slow_in("full"), lambda: slow_in("incremental"))


def test_given_connections_reset_mid_body_when_syncing_then_requests_are_retried_and_nothing_is_lost(
    scenario: Scenario,
) -> None:
    repeats: list[tuple[int, int]] = []  # (data_series, list) requests asked again, per sync

    def arm(sandbox: Sandbox) -> None:
        repeats.append((repeated_requests(sandbox), repeated_requests(sandbox, LIST)))
        sandbox.reset_stats()
        sandbox.add_fault(path=LIST, kind="reset", count=1)
        sandbox.add_fault(path=DATA_SERIES, kind="reset", count=3)

    for run in scenario.full_then_incremental(arm):
        assert_survived(run)
    repeats.append((repeated_requests(scenario.sandbox), repeated_requests(scenario.sandbox, LIST)))
    # In each sync the requests cut off mid-body were asked again, and only they.
    observe("reset", repeated_per_sync=repeats[1:])
    assert repeats[1:] == [(3, 1), (3, 1)]


def test_given_truncated_and_non_json_bodies_with_status_200_when_syncing_both_analytics_streams_then_they_are_asked_again_and_nothing_is_lost(  # noqa: E501
    runner: GuardedRunner, discovered: dict[str, Any]
) -> None:
    # Both analytics streams share responses: a bad body must not be handed to the other stream, and the
    # retry must ask Braze again, for a data_series window as for a page of the list.
    truncated, non_json = ongoing_campaigns()[:2]
    both = configured_catalog(discovered, [ANALYTICS, "campaigns_analytics_variations"])
    scenario = new_scenario(runner, both)
    variations = "campaigns_analytics_variations"

    def arm(sandbox: Sandbox) -> None:
        sandbox.reset_stats()
        sandbox.add_fault(path=DATA_SERIES, kind="truncated", count=1, campaign_id=truncated)
        sandbox.add_fault(path=DATA_SERIES, kind="non_json", count=1, campaign_id=non_json)
        sandbox.add_fault(path=LIST, kind="truncated", count=1)

    try:
        state: list[dict[str, Any]] | None = None
        for today in (TODAY, LATER):
            arm(scenario.sandbox)
            run = scenario.sync(today, state)
            assert_survived(run)
            asked = data_series_requests(scenario.sandbox)
            observe("bad bodies", exit=run.returncode, truncated=asked[truncated], non_json=asked[non_json])
            assert (asked[truncated], asked[non_json]) == (2, 2), "each bad body was asked for again, once"
            # Every other window was asked once for both streams (the shared cache), the bad ones twice.
            assert repeated_requests(scenario.sandbox) == 2
            assert repeated_requests(scenario.sandbox, LIST) == 1
            # The variations stream has every entry of every day the daily stream has.
            got = {key: without_order(entries) for key, entries in variation_entries(run.records(variations)).items()}
            want = {key: without_order(entries) for key, entries in expected_variations(run.records(ANALYTICS)).items()}
            assert got == want
            assert scenario.warehouse.missing(today) == []
            state = run.state_messages()
    finally:
        scenario.sandbox.stop()


# ---------------------------------------------------------------------------------- deleted campaigns
def test_given_campaigns_deleted_between_the_list_and_their_reads_when_syncing_then_each_is_named_in_a_log_line_and_the_others_complete(  # noqa: E501
    runner: GuardedRunner, discovered: dict[str, Any]
) -> None:
    # One campaign answers 400 "Invalid Campaign ID" (as Braze does for a deleted one), another 404.
    gone_400, gone_404 = ongoing_campaigns()[:2]
    catalog = configured_catalog(discovered, ["campaigns_details", ANALYTICS])
    scenario = new_scenario(runner, catalog, deleted_campaign_ids=[gone_400])
    remaining = [cid for cid in scenario.sandbox.data.campaign_ids() if cid not in (gone_400, gone_404)]
    scenario.warehouse = Warehouse(scenario.sandbox.data, remaining, FIRST)

    def arm(sandbox: Sandbox) -> None:
        for path in (DETAILS, DATA_SERIES):
            sandbox.add_fault(path=path, kind="404", count=-1, campaign_id=gone_404)

    try:
        runs = scenario.full_then_incremental(arm)
    finally:
        scenario.sandbox.stop()
    for run in runs:
        assert_survived(run)
        assert {record["campaign_id"] for record in run.records("campaigns_details")} == set(remaining)
        messages = [log["message"] for log in run.logs]
        observe("deleted", lines=[m[:90] for m in messages if gone_400 in m or gone_404 in m][:2])
        for gone in (gone_400, gone_404):
            assert any(gone in message for message in messages), f"no log line names the deleted campaign {gone}"


# ---------------------------------------------------------------------------------- killed, restarted
@pytest.fixture
def slow_scenario(runner: GuardedRunner, catalog: dict[str, Any]) -> Iterator[Scenario]:
    """300 days (four requests per campaign) answered after 150 ms each: a sync takes a few seconds."""
    sandbox = start_sandbox(campaigns=CAMPAIGNS, days=400, api_key=SECRET_KEY)
    sandbox.config.latency_ms = 150
    first = TODAY - timedelta(days=299)
    instance = Scenario(sandbox, runner, catalog, Warehouse(sandbox.data, sandbox.data.campaign_ids(), first))
    yield instance
    instance.sandbox.stop()  # the restart test replaces the sandbox


def slow_config(scenario: Scenario, today: date) -> dict[str, Any]:
    return scenario.config(today, num_workers=2)


def answered_data_series(sandbox: Sandbox) -> int:
    return int(sandbox.stats()["requests"][DATA_SERIES])


def mid_sync(messages: list[dict[str, Any]]) -> bool:
    """A STATE has been printed and some records: the sync is well under way."""
    kinds = Counter(message["type"] for message in messages)
    return kinds["STATE"] >= 1 and kinds["RECORD"] >= 300


def test_given_a_connector_killed_with_sigkill_mid_sync_when_the_next_sync_starts_from_its_last_state_then_every_gap_is_filled(  # noqa: E501
    slow_scenario: Scenario,
) -> None:
    scenario = slow_scenario
    state: list[dict[str, Any]] | None = None
    for today in (TODAY, LATER):  # killed in the full sync, then killed in the incremental one
        scenario.sandbox.set_today(today)
        background = BackgroundRead(scenario.runner, slow_config(scenario, today), scenario.catalog, state=state)
        assert background.wait_until(mid_sync, timeout=120), "the sync ended before it could be killed"
        background.kill()
        assert background.wait() == -9
        killed = background.result()
        assert_no_secret(killed)
        assert killed.record_counts()[ANALYTICS] >= 300
        scenario.warehouse.load(killed.records(ANALYTICS), today)
        assert scenario.warehouse.missing(today), "the kill came before the end of the sync"
        state = last_states(killed.messages)  # what the platform saved before the process died
        observe(f"killed on {today}", records_before=killed.record_counts()[ANALYTICS], states=len(state))
        assert state, "no STATE before the kill"
    scenario.sandbox.config.latency_ms = 0
    resumed = scenario.runner.read(slow_config(scenario, LATER), scenario.catalog, state=state)
    assert_survived(resumed)
    observe("resumed", records=len(resumed.records(ANALYTICS)))
    scenario.warehouse.load(resumed.records(ANALYTICS), LATER)
    assert scenario.warehouse.missing(LATER) == []


def test_given_the_sandbox_restarted_mid_sync_when_syncing_then_the_sync_completes_or_the_next_one_fills_every_gap(
    slow_scenario: Scenario,
) -> None:
    scenario = slow_scenario
    state: list[dict[str, Any]] | None = None
    for today in (TODAY, LATER):
        scenario.sandbox.set_today(today)
        config = slow_config(scenario, today)
        scenario.sandbox.reset_stats()
        background = BackgroundRead(scenario.runner, config, scenario.catalog, state=state)
        assert background.wait_until(lambda _: answered_data_series(scenario.sandbox) >= 2, 120), "ended too soon"
        # Stop it and start a new one on the same port, same seed and today, a second later.
        settings = replace(scenario.sandbox.config, port=scenario.sandbox.port)
        scenario.sandbox.stop()
        time.sleep(1)
        scenario.sandbox = Sandbox(settings).start()
        scenario.sandbox.set_today(today)
        background.wait(timeout=300)
        run = background.result()
        assert_no_secret(run)
        scenario.warehouse.load(run.records(ANALYTICS), today)
        state = run.state_messages()
        observe(f"restart on {today}", exit=run.returncode, records=len(run.records(ANALYTICS)))
        if run.returncode != 0:
            assert_failed_clearly(run)
            run = scenario.runner.read(config, scenario.catalog, state=state)
            assert_survived(run)
            scenario.warehouse.load(run.records(ANALYTICS), today)
            state = run.state_messages()
        assert scenario.warehouse.missing(today) == []


def data_series_windows(sandbox: Sandbox) -> Counter[tuple[str, str, str]]:
    """(campaign_id, ending_at, length) of each data_series request the sandbox answered."""
    return Counter(
        (entry["query"]["campaign_id"], entry["query"]["ending_at"], entry["query"]["length"])
        for entry in sandbox.request_log()
        if entry["path"] == DATA_SERIES and entry.get("status") == 200
    )


def test_given_a_sync_killed_at_any_point_when_resumed_from_its_last_state_then_it_redoes_at_most_the_work_since_the_last_checkpoint(  # noqa: E501
    runner: GuardedRunner, catalog: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checkpoint interval is 30 s in a sync (a unit test holds it under 60 s); here 1 s, so that a
    # sync of a few seconds has several checkpoints to be killed between.
    interval = 1.0
    monkeypatch.setenv("SOURCE_BRAZE_STATE_INTERVAL_S", str(interval))
    workers, windows_per_campaign = 2, 3
    sandbox = start_sandbox(campaigns=60, days=400, api_key=SECRET_KEY)
    try:
        sandbox.config.latency_ms = 100
        first = TODAY - timedelta(days=299)
        scenario = Scenario(sandbox, runner, catalog, Warehouse(sandbox.data, sandbox.data.campaign_ids(), first))
        started = time.monotonic()
        background = BackgroundRead(runner, scenario.config(TODAY, num_workers=workers), catalog)
        assert background.wait_until(lambda seen: Counter(m["type"] for m in seen)["STATE"] >= 4, 120), "ended early"
        background.kill()
        elapsed = time.monotonic() - started
        assert background.wait() == -9
        killed = background.result()
        before = data_series_windows(sandbox)
        assert sum(before.values()) < 60 * windows_per_campaign, "the kill came after the last window"
        sandbox.reset_stats()
        sandbox.config.latency_ms = 0
        resumed = runner.read(scenario.config(TODAY, num_workers=workers), catalog, state=last_states(killed.messages))
        assert_survived(resumed)
        scenario.warehouse.load(killed.records(ANALYTICS), TODAY)
        scenario.warehouse.load(resumed.records(ANALYTICS), TODAY)
        assert scenario.warehouse.missing(TODAY) == []
        redone = sum((before & data_series_windows(sandbox)).values())
        # What a checkpoint cannot cover: the windows answered in the last interval (and a second of
        # slack), and the windows of the campaigns being read, which are saved when all of them are.
        per_second = sum(before.values()) / elapsed
        allowed = per_second * (interval + 1.0) + workers * windows_per_campaign
        observe("killed and resumed", answered=sum(before.values()), redone=redone, allowed=round(allowed, 1))
        assert redone <= allowed, f"{redone} windows read again after the kill, at most {allowed:.0f} allowed"
    finally:
        sandbox.stop()

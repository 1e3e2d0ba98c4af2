"""The installed console script, run as a subprocess against the Braze sandbox, as Airbyte runs it.

Every config pins end_date to the sandbox's today, so results do not depend on the real date.
Expected records come from the sandbox's `BrazeData`; expected requests from its request log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from braze_sandbox import BrazeData, Sandbox
from integration_tests.harness import (
    ALL_STREAMS,
    ANALYTICS_STREAMS,
    TODAY,
    ConnectorRun,
    ConnectorRunner,
    Window,
    by_campaign_day,
    configured_catalog,
    connector_config,
    coverage,
    data_series_windows,
    days_between,
    duplicates,
    expected_analytics,
    expected_variations,
    start_sandbox,
    variation_entries,
    without_order,
)

HERE = Path(__file__).resolve().parent
LOOKBACK_DAYS = 30
# A Braze data_series request covers 1 to 100 days.
MAX_LENGTH = 100


def kinds(data: BrazeData, campaign_id: str) -> list[str]:
    """The sandbox kinds that explain a campaign's behaviour, for failure messages."""
    telling = {"ongoing", "stopped", "never_sent", "draft", "archived", "mid_range"}
    return sorted(data.spec(campaign_id).kinds & telling)


# ------------------------------------------------------------------------------ spec
def test_given_no_config_when_spec_then_it_is_a_json_schema_requiring_url_and_a_secret_api_key(
    spec_run: ConnectorRun,
) -> None:
    assert spec_run.returncode == 0, spec_run.describe()
    schema = spec_run.spec["connectionSpecification"]
    jsonschema.Draft7Validator.check_schema(schema)
    assert {"url", "api_key"} <= set(schema["required"])
    assert schema["properties"]["api_key"].get("airbyte_secret") is True
    assert not spec_run.unparsed, "stdout must hold Airbyte messages only"


def test_given_the_sample_config_when_validated_against_the_spec_then_it_is_accepted(spec_run: ConnectorRun) -> None:
    sample = json.loads((HERE / "sample_config.json").read_text())
    jsonschema.validate(sample, spec_run.spec["connectionSpecification"])


# ------------------------------------------------------------------------------ check
def test_given_a_valid_key_when_check_then_it_succeeds(runner: ConnectorRunner, config: dict[str, Any]) -> None:
    run = runner.run("check", config=config)
    assert run.connection_status["status"] == "SUCCEEDED", run.connection_status
    assert run.returncode == 0, run.describe()


def test_given_a_wrong_key_when_check_then_it_fails_saying_the_key_or_instance_is_wrong(
    runner: ConnectorRunner, config: dict[str, Any]
) -> None:
    wrong_key = "0c1d-not-this-instance-key"
    run = runner.run("check", config={**config, "api_key": wrong_key})
    status = run.connection_status
    assert status["status"] == "FAILED"
    message = status["message"]
    assert "401" in message and "api_key" in message and "invalid" in message and "instance" in message, message
    assert wrong_key not in run.stdout + run.stderr, "the key must never be printed"


# ------------------------------------------------------------------------------ discover
def test_given_a_working_directory_with_a_decoy_manifest_when_run_then_the_packaged_manifest_is_used(
    runner: ConnectorRunner, config: dict[str, Any], tmp_path: Path
) -> None:
    decoy_dir = tmp_path / "decoy"
    decoy_dir.mkdir()
    (decoy_dir / "manifest.yaml").write_text(DECOY_MANIFEST)
    discover = runner.run("discover", config=config, cwd=decoy_dir)
    spec = runner.run("spec", cwd=decoy_dir)
    assert discover.returncode == 0, discover.describe()
    assert sorted(discover.streams()) == sorted(ALL_STREAMS)
    assert "api_key" in spec.spec["connectionSpecification"]["properties"]
    assert "decoy" not in discover.stdout + spec.stdout


DECOY_MANIFEST = """\
version: 7.39.1
type: DeclarativeSource
check:
  type: CheckStream
  stream_names: [decoy_stream]
streams:
  - type: DeclarativeStream
    name: decoy_stream
    primary_key: []
    retriever:
      type: SimpleRetriever
      requester:
        type: HttpRequester
        url_base: http://127.0.0.1:9
        path: /decoy
        http_method: GET
      record_selector:
        type: RecordSelector
        extractor:
          type: DpathExtractor
          field_path: []
    schema_loader:
      type: InlineSchemaLoader
      schema: {type: object, properties: {}}
spec:
  type: Spec
  connection_specification:
    type: object
    title: decoy spec
    required: [decoy_field]
    properties:
      decoy_field: {type: string}
"""


# ------------------------------------------------------------------------------ full read
FULL_READ_START = TODAY - timedelta(days=250)


@dataclass
class FullRead:
    data: BrazeData
    today: date
    run: ConnectorRun
    windows: dict[str, list[Window]]
    discovered: dict[str, Any]


@pytest.fixture(scope="module")
def full_read(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullRead]:
    """One read of every stream (include_archived left to its default) from FULL_READ_START."""
    sandbox = start_sandbox()
    try:
        runner = ConnectorRunner(tmp_path_factory.mktemp("full-read"))
        config = connector_config(sandbox, FULL_READ_START)
        discovered = runner.run("discover", config=config).catalog
        sandbox.reset_stats()
        run = runner.read(config, configured_catalog(discovered))
        yield FullRead(sandbox.data, sandbox.today, run, data_series_windows(sandbox.request_log()), discovered)
    finally:
        sandbox.stop()


def test_given_a_full_read_then_it_ends_without_errors(full_read: FullRead) -> None:
    run = full_read.run
    assert run.returncode == 0 and not run.errors, run.describe()
    assert not run.unparsed, "stdout must hold Airbyte messages only"


def test_given_a_full_read_then_campaigns_and_details_cover_every_campaign_archived_included(
    full_read: FullRead,
) -> None:
    every_campaign = {entry["id"] for entry in full_read.data.campaigns(include_archived=True)}
    assert full_read.data.campaign_ids(kind="archived"), "the sandbox must have archived campaigns"
    assert {record["id"] for record in full_read.run.records("campaigns")} == every_campaign
    details = full_read.run.records("campaigns_details")
    assert {record["campaign_id"] for record in details} == every_campaign
    for record in details:
        expected = full_read.data.details(record["campaign_id"], full_read.today)
        # The CDK leaves out null-valued fields (first_sent of a campaign never sent): absent is null.
        assert {name: record.get(name) for name in expected} == expected


def test_given_a_full_read_then_every_campaign_day_is_one_record_equal_to_the_sandbox_day(full_read: FullRead) -> None:
    data = full_read.data
    expected = expected_analytics(data, data.campaign_ids(), FULL_READ_START, full_read.today, full_read.today)
    emitted = by_campaign_day(full_read.run.records("campaigns_analytics"))
    missing = sorted(set(expected) - set(emitted))
    extra = sorted(set(emitted) - set(expected))
    duplicated = sorted(key for key, records in emitted.items() if len(records) > 1)
    assert not missing, f"{len(missing)} campaign days missing, e.g. {missing[:5]}"
    assert not extra, f"{len(extra)} campaign days the sandbox does not have, e.g. {extra[:5]}"
    assert not duplicated, f"{len(duplicated)} campaign days emitted twice, e.g. {duplicated[:5]}"
    differing = [key for key, records in emitted.items() if records[0] != expected[key]]
    assert not differing, f"{len(differing)} records differ from the sandbox, e.g. {differing[:3]}"


def test_given_a_full_read_then_every_channel_entry_is_one_variation_row_with_a_unique_key(
    full_read: FullRead,
) -> None:
    data = full_read.data
    days = expected_analytics(data, data.campaign_ids(), FULL_READ_START, full_read.today, full_read.today)
    expected = expected_variations(days.values())
    rows = full_read.run.records("campaigns_analytics_variations")
    assert not duplicates(rows, ("campaign_id", "time", "channel", "variation_key"))
    emitted = variation_entries(rows)
    assert sorted(emitted) == sorted(expected), "a (campaign, day, channel) is missing or extra"
    differing = [key for key in expected if without_order(emitted[key]) != without_order(expected[key])]
    assert not differing, f"{len(differing)} channel lists differ from the sandbox, e.g. {differing[:3]}"


def test_given_a_full_read_then_control_groups_are_rows_of_their_own(full_read: FullRead) -> None:
    data = full_read.data
    rows = full_read.run.records("campaigns_analytics_variations")
    control_keys = {
        (row["campaign_id"], row["channel"])
        for row in rows
        if row.get("variation_name") == "Control Group"
        or row.get("variation_api_id") in data.spec(row["campaign_id"]).control_ids.values()
    }
    expected = {
        (campaign_id, channel)
        for campaign_id in data.campaign_ids(kind="control_group")
        if data.expected_days(campaign_id, FULL_READ_START, full_read.today, full_read.today)
        for channel in data.spec(campaign_id).control_ids
    }
    assert expected, "the sandbox must have control groups in the read range"
    assert control_keys == expected


def test_given_a_full_read_then_every_record_matches_its_discovered_schema(full_read: FullRead) -> None:
    for stream in full_read.discovered["streams"]:
        validator = jsonschema.Draft7Validator(stream["json_schema"])
        records = full_read.run.records(stream["name"])
        assert records, f"no {stream['name']} records"
        invalid = [(record, error.message) for record in records for error in validator.iter_errors(record)]
        assert not invalid, f"{stream['name']}: {len(invalid)} schema errors, e.g. {invalid[0][1]}"


def test_given_a_full_read_then_each_campaign_requests_windows_of_1_to_100_days_covering_each_day_once(
    full_read: FullRead,
) -> None:
    every_day = set(days_between(FULL_READ_START, full_read.today))
    assert sorted(full_read.windows) == sorted(full_read.data.campaign_ids())
    for campaign_id, windows in full_read.windows.items():
        assert all(1 <= window.length <= MAX_LENGTH for window in windows), windows
        requested = coverage(windows)
        assert set(requested) == every_day, f"{campaign_id}: requested days differ from [start_date, end_date]"
        assert max(requested.values()) == 1, f"{campaign_id}: a day was requested twice: {windows}"


def test_given_every_stream_read_side_by_side_when_braze_is_slow_then_at_most_num_workers_requests_are_out_and_each_once(  # noqa: E501
    tmp_path: Path,
) -> None:
    # The streams that share responses are read side by side by num_workers threads each (a thread
    # waiting for another stream's request holds none of its own): more threads must not mean more
    # requests at once, nor a request sent twice because another stream's was still out.
    sandbox = start_sandbox(campaigns=12, days=150, latency_ms=40)
    try:
        runner = ConnectorRunner(tmp_path)
        config = connector_config(sandbox, sandbox.today - timedelta(days=149), num_workers=2)
        discovered = runner.run("discover", config=config).catalog
        sandbox.reset_stats()
        run = runner.read(config, configured_catalog(discovered))
        stats, log = sandbox.stats(), sandbox.request_log()
    finally:
        sandbox.stop()
    assert run.returncode == 0 and not run.errors, run.describe()
    in_flight = stats["max_in_flight_by_endpoint"]
    assert in_flight["/campaigns/data_series"] == 2 and in_flight["/campaigns/details"] <= 2, in_flight
    sent = [
        (entry["path"], json.dumps(entry["query"], sort_keys=True))
        for entry in log
        if entry["path"] != "/campaigns/list"
    ]
    assert len(sent) == len(set(sent)) == 12 * (2 + 1), "a details or data_series request sent twice, or missing"
    daily = {(record["campaign_id"], record["time"]) for record in run.records("campaigns_analytics")}
    assert {
        (record["campaign_id"], record["time"]) for record in run.records("campaigns_analytics_variations")
    } <= daily
    assert len(run.records("campaigns_message_variations")) > 0 and len(daily) > 0


# ------------------------------------------------------------------------------ incremental
INCREMENTAL_START = TODAY - timedelta(days=119)


@dataclass
class Sync:
    today: date
    run: ConnectorRun
    windows: dict[str, list[Window]]


@dataclass
class IncrementalSyncs:
    data: BrazeData
    syncs: list[Sync]


def sync_days(
    sandbox: Sandbox,
    runner: ConnectorRunner,
    catalog: dict[str, Any],
    days: list[date],
    state: list[dict[str, Any]] | None = None,
    **config: Any,
) -> list[Sync]:
    """One sync per day in `days` (the sandbox's today and end_date moved to it), the first given
    `state`, each later one the state the previous sync emitted."""
    syncs: list[Sync] = []
    for today in days:
        sandbox.set_today(today)
        sandbox.reset_stats()
        run = runner.read(connector_config(sandbox, INCREMENTAL_START, **config), catalog, state)
        assert run.returncode == 0 and not run.errors, run.describe()
        syncs.append(Sync(today, run, data_series_windows(sandbox.request_log())))
        state = run.state_messages()
    return syncs


def analytics_by_day(run: ConnectorRun) -> dict[tuple[str, str], dict[str, Any]]:
    """campaigns_analytics records by (campaign, day), the last one if emitted twice."""
    return {(record["campaign_id"], record["time"]): record for record in run.records("campaigns_analytics")}


@pytest.fixture(scope="module")
def incremental(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncrementalSyncs]:
    """Three daily syncs, at TODAY, TODAY+1 and TODAY+2, each with the previous sync's state."""
    sandbox = start_sandbox()
    try:
        runner = ConnectorRunner(tmp_path_factory.mktemp("incremental"))
        discovered = runner.run("discover", config=connector_config(sandbox, INCREMENTAL_START)).catalog
        days = [TODAY + timedelta(days=offset) for offset in range(3)]
        yield IncrementalSyncs(sandbox.data, sync_days(sandbox, runner, configured_catalog(discovered), days))
    finally:
        sandbox.stop()


def test_given_daily_syncs_with_the_emitted_state_then_no_campaign_day_is_missing_from_their_union(
    incremental: IncrementalSyncs,
) -> None:
    data, last = incremental.data, incremental.syncs[-1].today
    days = expected_analytics(data, data.campaign_ids(), INCREMENTAL_START, last, last)
    # a zero-filled day whose channel lists are all empty has no variation, so no variation row
    with_variations = {key for key, day in days.items() if any((day.get("messages") or {}).values())}
    for stream in ANALYTICS_STREAMS:
        expected = set(days) if stream == "campaigns_analytics" else with_variations
        union = {key for sync in incremental.syncs for key in by_campaign_day(sync.run.records(stream))}
        missing = sorted(expected - union)
        assert not missing, f"{stream}: {len(missing)} campaign days never synced, e.g. {missing[:5]}"


def test_given_daily_syncs_with_the_emitted_state_then_no_sync_emits_a_day_twice(
    incremental: IncrementalSyncs,
) -> None:
    for number, sync in enumerate(incremental.syncs, start=1):
        analytics = duplicates(sync.run.records("campaigns_analytics"), ("campaign_id", "time"))
        variations = duplicates(
            sync.run.records("campaigns_analytics_variations"), ("campaign_id", "time", "channel", "variation_key")
        )
        assert not analytics, f"sync {number}: campaign days emitted twice: {list(analytics)[:5]}"
        assert not variations, f"sync {number}: variation rows emitted twice: {list(variations)[:5]}"


def test_given_daily_syncs_with_the_emitted_state_then_the_lookback_days_are_reread_with_restated_values(
    incremental: IncrementalSyncs,
) -> None:
    data = incremental.data
    for previous, sync in pairwise(incremental.syncs):
        lookback_start = previous.today - timedelta(days=LOOKBACK_DAYS)
        expected = expected_analytics(data, data.campaign_ids(), lookback_start, sync.today, sync.today)
        emitted = analytics_by_day(sync.run)
        missing = sorted(set(expected) - set(emitted))
        assert not missing, f"sync of {sync.today}: lookback days not re-read, e.g. {missing[:5]}"
        stale = [key for key in expected if emitted[key] != expected[key]]
        assert not stale, f"sync of {sync.today}: re-read days differ from the restated ones, e.g. {stale[:3]}"
        before = analytics_by_day(previous.run)
        restated = [
            key for key in expected if key in before and before[key]["conversions"] != emitted[key]["conversions"]
        ]
        assert restated, "the sandbox restates conversions: some re-read day must have changed"


def test_given_daily_syncs_with_the_emitted_state_then_days_before_the_lookback_are_not_requested_again(
    incremental: IncrementalSyncs,
) -> None:
    data = incremental.data
    for previous, sync in pairwise(incremental.syncs):
        lookback_start = previous.today - timedelta(days=LOOKBACK_DAYS)
        wanted = set(days_between(lookback_start, sync.today))
        assert sorted(sync.windows) == sorted(data.campaign_ids())
        too_early = {
            campaign_id: (kinds(data, campaign_id), [(w.first.isoformat(), w.length) for w in windows])
            for campaign_id, windows in sync.windows.items()
            if set(coverage(windows)) - wanted
        }
        assert not too_early, (
            f"sync of {sync.today}: {len(too_early)} of {len(sync.windows)} campaigns re-requested days before "
            f"{lookback_start} (the previous sync ended on {previous.today}): {too_early}"
        )
        short = {campaign_id for campaign_id, windows in sync.windows.items() if not wanted <= set(coverage(windows))}
        assert not short, f"sync of {sync.today}: the lookback or new days were not requested for {short}"


def test_given_daily_syncs_with_the_emitted_state_then_each_campaign_costs_one_data_series_request(
    incremental: IncrementalSyncs,
) -> None:
    data = incremental.data
    for sync in incremental.syncs[1:]:
        costly = {
            campaign_id: (kinds(data, campaign_id), [(w.first.isoformat(), w.length) for w in windows])
            for campaign_id, windows in sync.windows.items()
            if len(windows) != 1
        }
        assert not costly, (
            f"sync of {sync.today} (lookback {LOOKBACK_DAYS} days): {len(costly)} of {len(sync.windows)} campaigns "
            f"sent more than one data_series request: {costly}"
        )


# ------------------------------------------------------------------------------ new campaign
@dataclass
class NewCampaigns:
    data: BrazeData
    new_ids: list[str]
    syncs: list[Sync]


@pytest.fixture(scope="module")
def new_campaigns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewCampaigns]:
    """Sync 1 restricted by campaign_ids; sync 2, a day later, unrestricted with sync 1's state."""
    sandbox = start_sandbox()
    try:
        data = sandbox.data
        # Campaigns with data since before INCREMENTAL_START and still sending: a backfill shows.
        new_ids = [cid for cid in data.campaign_ids(kind="from_history_start") if "ongoing" in kinds(data, cid)][:2]
        assert len(new_ids) == 2
        old_ids = [cid for cid in data.campaign_ids() if cid not in new_ids]
        runner = ConnectorRunner(tmp_path_factory.mktemp("new-campaigns"))
        discovered = runner.run("discover", config=connector_config(sandbox, INCREMENTAL_START)).catalog
        catalog = configured_catalog(discovered)
        first = sync_days(sandbox, runner, catalog, [TODAY], campaign_ids=old_ids)
        second = sync_days(sandbox, runner, catalog, [TODAY + timedelta(days=1)], first[0].run.state_messages())
        yield NewCampaigns(data, new_ids, [*first, *second])
    finally:
        sandbox.stop()


def test_given_a_campaign_added_after_the_first_sync_when_the_next_sync_runs_then_it_is_backfilled_from_start_date(
    new_campaigns: NewCampaigns,
) -> None:
    first, second = new_campaigns.syncs
    data = new_campaigns.data
    first_ids = {record["campaign_id"] for record in first.run.records("campaigns_analytics")}
    assert not first_ids & set(new_campaigns.new_ids), "sync 1 must not read the new campaigns"
    expected = expected_analytics(data, new_campaigns.new_ids, INCREMENTAL_START, second.today, second.today)
    for stream in ANALYTICS_STREAMS:
        emitted = set(by_campaign_day(second.run.records(stream)))
        missing = sorted(set(expected) - emitted)
        assert not missing, f"{stream}: {len(missing)} days of the new campaigns not backfilled, e.g. {missing[:5]}"
    for campaign_id in new_campaigns.new_ids:
        requested = set(coverage(second.windows[campaign_id]))
        assert requested == set(days_between(INCREMENTAL_START, second.today)), campaign_id


def test_given_a_campaign_added_after_the_first_sync_when_the_next_sync_runs_then_known_campaigns_stay_incremental(
    new_campaigns: NewCampaigns,
) -> None:
    first, second = new_campaigns.syncs
    data = new_campaigns.data
    known_ongoing = [
        cid for cid in data.campaign_ids(kind="ongoing") if cid not in new_campaigns.new_ids and cid in first.windows
    ]
    assert known_ongoing
    lookback_start = first.today - timedelta(days=LOOKBACK_DAYS)
    for campaign_id in known_ongoing:
        requested = coverage(second.windows[campaign_id])
        assert min(requested) == lookback_start, (campaign_id, second.windows[campaign_id])


# ------------------------------------------------------------------------------ sample files
def test_given_the_sample_catalog_when_compared_with_discover_then_it_matches_the_streams_keys_and_cursors(
    discovered: dict[str, Any],
) -> None:
    sample = json.loads((HERE / "configured_catalog.json").read_text())
    streams = {stream["name"]: stream for stream in discovered["streams"]}
    assert sorted(configured["stream"]["name"] for configured in sample["streams"]) == sorted(streams)
    for configured in sample["streams"]:
        stream = streams[configured["stream"]["name"]]
        assert configured["sync_mode"] in stream["supported_sync_modes"]
        assert configured["primary_key"] == stream["source_defined_primary_key"]
        if configured["sync_mode"] == "incremental":
            assert configured["cursor_field"] == stream["default_cursor_field"]
            assert configured["destination_sync_mode"] == "append_dedup"


def test_given_the_sample_catalog_and_state_when_read_then_campaigns_in_the_state_resume_and_others_backfill(
    runner: ConnectorRunner, sandbox: Sandbox, config: dict[str, Any]
) -> None:
    catalog = json.loads((HERE / "configured_catalog.json").read_text())
    state = json.loads((HERE / "sample_state.json").read_text())
    run = runner.read(config, catalog, state)
    assert run.returncode == 0 and not run.errors, run.describe()
    data, today = sandbox.data, sandbox.today
    start = date.fromisoformat(config["start_date"])
    (analytics_state,) = [s for s in state if s["stream"]["stream_descriptor"]["name"] == "campaigns_analytics"]
    cursors = {
        entry["partition"]["campaign_id"]: date.fromisoformat(entry["cursor"]["time"])
        for entry in analytics_state["stream"]["stream_state"]["states"]
    }
    assert set(cursors) <= set(data.campaign_ids()), "the sample state must name sandbox campaigns (seed 1)"
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for campaign_id in data.campaign_ids():
        first = max(start, cursors[campaign_id] - timedelta(days=LOOKBACK_DAYS)) if campaign_id in cursors else start
        expected.update(expected_analytics(data, [campaign_id], first, today, today))
    assert analytics_by_day(run) == expected

"""The canvas streams, run as the installed console script against the sandbox's canvases.

Expected records come from the sandbox's `CanvasData` (its ground truth), expected requests from
its request log. Every config pins end_date to the sandbox's today and sets `replicate`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from braze_sandbox import CANVAS_MAX_LENGTH, CanvasData, Sandbox, canvas_window, parse_iso_datetime
from integration_tests.harness import (
    ALL_STREAMS,
    API_KEY,
    CANVAS_ANALYTICS,
    CANVAS_STREAMS,
    TODAY,
    ConnectorRun,
    ConnectorRunner,
    configured_catalog,
    connector_config,
    days_between,
    duplicates,
    start_sandbox,
)

CAMPAIGN_STREAMS = ALL_STREAMS
CANVAS_DATA_SERIES = "/canvas/data_series"
FIRST_SYNC_DAYS = 60
START = TODAY - timedelta(days=FIRST_SYNC_DAYS - 1)
STEP_ROW_KEYS = ("canvas_id", "time", "step_id", "step_name", "channel", "variation_key")
DAY_KEY = ("canvas_id", "time")
STEP_KEY = ("canvas_id", "time", "step_id", "channel", "variation_key")
Key = tuple[str, ...]


def canvas_catalog(discovered: Mapping[str, Any], streams: Iterable[str] = CANVAS_STREAMS) -> dict[str, Any]:
    return configured_catalog(discovered, streams)


# ------------------------------------------------------------------------------ ground truth
def expected_days(data: CanvasData, first: date, last: date, today: date) -> dict[Key, dict[str, Any]]:
    """canvases_analytics as the sandbox has it: (canvas, day) -> record."""
    expected = {}
    for canvas_id in data.canvas_ids():
        for stats in data.stats(canvas_id, first, last, today):
            record = {**stats["total_stats"], **{k: v for k, v in stats.items() if k != "total_stats"}}
            expected[(canvas_id, stats["time"])] = {**record, "canvas_id": canvas_id}
    return expected


def expected_variants(days: Iterable[Mapping[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {
        (day["canvas_id"], day["time"], variant_id): dict(stats)
        for day in days
        for variant_id, stats in day["variant_stats"].items()
    }


def expected_steps(days: Iterable[Mapping[str, Any]]) -> dict[Key, dict[str, Any]]:
    """(canvas, day, step, channel, variation_api_id) -> the entry Braze sent, with the step's name."""
    expected = {}
    for day in days:
        for step_id, step in day["step_stats"].items():
            for channel, entries in step["messages"].items():
                for entry in entries:
                    key = (day["canvas_id"], day["time"], step_id, channel, entry["variation_api_id"])
                    expected[key] = {**entry, "step_name": step["name"]}
    return expected


def by_key(records: Iterable[Mapping[str, Any]], fields: Iterable[str]) -> dict[Key, dict[str, Any]]:
    names = tuple(fields)
    return {tuple(record[name] for name in names): dict(record) for record in records}


def windows_by_canvas(request_log: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[date, date]]]:
    """canvas_id -> the (first, last) days of its data_series requests, read as the sandbox reads them."""
    windows: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for entry in request_log:
        if entry["path"] == CANVAS_DATA_SERIES:
            query = entry["query"]
            window = canvas_window(int(query["length"]), None, parse_iso_datetime(query["ending_at"]))
            windows[query["canvas_id"]].append(window)
    return dict(windows)


# ------------------------------------------------------------------------------ first sync
@dataclass
class Syncs:
    sandbox: Sandbox
    runner: ConnectorRunner
    config: dict[str, Any]
    discovered: dict[str, Any]
    first: ConnectorRun
    first_windows: dict[str, list[tuple[date, date]]]
    first_requests: dict[str, int]


@pytest.fixture(scope="module")
def syncs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Syncs]:
    sandbox = start_sandbox(campaigns=4, days=150, canvases=9)
    try:
        runner = ConnectorRunner(tmp_path_factory.mktemp("canvas-syncs"))
        config = connector_config(sandbox, START, replicate="canvases")
        discovered = runner.run("discover", config=config).catalog
        sandbox.reset_stats()
        first = runner.read(config, canvas_catalog(discovered))
        log = sandbox.request_log()
        yield Syncs(sandbox, runner, config, discovered, first, windows_by_canvas(log), sandbox.stats()["requests"])
    finally:
        sandbox.stop()


def test_given_replicate_canvases_when_discover_then_only_the_canvas_streams_are_listed(syncs: Syncs) -> None:
    streams = {stream["name"]: stream for stream in syncs.discovered["streams"]}
    assert sorted(streams) == sorted(CANVAS_STREAMS)
    assert streams["canvases_analytics_steps"]["source_defined_primary_key"] == [
        ["canvas_id"],
        ["time"],
        ["step_id"],
        ["channel"],
        ["variation_key"],
    ]
    for name in CANVAS_ANALYTICS:
        assert streams[name]["default_cursor_field"] == ["time"]


def test_given_a_first_canvas_sync_then_it_ends_without_errors_and_asks_no_campaign_endpoint(syncs: Syncs) -> None:
    assert syncs.first.returncode == 0 and not syncs.first.errors, syncs.first.describe()
    assert not any(count for path, count in syncs.first_requests.items() if path.startswith("/campaigns/"))


def test_given_a_first_canvas_sync_then_canvases_and_details_cover_every_canvas_archived_included(
    syncs: Syncs,
) -> None:
    data = syncs.sandbox.canvas
    assert data.canvas_ids(kind="archived")
    assert {record["id"] for record in syncs.first.records("canvases")} == set(data.canvas_ids())
    for record in syncs.first.records("canvases_details"):
        expected = data.details(record["canvas_id"], syncs.sandbox.today)
        assert {name: record.get(name) for name in expected} == expected


def test_given_a_first_canvas_sync_then_every_canvas_day_is_one_record_equal_to_the_sandbox(syncs: Syncs) -> None:
    expected = expected_days(syncs.sandbox.canvas, START, TODAY, TODAY)
    records = syncs.first.records("canvases_analytics")
    assert not duplicates(records, ("canvas_id", "time"))
    emitted = by_key(records, ("canvas_id", "time"))
    assert sorted(emitted) == sorted(expected), "a (canvas, day) is missing or extra"
    differing = [key for key in expected if emitted[key] != expected[key]]
    assert not differing, f"{len(differing)} canvas days differ from the sandbox, e.g. {differing[:3]}"


def test_given_a_first_canvas_sync_then_every_variant_and_step_message_is_one_row_equal_to_the_sandbox(
    syncs: Syncs,
) -> None:
    days = expected_days(syncs.sandbox.canvas, START, TODAY, TODAY).values()
    variants = syncs.first.records("canvases_analytics_variants")
    assert not duplicates(variants, ("canvas_id", "time", "variant_id"))
    added = ("canvas_id", "time", "variant_id", "variant_name")
    emitted_variants = {
        key: {"name": row["variant_name"], **{k: v for k, v in row.items() if k not in added}}
        for key, row in by_key(variants, ("canvas_id", "time", "variant_id")).items()
    }
    assert emitted_variants == expected_variants(days)
    steps = syncs.first.records("canvases_analytics_steps")
    assert not duplicates(steps, STEP_KEY)
    emitted_steps = {
        key: {k: v for k, v in row.items() if k not in STEP_ROW_KEYS or k == "step_name"}
        for key, row in by_key(steps, ("canvas_id", "time", "step_id", "channel", "variation_api_id")).items()
    }
    expected = expected_steps(days)
    assert len(steps) == len(expected)
    assert emitted_steps == expected


def test_given_a_first_canvas_sync_then_deleted_steps_and_steps_of_several_channels_are_in_the_steps_table(
    syncs: Syncs,
) -> None:
    data = syncs.sandbox.canvas
    rows = syncs.first.records("canvases_analytics_steps")
    deleted = {step.id for spec in data.specs() for step in spec.steps if step.deleted}
    assert deleted and deleted <= {row["step_id"] for row in rows}
    channels_by_step = defaultdict(set)
    for row in rows:
        channels_by_step[row["step_id"]].add(row["channel"])
    assert max(len(channels) for channels in channels_by_step.values()) >= 2


def test_given_a_first_canvas_sync_then_every_record_matches_its_discovered_schema(syncs: Syncs) -> None:
    for stream in syncs.discovered["streams"]:
        validator = jsonschema.Draft7Validator(stream["json_schema"])
        records = syncs.first.records(stream["name"])
        assert records, f"no {stream['name']} records"
        invalid = [error.message for record in records for error in validator.iter_errors(record)]
        assert not invalid, f"{stream['name']}: {len(invalid)} schema errors, e.g. {invalid[0]}"


def test_given_a_first_canvas_sync_then_each_canvas_asks_ceil_days_over_14_windows_covering_each_day_once(
    syncs: Syncs,
) -> None:
    every_day = set(days_between(START, TODAY))
    assert sorted(syncs.first_windows) == sorted(syncs.sandbox.canvas.canvas_ids())
    for canvas_id, windows in syncs.first_windows.items():
        # The three analytics streams were all selected: each window reached Braze once.
        assert len(windows) == -(-FIRST_SYNC_DAYS // CANVAS_MAX_LENGTH), f"{canvas_id}: {windows}"
        requested = Counter(day for first, last in windows for day in days_between(first, last))
        assert set(requested) == every_day and max(requested.values()) == 1, f"{canvas_id}: {windows}"


def test_given_days_restated_after_a_sync_when_synced_again_with_its_state_then_nothing_is_stale(
    syncs: Syncs,
) -> None:
    later = TODAY + timedelta(days=3)
    syncs.sandbox.set_today(later)
    config = {**syncs.config, "end_date": later.isoformat()}
    state = syncs.first.state_messages()
    second = syncs.runner.read(config, canvas_catalog(syncs.discovered), state=state)
    syncs.sandbox.set_today(TODAY)
    assert second.returncode == 0 and not second.errors, second.describe()
    data = syncs.sandbox.canvas
    expected = expected_days(data, START, later, later)
    # A destination's append_dedup: the later record of a key wins.
    first_days = by_key(syncs.first.records("canvases_analytics"), DAY_KEY)
    merged = {**first_days, **by_key(second.records("canvases_analytics"), DAY_KEY)}
    assert sorted(merged) == sorted(expected)
    stale = [key for key in expected if merged[key] != expected[key]]
    assert not stale, f"{len(stale)} canvas days left stale, e.g. {stale[:3]}"
    restated = [key for key, record in first_days.items() if record != expected[key]]
    assert restated, "the sandbox must have restated some days for this test to mean anything"
    rows = {**by_key(syncs.first.records("canvases_analytics_steps"), STEP_KEY)}
    rows.update(by_key(second.records("canvases_analytics_steps"), STEP_KEY))
    emitted = {key[:4] + (row["variation_api_id"],): row for key, row in rows.items()}
    expected_rows = expected_steps(expected.values())
    assert sorted(emitted) == sorted(expected_rows)
    stale_rows = [key for key, entry in expected_rows.items() if {n: emitted[key][n] for n in entry} != entry]
    assert not stale_rows, f"{len(stale_rows)} step rows left stale, e.g. {stale_rows[:3]}"


# ------------------------------------------------------------------------------ permission families
@pytest.fixture(scope="module")
def braze() -> Iterator[Sandbox]:
    sandbox = start_sandbox(campaigns=3, days=30, canvases=3)
    yield sandbox
    sandbox.stop()


def _check(runner: ConnectorRunner, braze: Sandbox, replicate: str | None, key: str) -> dict[str, Any]:
    config = connector_config(braze, braze.today - timedelta(days=9), api_key=key)
    if replicate is not None:
        config["replicate"] = replicate
    run = runner.run("check", config=config)
    assert key not in run.stdout + run.stderr, "the key must never be printed"
    return run.connection_status


@pytest.mark.parametrize(
    ("replicate", "key_suffix"),
    [(None, "-campaigns-only"), ("campaigns", "-campaigns-only"), ("canvases", "-canvas-only"), ("both", "")],
)
def test_given_a_key_with_the_permissions_of_the_chosen_families_when_check_then_it_succeeds(
    tmp_path: Path, braze: Sandbox, replicate: str | None, key_suffix: str
) -> None:
    status = _check(ConnectorRunner(tmp_path), braze, replicate, API_KEY + key_suffix)
    assert status["status"] == "SUCCEEDED", status


@pytest.mark.parametrize(
    ("replicate", "key_suffix", "permission", "endpoint"),
    [
        ("canvases", "-campaigns-only", "canvas.list", "/canvas/list"),
        ("both", "-campaigns-only", "canvas.list", "/canvas/list"),
        ("both", "-canvas-only", "campaigns.list", "/campaigns/list"),
        ("canvases", "-no-canvas-details", "canvas.details", "/canvas/details"),
        ("both", "-no-canvas-data-series", "canvas.data_series", "/canvas/data_series"),
    ],
)
def test_given_a_key_lacking_a_permission_of_a_chosen_family_when_check_then_it_fails_naming_it(
    tmp_path: Path, braze: Sandbox, replicate: str, key_suffix: str, permission: str, endpoint: str
) -> None:
    status = _check(ConnectorRunner(tmp_path), braze, replicate, API_KEY + key_suffix)
    assert status["status"] == "FAILED"
    assert f"`{permission}`" in status["message"] and endpoint in status["message"], status["message"]
    if permission.startswith("canvas."):
        assert "`replicate`" in status["message"], status["message"]


@pytest.mark.parametrize(
    ("replicate", "streams"),
    [(None, CAMPAIGN_STREAMS), ("campaigns", CAMPAIGN_STREAMS), ("both", CAMPAIGN_STREAMS + CANVAS_STREAMS)],
)
def test_given_a_replicate_choice_when_discover_then_its_families_streams_are_listed(
    tmp_path: Path, braze: Sandbox, replicate: str | None, streams: tuple[str, ...]
) -> None:
    config = connector_config(braze, braze.today - timedelta(days=9))
    if replicate is not None:
        config["replicate"] = replicate
    run = ConnectorRunner(tmp_path).run("discover", config=config)
    assert sorted(stream["name"] for stream in run.catalog["streams"]) == sorted(streams)


def test_given_the_details_and_both_canvas_dimensions_when_read_then_details_are_asked_once_per_canvas(
    syncs: Syncs,
) -> None:
    canvas_ids = syncs.sandbox.canvas.canvas_ids()
    assert syncs.first_requests["/canvas/details"] == len(canvas_ids)
    assert len(syncs.first.records("canvases_details")) == len(canvas_ids)


def test_given_a_first_sync_then_the_canvas_dimensions_equal_the_sandbox_details(syncs: Syncs) -> None:
    today = syncs.sandbox.today
    variants, messages = set(), set()
    for canvas_id in syncs.sandbox.canvas.canvas_ids():
        details = syncs.sandbox.canvas.details(canvas_id, today)
        variants |= {(canvas_id, variant["id"], variant["name"]) for variant in details["variants"]}
        messages |= {
            (canvas_id, step["id"], variation_id, message.get("channel"))
            for step in details["steps"]
            for variation_id, message in (step.get("messages") or {}).items()
        }
    got_variants = [(r["canvas_id"], r["variant_id"], r["name"]) for r in syncs.first.records("canvases_variants")]
    got_messages = [
        (r["canvas_id"], r["step_id"], r["variation_api_id"], r["channel"])
        for r in syncs.first.records("canvases_message_variations")
    ]
    assert variants and messages
    assert sorted(got_variants) == sorted(variants)
    assert sorted(got_messages) == sorted(messages)


# ------------------------------------------------------------------------------ selections
def test_given_only_the_steps_stream_selected_when_read_then_its_rows_equal_the_sandbox_without_a_cache(
    tmp_path: Path,
) -> None:
    sandbox = start_sandbox(campaigns=2, days=60, canvases=5)
    try:
        runner = ConnectorRunner(tmp_path)
        config = connector_config(sandbox, TODAY - timedelta(days=29), replicate="canvases")
        discovered = runner.run("discover", config=config).catalog
        sandbox.reset_stats()
        run = runner.read(config, canvas_catalog(discovered, ["canvases_analytics_steps"]))
        windows = windows_by_canvas(sandbox.request_log())
        data = sandbox.canvas
    finally:
        sandbox.stop()
    assert run.returncode == 0 and not run.errors, run.describe()
    days = expected_days(data, TODAY - timedelta(days=29), TODAY, TODAY).values()
    rows = by_key(
        run.records("canvases_analytics_steps"), ("canvas_id", "time", "step_id", "channel", "variation_api_id")
    )
    assert sorted(rows) == sorted(expected_steps(days))
    assert {len(canvas_windows) for canvas_windows in windows.values()} == {-(-30 // CANVAS_MAX_LENGTH)}


def test_given_replicate_both_when_read_then_both_families_are_read_each_window_once(tmp_path: Path) -> None:
    sandbox = start_sandbox(campaigns=4, days=60, canvases=4)
    start = TODAY - timedelta(days=29)
    try:
        runner = ConnectorRunner(tmp_path)
        config = connector_config(sandbox, start, replicate="both")
        discovered = runner.run("discover", config=config).catalog
        sandbox.reset_stats()
        catalog = canvas_catalog(discovered)
        by_name = {stream["name"]: stream for stream in discovered["streams"]}
        for name in ("campaigns_analytics", "campaigns_analytics_variations"):
            catalog["streams"].append(
                {
                    "stream": by_name[name],
                    "sync_mode": "incremental",
                    "destination_sync_mode": "append_dedup",
                    "cursor_field": ["time"],
                    "primary_key": by_name[name]["source_defined_primary_key"],
                }
            )
        run = runner.read(config, catalog)
        log = sandbox.request_log()
        data = sandbox.canvas
        campaign_ids = sandbox.data.campaign_ids()
    finally:
        sandbox.stop()
    assert run.returncode == 0 and not run.errors, run.describe()
    assert sorted(by_key(run.records("canvases_analytics"), DAY_KEY)) == sorted(
        expected_days(data, start, TODAY, TODAY)
    )
    canvas_windows = windows_by_canvas(log)
    assert {len(windows) for windows in canvas_windows.values()} == {-(-30 // CANVAS_MAX_LENGTH)}
    campaign_requests = Counter(e["query"]["campaign_id"] for e in log if e["path"] == "/campaigns/data_series")
    assert sorted(campaign_requests) == sorted(campaign_ids) and set(campaign_requests.values()) == {1}


def test_given_server_errors_and_truncated_bodies_on_canvas_data_series_when_read_then_nothing_is_lost(
    tmp_path: Path,
) -> None:
    sandbox = start_sandbox(campaigns=2, days=40, canvases=4)
    start = TODAY - timedelta(days=20)
    try:
        runner = ConnectorRunner(tmp_path)
        config = connector_config(sandbox, start, replicate="canvases")
        discovered = runner.run("discover", config=config).catalog
        sandbox.add_fault(path=CANVAS_DATA_SERIES, kind="503", count=1)
        sandbox.add_fault(path=CANVAS_DATA_SERIES, kind="truncated", count=1)
        sandbox.add_fault(path="/canvas/details", kind="500", count=1)
        run = runner.read(config, canvas_catalog(discovered))
        statuses = Counter(entry["status"] for entry in sandbox.request_log() if entry["path"].startswith("/canvas/"))
        data = sandbox.canvas
    finally:
        sandbox.stop()
    assert run.returncode == 0 and not run.errors, run.describe()
    assert statuses[503] == 1 and statuses[500] == 1
    assert by_key(run.records("canvases_analytics"), DAY_KEY) == expected_days(data, start, TODAY, TODAY)
    assert len(run.records("canvases_details")) == len(data.canvas_ids())

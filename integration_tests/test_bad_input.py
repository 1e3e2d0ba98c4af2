"""Bad input refused clearly: wrong config values and malformed or stale state.

A wrong config value must make `check` answer FAILED with a message naming the field, and `read`
exit non-zero with a config_error trace naming it, before any request reaches Braze. A malformed
state is migrated, ignored with a warning, or refused with a config_error that says it is the
state; never a crash (a system_error whose only explanation is a traceback) and never a silent gap,
which is proved against the sandbox's ground truth wherever the state says what was synced.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from braze_sandbox import Sandbox
from integration_tests.faultkit import ANALYTICS, SECRET_KEY, GuardedRunner, Warehouse
from integration_tests.harness import TODAY, ConnectorRun, configured_catalog, connector_config

FIRST = TODAY - timedelta(days=59)
LATER = TODAY + timedelta(days=3)
Config = dict[str, Any]


@pytest.fixture
def catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    return configured_catalog(discovered, [ANALYTICS])


@pytest.fixture
def braze(secret_braze: Sandbox) -> Sandbox:
    """The module's sandbox with fresh request counts and its today back to TODAY."""
    secret_braze.reset_stats()
    secret_braze.set_today(TODAY)
    return secret_braze


def good_config(sandbox: Sandbox, **overrides: Any) -> Config:
    return connector_config(sandbox, FIRST, api_key=SECRET_KEY, **overrides)


def without(name: str) -> Callable[[Config], Config]:
    return lambda config: {key: value for key, value in config.items() if key != name}


def setting(**values: Any) -> Callable[[Config], Config]:
    return lambda config: {**config, **values}


# (case, how to spoil a good config, the field the message must name)
BAD_CONFIGS: list[tuple[str, Callable[[Config], Config], str]] = [
    ("missing url", without("url"), "url"),
    ("missing api_key", without("api_key"), "api_key"),
    ("empty api_key", setting(api_key=""), "api_key"),
    ("url not a string", setting(url=123), "url"),
    ("api_key not a string", setting(api_key=123456), "api_key"),
    ("start_date not a string", setting(start_date=20260101), "start_date"),
    ("start_date month 13", setting(start_date="2026-13-01"), "start_date"),
    ("end_date February 30", setting(end_date="2026-02-30"), "end_date"),
    ("start_date a word", setting(start_date="yesterday"), "start_date"),
    ("start_date after end_date", setting(start_date="2026-06-20", end_date="2026-06-10"), "start_date"),
    ("lookback 101", setting(lookback_window_days=101), "lookback_window_days"),
    ("lookback -1", setting(lookback_window_days=-1), "lookback_window_days"),
    ("lookback a string", setting(lookback_window_days="30"), "lookback_window_days"),
    ("include_archived a string", setting(include_archived="yes"), "include_archived"),
    ("campaign_ids a string", setting(campaign_ids="abc"), "campaign_ids"),
    ("num_workers 0", setting(num_workers=0), "num_workers"),
    ("num_workers 33", setting(num_workers=33), "num_workers"),
    ("a non-Braze https url", setting(url="https://example.com"), "url"),
    ("Braze over http", setting(url="http://rest.iad-01.braze.com"), "url"),
    ("a Braze-looking prefix of another host", setting(url="https://rest.iad-01.braze.com.evil.example"), "url"),
    ("a url without scheme", setting(url="rest.iad-01.braze.com"), "url"),
]


def check_and_read(runner: GuardedRunner, config: Any, catalog: dict[str, Any]) -> tuple[ConnectorRun, ConnectorRun]:
    """`check` and `read` of the same config, side by side (each is mostly interpreter start-up)."""
    with ThreadPoolExecutor(2) as pool:
        check = pool.submit(runner.run, "check", config=config)
        read = pool.submit(runner.read, config, catalog)
        return check.result(), read.result()


def assert_config_error_trace(run: ConnectorRun, *words: str) -> None:
    assert run.returncode != 0, run.describe()
    errors = run.errors
    assert errors, f"no error trace, only: {run.describe()}"
    assert all(error["failure_type"] == "config_error" for error in errors), errors
    assert all(word in errors[0]["message"] for word in words), errors[0]["message"]


@pytest.mark.parametrize("case, spoil, field", BAD_CONFIGS, ids=[case for case, _, _ in BAD_CONFIGS])
def test_given_a_wrong_config_value_when_checking_and_reading_then_both_refuse_it_naming_the_field(
    case: str,
    spoil: Callable[[Config], Config],
    field: str,
    braze: Sandbox,
    runner: GuardedRunner,
    catalog: dict[str, Any],
) -> None:
    check, read = check_and_read(runner, spoil(good_config(braze)), catalog)

    assert check.connection_status["status"] == "FAILED", check.describe()
    assert f"`{field}`" in check.connection_status["message"]
    assert_config_error_trace(read, f"`{field}`")
    assert sum(braze.stats()["requests"].values()) == 0, "a request reached Braze before the config was checked"


def test_given_a_config_that_is_not_an_object_when_checking_and_reading_then_both_refuse_it_with_a_config_error(
    runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    for run in check_and_read(runner, ["url", "api_key"], catalog):
        assert_config_error_trace(run, "config")


# ---------------------------------------------------------------------------------- state
def stream_state(value: Any) -> list[dict[str, Any]]:
    """A state file holding `value` as campaigns_analytics's stream_state."""
    return [{"type": "STREAM", "stream": {"stream_descriptor": {"name": ANALYTICS}, "stream_state": value}}]


def per_campaign(cursors: dict[str, Any]) -> dict[str, Any]:
    states = [
        {"partition": {"campaign_id": campaign_id, "parent_slice": {}}, "cursor": {"time": day}}
        for campaign_id, day in cursors.items()
    ]
    return {"use_global_cursor": False, "states": states}


def analytics_state(run: ConnectorRun) -> dict[str, Any]:
    state = run.final_state(ANALYTICS)
    assert state is not None, run.describe()
    return state


def sync(
    runner: GuardedRunner, sandbox: Sandbox, catalog: dict[str, Any], today: date, state: Any = None, **settings: Any
) -> ConnectorRun:
    sandbox.set_today(today)
    config = good_config(sandbox, **{"end_date": today.isoformat(), "lookback_window_days": 0, **settings})
    return runner.read(config, catalog, state=state)


def assert_completed(run: ConnectorRun) -> None:
    assert run.returncode == 0 and not run.errors, run.describe()


def warnings(run: ConnectorRun) -> list[str]:
    return [log["message"] for log in run.logs if log["level"] == "WARN"]


@pytest.mark.parametrize(
    "shared_state",
    [
        pytest.param(lambda day: {"time": day}, id="the single-cursor format of 0.1"),
        pytest.param(
            lambda day: {"use_global_cursor": True, "state": {"time": day}, "lookback_window": 40},
            id="the CDK's global cursor, which 0.2 wrote above 10,000 campaigns",
        ),
    ],
)
def test_given_a_state_of_one_cursor_for_all_campaigns_when_reading_then_every_campaign_resumes_from_it_without_a_gap_and_gets_its_own(  # noqa: E501
    shared_state: Any, braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    # What an older connector leaves behind: one cursor for the whole stream, after syncing every
    # campaign up to that day.
    synced_to = TODAY - timedelta(days=20)
    warehouse = Warehouse(braze.data, braze.data.campaign_ids(), FIRST)
    before = sync(runner, braze, catalog, synced_to)
    assert_completed(before)
    warehouse.load(before.records(ANALYTICS), synced_to)

    after = sync(runner, braze, catalog, TODAY, state=stream_state(shared_state(synced_to.isoformat())))

    assert_completed(after)
    warehouse.load(after.records(ANALYTICS), TODAY)
    assert warehouse.missing(TODAY) == []
    resumed_from = min(record["time"] for record in after.records(ANALYTICS))
    assert resumed_from >= (synced_to - timedelta(days=1)).isoformat(), "read again from the start date"
    state = analytics_state(after)
    assert state["use_global_cursor"] is False and state["states"], state


@pytest.mark.parametrize("cursor", ["2026-06-10T00:00:00Z", "not-a-date", 20260610])
def test_given_the_old_global_state_format_with_a_cursor_that_is_not_a_day_when_reading_then_it_is_ignored_with_a_warning_or_refused(  # noqa: E501
    cursor: Any, braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    run = sync(runner, braze, catalog, TODAY, state=stream_state({"time": cursor}))

    assert_ignored_with_a_warning_or_refused(run, braze)


def test_given_a_state_naming_an_unknown_campaign_when_reading_then_it_is_ignored_and_nothing_is_lost(
    braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    warehouse = Warehouse(braze.data, braze.data.campaign_ids(), FIRST)
    first = sync(runner, braze, catalog, TODAY)
    warehouse.load(first.records(ANALYTICS), TODAY)
    state = analytics_state(first)
    state["states"].append(per_campaign({"a-campaign-braze-never-had": "2026-06-20"})["states"][0])

    second = sync(runner, braze, catalog, LATER, state=stream_state(state))

    assert_completed(second)
    warehouse.load(second.records(ANALYTICS), LATER)
    assert warehouse.missing(LATER) == []


@pytest.mark.parametrize("lookback", [30, 0])
def test_given_a_cursor_in_the_future_when_reading_later_then_that_campaign_loses_no_day(
    lookback: int, braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    # Say a clock was wrong on the last sync: one campaign's cursor is months ahead. Three days later
    # the next sync must still deliver that campaign's three new days.
    campaign = braze.data.campaign_ids(kind="ongoing")[0]
    warehouse = Warehouse(braze.data, [campaign], FIRST)
    first = sync(runner, braze, catalog, TODAY, lookback_window_days=lookback)
    warehouse.load([r for r in first.records(ANALYTICS) if r["campaign_id"] == campaign], TODAY)
    state = analytics_state(first)
    for entry in state["states"]:
        if entry["partition"]["campaign_id"] == campaign:
            entry["cursor"]["time"] = "2027-01-01"

    second = sync(runner, braze, catalog, LATER, state=stream_state(state), lookback_window_days=lookback)

    assert_completed(second)
    assert any("2027-01-01" in message for message in warnings(second)), "the future cursor went unmentioned"
    warehouse.load([r for r in second.records(ANALYTICS) if r["campaign_id"] == campaign], LATER)
    assert warehouse.missing(LATER) == []


@pytest.mark.parametrize("cursor", ["not-a-date", 20260601, None, "2026-02-30"])
def test_given_a_campaign_cursor_that_is_not_a_day_when_reading_then_that_campaign_restarts_with_a_warning(
    cursor: Any, braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    campaign = braze.data.campaign_ids(kind="ongoing")[0]
    others = {cid: TODAY.isoformat() for cid in braze.data.campaign_ids() if cid != campaign}

    run = sync(runner, braze, catalog, TODAY, state=stream_state(per_campaign({campaign: cursor, **others})))

    assert_completed(run)
    assert any(repr(cursor) in message for message in warnings(run)), warnings(run)
    warehouse = Warehouse(braze.data, [campaign], FIRST)
    warehouse.load([r for r in run.records(ANALYTICS) if r["campaign_id"] == campaign], TODAY)
    assert warehouse.missing(TODAY) == [], "the campaign did not start over from start_date"


MALFORMED_STATES: list[tuple[str, Any]] = [
    ("stream_state a string", stream_state("garbage")),
    ("stream_state a list", stream_state(["garbage"])),
    ("states not a list", stream_state({"states": "garbage"})),
    ("a states entry without a partition", stream_state({"states": [{"cursor": {"time": "2026-06-01"}}]})),
    ("a states entry that is not an object", stream_state({"states": ["garbage"]})),
    ("the state file an object", {ANALYTICS: {"time": "2026-06-01"}}),
    ("the state file a string", "garbage"),
]


def assert_ignored_with_a_warning_or_refused(run: ConnectorRun, sandbox: Sandbox) -> None:
    """Refused: a config_error naming the state. Ignored: a warning, and every day from start_date."""
    if run.returncode != 0:
        assert run.errors, f"no error trace: {run.describe()}"
        error = run.errors[0]
        assert error["failure_type"] == "config_error", f"a crash, not a refusal: {error['message']!r}"
        assert "state" in error["message"].lower(), error["message"]
        return
    assert warnings(run), "a malformed state was dropped without a word"
    warehouse = Warehouse(sandbox.data, sandbox.data.campaign_ids(), FIRST)
    warehouse.load(run.records(ANALYTICS), sandbox.today)
    assert warehouse.missing(sandbox.today) == []


@pytest.mark.parametrize("case, state", MALFORMED_STATES, ids=[case for case, _ in MALFORMED_STATES])
def test_given_a_malformed_state_when_reading_then_it_is_ignored_with_a_warning_or_refused_never_a_crash(
    case: str, state: Any, braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    run = sync(runner, braze, catalog, TODAY, state=state)

    assert_ignored_with_a_warning_or_refused(run, braze)

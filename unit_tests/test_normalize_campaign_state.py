"""NormalizeCampaignState: a saved per-campaign state made safe and cheap to resume from.

A campaign missing from the state starts at start_date (not at the global cursor), a campaign
older than the last completed sync resumes from that sync's day, a cursor that is not a day
restarts its campaign, and a cursor after the last day is brought back to it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from source_braze_campaigns.components import NormalizeCampaignState
from unit_tests.harness import per_campaign_state

CONFIG = {"start_date": "2025-01-01", "end_date": "2025-06-30"}
PER_CAMPAIGN_WITH_GLOBAL = per_campaign_state({"c1": "2025-03-01", "c2": "2025-02-01"}, with_global="2025-03-01")


def _migration(config: dict[str, Any] | None = None) -> NormalizeCampaignState:
    return NormalizeCampaignState(config=CONFIG if config is None else config, parameters={})


def _cursors(state: Any) -> dict[str, str]:
    return {entry["partition"]["campaign_id"]: entry["cursor"]["time"] for entry in state["states"]}


def test_given_a_completed_sync_cursor_when_migrating_then_it_is_dropped_and_older_campaigns_resume_from_it() -> None:
    """The CDK writes `state` (the latest day on any campaign) only after a sync read every campaign
    through its last day, so a campaign with an older cursor (stopped, never sent) was asked up to
    that day too and need not be read again from its own last data day."""
    migration = _migration()

    assert migration.should_migrate(PER_CAMPAIGN_WITH_GLOBAL)
    migrated = migration.migrate(PER_CAMPAIGN_WITH_GLOBAL)

    assert "state" not in migrated
    assert _cursors(migrated) == {"c1": "2025-03-01", "c2": "2025-03-01"}
    assert {name: value for name, value in migrated.items() if name != "states"} == {
        name: value for name, value in PER_CAMPAIGN_WITH_GLOBAL.items() if name not in ("states", "state")
    }


def test_given_a_completed_sync_cursor_after_the_end_date_when_migrating_then_campaigns_resume_from_the_end_date() -> (
    None
):
    state = per_campaign_state({"c1": "2025-02-01"}, with_global="2025-09-01")

    assert _cursors(_migration().migrate(state)) == {"c1": "2025-06-30"}


@pytest.mark.parametrize("completed", ["not a day", "", None])
def test_given_a_completed_sync_cursor_that_is_not_a_day_when_migrating_then_cursors_are_kept(completed: Any) -> None:
    state = per_campaign_state({"c1": "2025-02-01"})
    state["state"] = {"time": completed}

    migrated = _migration().migrate(state)

    assert _cursors(migrated) == {"c1": "2025-02-01"}
    assert "state" not in migrated


def test_given_no_completed_sync_cursor_when_migrating_then_each_campaign_keeps_its_own_cursor() -> None:
    state = per_campaign_state({"c1": "2025-03-01", "c2": "2025-02-01"})

    assert _cursors(_migration().migrate(state)) == {"c1": "2025-03-01", "c2": "2025-02-01"}


def test_given_a_migrated_state_when_migrating_again_then_it_is_unchanged() -> None:
    migration = _migration()
    once = migration.migrate(PER_CAMPAIGN_WITH_GLOBAL)

    assert migration.migrate(once) == once


@pytest.mark.parametrize("cursor", ["2025-13-01", "yesterday", "", None, 20250301, "2025-03-01T00:00:00"])
def test_given_a_cursor_that_is_not_a_day_when_migrating_then_that_campaign_restarts_and_the_others_keep_theirs(
    cursor: Any,
) -> None:
    state = per_campaign_state({"c1": "2025-03-01", "c2": "2025-02-01"})
    state["states"][1]["cursor"]["time"] = cursor

    assert _cursors(_migration().migrate(state)) == {"c1": "2025-03-01"}


def test_given_a_cursor_after_the_end_date_when_migrating_then_that_campaign_starts_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Where such a campaign really stopped is unknown: starting over loses nothing; clamping could."""
    state = per_campaign_state({"c1": "2025-09-01", "c2": "2025-02-01"})

    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert _cursors(_migration().migrate(state)) == {"c2": "2025-02-01"}
    assert "2025-09-01 is after the last day to sync, 2025-06-30" in caplog.text


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param("garbage", id="states not a list"),
        pytest.param([{"cursor": {"time": "2025-03-01"}}], id="an entry without a partition"),
        pytest.param(["x"], id="an entry that is not an object"),
    ],
)
def test_given_states_the_cdk_cannot_read_when_migrating_then_they_are_dropped(entries: Any) -> None:
    assert _migration().migrate({"states": entries, "use_global_cursor": False})["states"] == []


def test_given_the_old_single_cursor_format_with_a_cursor_that_is_not_a_day_when_migrating_then_it_is_dropped() -> None:
    migration = _migration()
    assert migration.should_migrate({"time": "2025-03-01T00:00:00Z"})
    assert migration.migrate({"time": "2025-03-01T00:00:00Z"}) == {}


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({}, id="no state"),
        pytest.param({"time": "2025-03-01"}, id="a legacy single cursor"),
    ],
)
def test_given_a_state_that_is_not_per_campaign_when_checking_then_it_is_left_as_it_is(state: dict[str, Any]) -> None:
    assert not _migration().should_migrate(state)


@pytest.mark.parametrize(
    ("shared", "resumes_from"),
    [
        pytest.param("2025-03-01", "2025-03-01", id="a day"),
        pytest.param("2025-09-01", "2025-06-30", id="a day after the end date"),
    ],
)
def test_given_the_cdks_global_cursor_when_migrating_then_every_campaign_resumes_from_it_with_a_cursor_of_its_own(
    shared: str, resumes_from: str, caplog: pytest.LogCaptureFixture
) -> None:
    # What 0.2 wrote above 10,000 campaigns; kept as it is, the CDK would stay on one cursor for good.
    state = {"use_global_cursor": True, "state": {"time": shared}, "lookback_window": 40}
    migration = _migration()

    assert migration.should_migrate(state)
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        migrated = migration.migrate(state)

    expected = {"use_global_cursor": False, "states": [], "state": {"time": resumes_from}, "lookback_window": 40}
    assert migrated == expected
    assert any("clear the analytics streams" in record.getMessage() for record in caplog.records)


def test_given_the_cdks_global_cursor_that_is_not_a_day_when_migrating_then_every_campaign_restarts() -> None:
    migrated = _migration().migrate({"use_global_cursor": True, "state": {"time": "not a day"}})

    assert migrated == {"use_global_cursor": False, "states": []}

"""Incremental analytics: the state sync 1 emits is where sync 2 resumes, minus the lookback.

Why it matters: a gap loses days for good, and a day read twice outside the lookback is
double-counted by any destination that appends instead of deduplicating.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.builders import (
    ConfigBuilder,
    a_campaigns_list_response,
    a_data_series_response,
    any_data_series_request,
    days_between,
    given_the_list,
)
from unit_tests.harness import (
    ANALYTICS_STREAMS,
    data_series_requests,
    last_state_message,
    per_campaign_state,
    records_of,
    run_read,
    saved_cursors,
    state_for,
)


def _requested_days(requests: list[dict[str, str]]) -> Counter[str]:
    return Counter(
        (date.fromisoformat(request["ending_at"][:10]) - timedelta(days=back)).isoformat()
        for request in requests
        for back in range(int(request["length"]))
    )


def _sync(config: dict, stream: str, last_day_with_data: str, state: list | None = None) -> tuple[object, list]:
    """One sync of campaign c1; Braze has data on every day up to `last_day_with_data`.

    Every data_series request gets the same body (HttpMocker answers statically); what is
    asserted is which days were requested and which cursor was saved.
    """
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
        http_mocker.get(
            any_data_series_request(),
            a_data_series_response().with_days(config["start_date"], last_day_with_data).build(),
        )
        output = run_read(config, [stream], state=state)
        sent = data_series_requests(http_mocker)
    assert not output.errors, output.errors
    return output, sent


@pytest.mark.parametrize("stream", ANALYTICS_STREAMS)
@pytest.mark.parametrize("lookback", [0, 3, 30])
def test_given_the_state_of_sync_1_when_sync_2_runs_then_no_gap_and_only_the_lookback_is_read_twice(
    stream: str, lookback: int
) -> None:
    config_1 = (
        ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-05-20").with_lookback_window_days(lookback)
    )
    config_2 = (
        ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-09-30").with_lookback_window_days(lookback)
    )

    sync_1, sent_1 = _sync(config_1.build(), stream, last_day_with_data="2025-05-20")
    state = [last_state_message(sync_1, stream)]
    assert saved_cursors(sync_1, stream) == {"c1": "2025-05-20"}
    _, sent_2 = _sync(config_2.build(), stream, last_day_with_data="2025-09-30", state=state)

    days_1, days_2 = _requested_days(sent_1), _requested_days(sent_2)
    assert max(days_1.values()) == 1 and max(days_2.values()) == 1
    assert set(days_1) | set(days_2) == set(days_between("2025-01-01", "2025-09-30"))
    resumed_at = date(2025, 5, 20) - timedelta(days=lookback)
    assert set(days_1) & set(days_2) == set(days_between(resumed_at, "2025-05-20"))
    assert all(1 <= int(request["length"]) <= 100 for request in sent_1 + sent_2)


def test_given_braze_has_no_data_for_the_last_days_when_syncing_then_the_cursor_is_the_last_day_with_data() -> None:
    """The saved cursor is the last day Braze returned: days it had nothing for are asked again next time."""
    config = ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-01-20").with_lookback_window_days(0)

    sync_1, _ = _sync(config.build(), "campaigns_analytics", last_day_with_data="2025-01-12")
    _, sent_2 = _sync(
        config.build(),
        "campaigns_analytics",
        last_day_with_data="2025-01-20",
        state=[last_state_message(sync_1, "campaigns_analytics")],
    )

    assert saved_cursors(sync_1, "campaigns_analytics") == {"c1": "2025-01-12"}
    assert sorted(_requested_days(sent_2)) == days_between("2025-01-12", "2025-01-20")


def test_given_a_state_when_syncing_then_it_resumes_at_the_cursor_minus_the_lookback() -> None:
    config = (
        ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-06-30").with_lookback_window_days(30).build()
    )
    state = state_for("campaigns_analytics", per_campaign_state({"c1": "2025-06-10"}))

    _, sent = _sync(config, "campaigns_analytics", last_day_with_data="2025-06-30", state=state)

    assert sorted(_requested_days(sent)) == days_between("2025-05-11", "2025-06-30")
    assert [(request["length"], request["ending_at"]) for request in sent] == [("51", "2025-06-30T23:59:59+00:00")]


def test_given_a_campaign_created_after_the_last_sync_when_syncing_then_it_is_read_from_start_date() -> None:
    config = (
        ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-06-30").with_lookback_window_days(10).build()
    )
    state = state_for("campaigns_analytics", per_campaign_state({"old": "2025-06-20"}, with_global="2025-06-20"))
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["old", "new"]).build())
        http_mocker.get(any_data_series_request(), a_data_series_response().with_day("2025-06-25").build())

        output = run_read(config, ["campaigns_analytics"], state=state)

        sent = data_series_requests(http_mocker)
    by_campaign = {
        campaign: _requested_days([request for request in sent if request["campaign_id"] == campaign])
        for campaign in ("old", "new")
    }
    assert sorted(by_campaign["old"]) == days_between("2025-06-10", "2025-06-30")
    assert sorted(by_campaign["new"]) == days_between("2025-01-01", "2025-06-30")
    assert max(by_campaign["new"].values()) == 1
    assert {record["campaign_id"] for record in records_of(output, "campaigns_analytics")} == {"old", "new"}


def test_given_a_saved_cursor_after_the_end_date_when_syncing_then_the_campaign_is_read_from_start_date() -> None:
    config = (
        ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-06-30").with_lookback_window_days(5).build()
    )
    state = state_for("campaigns_analytics", per_campaign_state({"c1": "2025-12-31"}))

    _, sent = _sync(config, "campaigns_analytics", last_day_with_data="2025-06-30", state=state)

    assert sorted(_requested_days(sent)) == days_between("2025-01-01", "2025-06-30")

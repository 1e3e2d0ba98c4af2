"""Property: for any range, saved cursor and lookback, the planned data_series requests read every
day of [max(start_date, cursor - lookback), end_date] exactly once, each with a `length` of 1..100.

The plan comes from the real manifest: the analytics stream built by SourceBrazeCampaigns, its
partitions (one campaign, whose list is mocked) and each slice's request parameters rendered by
the stream's own requester. Nothing is sent to /campaigns/data_series.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.test.mock_http import HttpMocker
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from source_braze_campaigns.source import SourceBrazeCampaigns
from unit_tests.builders import ConfigBuilder, a_campaigns_list_response, given_the_list
from unit_tests.harness import per_campaign_state, state_for

CAMPAIGN = "c1"


def planned_requests(config: dict[str, Any], cursor: date | None, completed: date | None) -> list[dict[str, Any]]:
    """The data_series query parameters the connector would send for CAMPAIGN, in plan order.

    `completed` is the stream-level cursor the CDK saves once a sync has read every campaign.
    """
    state = None
    if cursor is not None:
        saved = per_campaign_state({CAMPAIGN: cursor.isoformat()}, completed and completed.isoformat())
        state = state_for("campaigns_analytics", saved)
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign(CAMPAIGN).build())
        streams = SourceBrazeCampaigns(config=config, state=state).streams(config)
        (stream,) = [stream for stream in streams if stream.name == "campaigns_analytics"]
        planned = []
        for partition in stream.generate_partitions():
            stream_slice = partition.to_slice()
            # The partition's retriever is the one that would send the request; its requester renders it.
            params = partition._retriever.requester.get_request_params(stream_slice=stream_slice)  # noqa: SLF001
            planned.append({**params, "slice": dict(stream_slice)})
    return planned


def _days_of(request: dict[str, Any]) -> list[date]:
    last = date.fromisoformat(request["ending_at"][:10])
    return [last - timedelta(days=back) for back in range(int(request["length"]))]


starts = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=starts,
    span=st.integers(min_value=0, max_value=450),
    cursor_offset=st.one_of(st.none(), st.integers(min_value=-60, max_value=480)),
    lookback=st.integers(min_value=0, max_value=100),
    completed_after_cursor=st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
)
@example(start=date(2025, 1, 1), span=199, cursor_offset=None, lookback=30, completed_after_cursor=None)  # 200 days
@example(start=date(2025, 1, 1), span=100, cursor_offset=None, lookback=30, completed_after_cursor=None)  # 101 days
@example(start=date(2025, 1, 1), span=364, cursor_offset=364, lookback=0, completed_after_cursor=0)  # cursor = end
@example(start=date(2025, 1, 1), span=300, cursor_offset=-10, lookback=100, completed_after_cursor=None)  # < start
@example(start=date(2025, 1, 1), span=300, cursor_offset=100, lookback=7, completed_after_cursor=150)  # a stopped one
def test_given_any_range_cursor_and_lookback_when_planning_then_each_day_is_requested_once_in_windows_of_1_to_100(
    start: date, span: int, cursor_offset: int | None, lookback: int, completed_after_cursor: int | None
) -> None:
    end = start + timedelta(days=span)
    cursor = None if cursor_offset is None else start + timedelta(days=cursor_offset)
    # The completed sync's cursor is the latest day on any campaign: never before this campaign's.
    completed = None if cursor is None or completed_after_cursor is None else cursor + timedelta(completed_after_cursor)
    config = ConfigBuilder().with_start_date(start).with_end_date(end).with_lookback_window_days(lookback).build()

    planned = planned_requests(config, cursor, completed)

    # NormalizeCampaignState: a cursor after end_date cannot be trusted, so that campaign starts
    # over at start_date; one older than the last completed sync resumes from that sync's day
    # (at most end_date).
    resume = None
    if cursor is not None and cursor <= end:
        resume = cursor if completed is None else min(max(cursor, completed), end)
    first = start if resume is None else max(start, resume - timedelta(days=lookback))
    expected = [first + timedelta(days=offset) for offset in range((end - first).days + 1)]
    requested = sorted(day for request in planned for day in _days_of(request))
    assert requested == expected
    assert all(1 <= int(request["length"]) <= 100 for request in planned)
    assert all(request["campaign_id"] == CAMPAIGN for request in planned)
    for request in planned:
        assert request["ending_at"] == f"{request['slice']['end_time']}T23:59:59+00:00"
        assert _days_of(request)[-1].isoformat() == request["slice"]["start_time"]
    assert len(planned) == math.ceil(len(expected) / 100)

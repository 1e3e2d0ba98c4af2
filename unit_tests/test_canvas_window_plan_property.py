"""Property: for any range, saved cursor and lookback, the planned /canvas/data_series requests read
every day of [max(start_date, cursor - lookback), end_date] exactly once, each with a `length` of
1..14, in ceil(days / 14) requests.

The plan comes from the real manifest, as in test_window_plan_property.py: the canvases_analytics
stream built by SourceBrazeCampaigns, one canvas (its list mocked), each slice's parameters rendered
by the stream's own requester. Nothing is sent to /canvas/data_series.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.test.mock_http import HttpMocker
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from source_braze_campaigns.source import SourceBrazeCampaigns
from unit_tests.canvas_builders import a_canvas_config, a_canvas_list_response, given_the_canvas_list
from unit_tests.harness import state_for

CANVAS = "k1"
MAX_LENGTH = 14


def planned_requests(config: dict[str, Any], cursor: date | None) -> list[dict[str, Any]]:
    state = None
    if cursor is not None:
        saved = {
            "use_global_cursor": False,
            "states": [
                {"partition": {"canvas_id": CANVAS, "parent_slice": {}}, "cursor": {"time": cursor.isoformat()}}
            ],
        }
        state = state_for("canvases_analytics", saved)
    with HttpMocker() as http_mocker:
        given_the_canvas_list(http_mocker, a_canvas_list_response(CANVAS))
        streams = SourceBrazeCampaigns(config=config, state=state).streams(config)
        (stream,) = [stream for stream in streams if stream.name == "canvases_analytics"]
        planned = []
        for partition in stream.generate_partitions():
            stream_slice = partition.to_slice()
            params = partition._retriever.requester.get_request_params(stream_slice=stream_slice)  # noqa: SLF001
            planned.append({**params, "slice": dict(stream_slice)})
    return planned


def _days_of(request: dict[str, Any]) -> list[date]:
    last = date.fromisoformat(request["ending_at"][:10])
    return [last - timedelta(days=back) for back in range(int(request["length"]))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)),
    span=st.integers(min_value=0, max_value=120),
    cursor_offset=st.one_of(st.none(), st.integers(min_value=-20, max_value=130)),
    lookback=st.integers(min_value=0, max_value=40),
)
@example(start=date(2025, 1, 1), span=13, cursor_offset=None, lookback=30)  # 14 days: one window
@example(start=date(2025, 1, 1), span=14, cursor_offset=None, lookback=30)  # 15 days: the "one unit longer" trap
@example(start=date(2025, 1, 1), span=27, cursor_offset=None, lookback=30)  # 28 days: two full windows
@example(start=date(2025, 1, 1), span=100, cursor_offset=100, lookback=0)  # cursor = end
def test_given_any_range_cursor_and_lookback_when_planning_canvases_then_each_day_is_read_once_in_14_day_windows(
    start: date, span: int, cursor_offset: int | None, lookback: int
) -> None:
    end = start + timedelta(days=span)
    cursor = None if cursor_offset is None else start + timedelta(days=cursor_offset)
    config = a_canvas_config().with_start_date(start).with_end_date(end).with_lookback_window_days(lookback).build()

    planned = planned_requests(config, cursor)

    resume = cursor if cursor is not None and cursor <= end else None
    first = start if resume is None else max(start, resume - timedelta(days=lookback))
    expected = [first + timedelta(days=offset) for offset in range((end - first).days + 1)]
    assert sorted(day for request in planned for day in _days_of(request)) == expected
    assert all(1 <= int(request["length"]) <= MAX_LENGTH for request in planned)
    assert all(request["canvas_id"] == CANVAS for request in planned)
    for request in planned:
        assert request["ending_at"] == f"{request['slice']['end_time']}T23:59:59+00:00"
        assert request["include_variant_breakdown"] == request["include_step_breakdown"] == "true"
        assert request["include_deleted_step_data"] == "true"
    assert len(planned) == math.ceil(len(expected) / MAX_LENGTH)

"""The data_series window plan of a first sync: which requests, with which `length` and `ending_at`.

Braze accepts `length` 1..100 and counts it back from `ending_at`'s day. A range of N days is
read in 100-day windows and a last one of 1..100 days: ceil(N/100) requests, the fewest Braze
allows.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

import pytest
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.builders import (
    ConfigBuilder,
    a_campaigns_list_response,
    a_data_series_request,
    a_data_series_response,
    days_between,
    given_the_list,
)
from unit_tests.harness import data_series_requests, records_of, run_read

START = date(2025, 1, 1)


def _windows(lengths: list[int]) -> list[tuple[int, str]]:
    """(length, last day) of consecutive windows starting at START."""
    windows, first = [], START
    for length in lengths:
        last = first + timedelta(days=length - 1)
        windows.append((length, last.isoformat()))
        first = last + timedelta(days=1)
    return windows


PLANS = {
    1: [1],
    2: [2],
    99: [99],
    100: [100],
    101: [100, 1],
    199: [100, 99],
    200: [100, 100],
    201: [100, 100, 1],
    298: [100, 100, 98],
    300: [100, 100, 100],
    365: [100, 100, 100, 65],
}


@pytest.mark.parametrize(("days", "lengths"), PLANS.items(), ids=[f"{days} days" for days in PLANS])
def test_given_a_first_sync_of_n_days_when_reading_then_each_day_is_requested_once_in_windows_of_at_most_100(
    days: int, lengths: list[int]
) -> None:
    end = START + timedelta(days=days - 1)
    windows = _windows(lengths)
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
        first = START
        for length, last in windows:
            http_mocker.get(
                a_data_series_request("c1", length, last), a_data_series_response().with_days(first, last).build()
            )
            first = date.fromisoformat(last) + timedelta(days=1)

        output = run_read(ConfigBuilder().with_start_date(START).with_end_date(end).build(), ["campaigns_analytics"])

        sent = data_series_requests(http_mocker)
    assert not output.errors, output.errors
    in_time_order = sorted(sent, key=lambda request: request["ending_at"])
    assert [(int(request["length"]), request["ending_at"]) for request in in_time_order] == [
        (length, f"{last}T23:59:59+00:00") for length, last in windows
    ]
    assert len(sent) == math.ceil(days / 100)
    assert all(1 <= int(request["length"]) <= 100 for request in sent)
    requested_days = Counter(
        (date.fromisoformat(request["ending_at"][:10]) - timedelta(days=back)).isoformat()
        for request in sent
        for back in range(int(request["length"]))
    )
    assert requested_days == Counter(days_between(START, end))
    assert sorted(record["time"] for record in records_of(output, "campaigns_analytics")) == days_between(START, end)

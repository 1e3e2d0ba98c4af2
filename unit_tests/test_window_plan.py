"""The data_series window plan of a first sync: which requests, with which `length` and `ending_at`.

Braze accepts `length` 1..100 and counts it back from `ending_at`'s day. The manifest steps 99
days and lets the CDK stretch the last window by one day, so a range of N days is read in
99-day windows with a last one of 1..100 days: ceil(N/100) requests, plus one when N is in
[99m+2, 100m] for some m >= 2 (200, 299-300, 398-400, ...).
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
    a_list_request,
    days_between,
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


def expected_request_count(days: int) -> int:
    extra = any(99 * m + 2 <= days <= 100 * m for m in range(2, days // 99 + 2))
    return math.ceil(days / 100) + int(extra)


PLANS = {
    1: [1],
    2: [2],
    99: [99],
    100: [100],
    101: [99, 2],
    199: [99, 100],
    200: [99, 99, 2],
    298: [99, 99, 100],
    300: [99, 99, 99, 3],
    365: [99, 99, 99, 68],
}


@pytest.mark.parametrize(("days", "lengths"), PLANS.items(), ids=[f"{days} days" for days in PLANS])
def test_given_a_first_sync_of_n_days_when_reading_then_each_day_is_requested_once_in_windows_of_at_most_100(
    days: int, lengths: list[int]
) -> None:
    end = START + timedelta(days=days - 1)
    windows = _windows(lengths)
    with HttpMocker() as http_mocker:
        http_mocker.get(a_list_request(), a_campaigns_list_response().with_campaign("c1").build())
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
    assert len(sent) == expected_request_count(days)
    assert all(1 <= int(request["length"]) <= 100 for request in sent)
    requested_days = Counter(
        (date.fromisoformat(request["ending_at"][:10]) - timedelta(days=back)).isoformat()
        for request in sent
        for back in range(int(request["length"]))
    )
    assert requested_days == Counter(days_between(START, end))
    assert sorted(record["time"] for record in records_of(output, "campaigns_analytics")) == days_between(START, end)


@pytest.mark.parametrize(
    ("days", "count"),
    [
        (1, 1),
        (100, 1),
        (101, 2),
        (199, 2),
        (200, 3),
        (298, 3),
        (299, 4),
        (300, 4),
        (301, 4),
        (398, 5),
        (400, 5),
        (401, 5),
    ],
)  # noqa: E501
def test_given_the_request_count_formula_when_evaluated_then_it_matches_known_plans(days: int, count: int) -> None:
    assert expected_request_count(days) == count
    assert expected_request_count(days) == max(1, math.ceil((days - 1) / 99))

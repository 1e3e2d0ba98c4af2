"""The progress log: one line per stream at a steady pace, counted against the listed campaigns."""

from __future__ import annotations

import logging

import pytest

from source_braze_campaigns import progress as progress_module
from source_braze_campaigns.progress import Progress


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", fake)
    return fake


def test_given_responses_within_the_interval_when_reading_then_nothing_is_logged(
    clock: _Clock, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = Progress(interval_s=30)
    with caplog.at_level(logging.INFO, logger="airbyte"):
        for second in range(29):
            clock.now += 1
            tracker.response_read("campaigns_analytics", f"c{second}", records=10)
    assert [r for r in caplog.records if "campaigns reached" in r.getMessage()] == []


def test_given_the_interval_passed_when_a_response_is_read_then_one_line_counts_campaigns_of_the_listed(
    clock: _Clock, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = Progress(interval_s=30)
    for campaign in ("a", "b", "c", "d"):
        tracker.campaign_listed(campaign)
    tracker.campaign_listed("a")  # the list is read once per stream: counted once
    with caplog.at_level(logging.INFO, logger="airbyte"):
        tracker.response_read("campaigns_analytics", "a", records=100)
        tracker.response_read("campaigns_analytics", "a", records=50)
        clock.now += 31
        tracker.response_read("campaigns_analytics", "b", records=7)
        clock.now += 1
        tracker.response_read("campaigns_analytics", "c", records=1)
    lines = [r.getMessage() for r in caplog.records if "campaigns reached" in r.getMessage()]
    assert lines == [
        "campaigns_analytics: 2 of 4 campaigns reached, 3 data_series responses, 157 records (0.1 responses/s)"
    ]


def test_given_two_streams_when_reading_then_each_has_its_own_pace_and_counts(clock: _Clock) -> None:
    tracker = Progress(interval_s=30)
    tracker.response_read("campaigns_analytics", "a", records=3)
    tracker.response_read("campaigns_analytics_variations", "a", records=9)
    assert "3 records" in tracker.line("campaigns_analytics")
    assert "9 records" in tracker.line("campaigns_analytics_variations")


def test_given_a_canvas_stream_when_logging_progress_then_it_counts_canvases_not_campaigns() -> None:
    tracker = Progress(interval_s=3600)
    tracker.campaign_listed("c1")
    tracker.response_read("canvases_analytics_steps", "k1", 4)
    tracker.response_read("canvases_analytics_steps", "k2", 5)

    line = tracker.line("canvases_analytics_steps")

    assert line.startswith("canvases_analytics_steps: 2 canvases reached, 2 data_series responses, 9 records")

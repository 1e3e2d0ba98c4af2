"""Days are the company time zone's: the connector against a sandbox whose company zone is set.

Braze returns the `length` days before the `ending_at` instant, in the workspace's company time
zone; the sandbox does the same (`company_time_zone`). Every sync here is checked against the
sandbox's ground truth: each (campaign, day) of the range exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import pytz
import yaml
from airbyte_cdk.sources.declarative.interpolation import InterpolatedString

from braze_sandbox import SANDBOX_API_KEY, Sandbox, SandboxConfig
from source_braze_campaigns.day_windows import end_of_day, window_parameters
from source_braze_campaigns.source import MANIFEST
from unit_tests.harness import records_of, run_read

STREAM = "campaigns_analytics"


def sync_days(zone: str, config_zone: str | None, start: date, end: date, today: date) -> tuple[Counter, set]:
    """(campaign, day) counts the connector emitted, and the pairs Braze would report for start..end."""
    settings = SandboxConfig(seed=3, campaigns=6, days=400, today=today, company_time_zone=zone)
    with Sandbox(settings) as sandbox:
        config = {
            "url": sandbox.url,
            "api_key": SANDBOX_API_KEY,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "num_workers": 2,
        }
        if config_zone is not None:
            config["time_zone"] = config_zone
        records = records_of(run_read(config, [STREAM]), STREAM)
        data = sandbox.data
        expected = {
            (cid, day.isoformat())
            for cid in data.campaign_ids(include_archived=True)
            for day in data.expected_days(cid, start, end, today)
        }
    return Counter((r["campaign_id"], r["time"]) for r in records), expected


def test_the_end_of_a_day_carries_the_offset_the_zone_has_that_day() -> None:
    new_york = pytz.timezone("America/New_York")
    assert end_of_day(date(2026, 3, 7), new_york) == "2026-03-07T23:59:59-05:00"
    assert end_of_day(date(2026, 3, 8), new_york) == "2026-03-08T23:59:59-04:00"  # DST began at 02:00
    assert end_of_day(date(2026, 11, 1), new_york) == "2026-11-01T23:59:59-05:00"  # DST ended at 02:00
    assert end_of_day(date(2026, 6, 28), pytz.timezone("Asia/Kolkata")) == "2026-06-28T23:59:59+05:30"
    assert window_parameters(date(2026, 6, 1), date(2026, 6, 28), pytz.UTC) == {
        "length": "28",
        "ending_at": "2026-06-28T23:59:59+00:00",
    }


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        ("America/Los_Angeles", date(2026, 1, 10), date(2026, 6, 28)),  # west of UTC, across DST
        ("Asia/Tokyo", date(2026, 1, 10), date(2026, 6, 28)),  # east of UTC
        ("America/New_York", date(2025, 11, 29), date(2026, 3, 8)),  # a 100-day window ending on the DST day
        ("Europe/Berlin", date(2025, 10, 1), date(2026, 4, 1)),  # windows across both changes
    ],
)
def test_given_the_company_zone_in_the_config_when_syncing_then_every_campaign_day_arrives_exactly_once(
    zone: str, start: date, end: date
) -> None:
    counts, expected = sync_days(zone, zone, start, end, today=date(2026, 6, 30))
    assert expected and set(counts) == expected
    assert max(counts.values()) == 1


def test_given_no_zone_in_the_config_when_the_company_zone_is_east_of_utc_then_only_the_range_shifts_by_a_day() -> None:
    # Config UTC, company Asia/Tokyo: ending_at D 23:59:59+00:00 is D+1 08:59:59 in Tokyo, so each
    # window ends one day later: days still tile, the start day is lost, the day after the end added.
    start, end, today = date(2026, 1, 10), date(2026, 6, 20), date(2026, 6, 30)
    counts, expected = sync_days("Asia/Tokyo", None, start, end, today)
    shifted = sync_days("Asia/Tokyo", "Asia/Tokyo", start + timedelta(days=1), end + timedelta(days=1), today)[1]
    assert set(counts) == shifted != expected
    assert max(counts.values()) == 1
    lost = {day for _, day in expected - set(counts)}
    added = {day for _, day in set(counts) - expected}
    assert lost == {start.isoformat()} and added == {(end + timedelta(days=1)).isoformat()}


def test_given_a_config_zone_east_of_a_west_company_zone_when_syncing_then_the_days_are_still_right() -> None:
    # Config Europe/Berlin, company America/Los_Angeles: D 23:59:59+01:00 is still D in Los Angeles.
    start, end, today = date(2026, 1, 10), date(2026, 6, 20), date(2026, 6, 30)
    counts, expected = sync_days("America/Los_Angeles", "Europe/Berlin", start, end, today)
    assert set(counts) == expected and max(counts.values()) == 1


def test_without_an_end_date_the_last_day_is_today_in_the_company_zone() -> None:
    cursor = yaml.safe_load(MANIFEST.read_text())["definitions"]["daily_cursor"]
    template = InterpolatedString.create(cursor["end_datetime"]["datetime"], parameters={})
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11: always a day apart
        before = datetime.now(pytz.timezone(zone)).date()
        rendered = template.eval({"time_zone": zone})
        after = datetime.now(pytz.timezone(zone)).date()
        assert rendered in (f"{before}T23:59:59", f"{after}T23:59:59"), (zone, rendered)

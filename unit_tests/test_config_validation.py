"""Config checks: every problem named by its field, the API key never echoed."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from source_braze_campaigns import SourceBrazeCampaigns
from source_braze_campaigns.config_validation import config_errors

TODAY = date(2026, 6, 30)
VALID = {"url": "https://rest.iad-01.braze.com", "api_key": "a-secret-key-1234567890"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return SourceBrazeCampaigns().spec(logging.getLogger("airbyte")).connectionSpecification


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"start_date": "", "end_date": ""},
        {"start_date": "2026-01-01", "end_date": "2026-06-30", "lookback_window_days": 0},
        {"url": "http://127.0.0.1:8080", "campaign_ids": ["a", "b"], "num_workers": 32},
        {"time_zone": "America/New_York"},
        {"time_zone": ""},
    ],
)
def test_given_a_usable_config_when_checking_then_there_is_no_problem(spec: dict[str, Any], extra: dict) -> None:
    assert config_errors({**VALID, **extra}, spec, today=TODAY) == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"url": "https://example.com"}, "url"),
        ({"url": "http://rest.iad-01.braze.com"}, "url"),
        ({"api_key": ""}, "api_key"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"end_date": "2026-02-30"}, "end_date"),
        ({"lookback_window_days": 101}, "lookback_window_days"),
        ({"num_workers": 0}, "num_workers"),
        ({"start_date": "2026-07-01", "end_date": "2026-06-01"}, "start_date"),
        ({"start_date": "2026-07-01"}, "start_date"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "EST -5"}, "time_zone"),
    ],
)
def test_given_a_wrong_value_when_checking_then_the_message_names_the_field(
    spec: dict[str, Any], extra: dict, field: str
) -> None:
    problems = config_errors({**VALID, **extra}, spec, today=TODAY)
    assert problems and all(f"`{field}`" in problem for problem in problems), problems


def test_given_a_key_of_the_wrong_type_when_checking_then_its_value_is_not_echoed(spec: dict[str, Any]) -> None:
    problems = config_errors({**VALID, "api_key": 1234567890123}, spec, today=TODAY)
    assert problems and "1234567890123" not in " ".join(problems)

"""Errors as real Braze (and what stands in front of it) sends them, from the sandbox over HTTP.

Lower-case `x-ratelimit-*` headers (HTTP/2), a proxy's 429 without any rate-limit header, HTML
bodies on 502/503, the two meanings of 403, and a vanished campaign's 400 that does not always
say "Invalid Campaign ID". No test really sleeps (`backoff_sleeps`, conftest.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from braze_sandbox import SANDBOX_API_KEY, Sandbox, SandboxConfig
from unit_tests.harness import error_text, failure_types, log_text, records_of, run_read

TODAY = date(2026, 6, 30)
START = date(2026, 6, 1)
STREAM = "campaigns_analytics"
DATA_SERIES = "/campaigns/data_series"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=2, campaigns=4, days=60, today=TODAY)) as sb:
        yield sb


def config(sb: Sandbox, key: str = SANDBOX_API_KEY) -> dict[str, Any]:
    dates = {"start_date": START.isoformat(), "end_date": TODAY.isoformat()}
    return {"url": sb.url, "api_key": key, **dates, "num_workers": 1}


def expected(sb: Sandbox) -> set[tuple[str, str]]:
    return {
        (cid, day.isoformat())
        for cid in sb.data.campaign_ids()
        if cid not in sb.deleted
        for day in sb.data.expected_days(cid, START, TODAY, TODAY)
    }


def read_pairs(sb: Sandbox, **kwargs: Any) -> tuple[set[tuple[str, str]], Any]:
    output = run_read(config(sb), [STREAM], **kwargs)
    return {(r["campaign_id"], r["time"]) for r in records_of(output, STREAM)}, output


def test_given_a_429_with_lower_case_headers_when_reading_then_the_wait_follows_x_ratelimit_reset(
    sandbox: Sandbox, backoff_sleeps: list[float]
) -> None:
    sandbox.add_fault(path=DATA_SERIES, kind="429", reset_in=40)
    before = time.time()
    pairs, _ = read_pairs(sandbox)
    assert pairs == expected(sandbox)
    assert len(backoff_sleeps) == 1
    # the header's reset is ~40 s away; the default wait without it would be 2 s
    assert 35 <= backoff_sleeps[0] <= 40 + (time.time() - before) + 3


def test_given_a_proxys_429_without_rate_limit_headers_when_reading_then_it_backs_off_and_reads_everything(
    sandbox: Sandbox, backoff_sleeps: list[float]
) -> None:
    sandbox.add_fault(path=DATA_SERIES, kind="429_bare", count=2)
    pairs, _ = read_pairs(sandbox)
    assert pairs == expected(sandbox)
    assert len(backoff_sleeps) == 2 and all(0 < wait <= 10 for wait in backoff_sleeps)


@pytest.mark.parametrize("kind", ["502", "503"])
def test_given_an_html_gateway_error_when_reading_then_it_is_retried_and_nothing_is_lost(
    sandbox: Sandbox, backoff_sleeps: list[float], kind: str
) -> None:
    sandbox.add_fault(path=DATA_SERIES, kind=kind, count=2)
    sandbox.add_fault(path="/campaigns/list", kind=kind, count=1)
    pairs, _ = read_pairs(sandbox)
    assert pairs == expected(sandbox)
    assert len(backoff_sleeps) == 3


@pytest.mark.parametrize(
    ("suffix", "says", "does_not_say"),
    [("-no-data-series", "lacks the `campaigns.data_series` permission", "plan"), ("-inactive", "inactive", "lacks")],
)
def test_given_braze_403_when_reading_then_the_error_says_which_of_its_two_meanings(
    sandbox: Sandbox, suffix: str, says: str, does_not_say: str
) -> None:
    output = run_read(config(sandbox, SANDBOX_API_KEY + suffix), [STREAM], expect_failure=True)
    assert FailureType.config_error in failure_types(output)
    assert says in error_text(output) and does_not_say not in error_text(output)
    assert SANDBOX_API_KEY not in error_text(output)


def test_given_vanished_campaigns_whose_400_says_different_things_when_reading_then_both_are_skipped() -> None:
    ids = Sandbox(SandboxConfig(seed=2, campaigns=4, days=60, today=TODAY)).data.campaign_ids()
    gone = ids[:2]  # the sandbox answers "Invalid Campaign ID" for one, "Bad Request" for the other
    settings = SandboxConfig(seed=2, campaigns=4, days=60, today=TODAY, deleted_campaign_ids=gone)
    with Sandbox(settings) as sb:
        pairs, output = read_pairs(sb)
        messages = {entry["status"] for entry in sb.request_log() if entry["query"].get("campaign_id") in gone}
    assert pairs == expected(sb) and pairs
    assert messages == {400}
    assert all(f"Skipping campaign {cid}" in log_text(output) for cid in gone)

"""Memory per campaign: budgets keep no requests, cursors share what is equal, threads and look-ahead as documented."""

from __future__ import annotations

import gc
import weakref
from datetime import timedelta

import pytest
import requests
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit, HttpRequestRegexMatcher, Rate
from airbyte_cdk.sources.types import Record
from airbyte_cdk.test.mock_http import HttpMocker

from source_braze_campaigns.budget import CountingMovingWindowCallRatePolicy
from source_braze_campaigns.concurrency import PENDING_PARTITIONS
from source_braze_campaigns.lean_cursors import STATELESS_PARTS, ForgetfulConcurrentCursor
from source_braze_campaigns.source import SourceBrazeCampaigns
from unit_tests.builders import ConfigBuilder, a_campaigns_list_response, given_the_list

URL = "http://127.0.0.1:8080/campaigns/data_series?campaign_id=c1"


def _request(url: str = URL) -> requests.PreparedRequest:
    return requests.Request("GET", url, headers={"Authorization": "Bearer k"}).prepare()


def _policies(source: SourceBrazeCampaigns) -> list[object]:
    source.streams(source._config)  # noqa: SLF001  (builds the manifest's api_budget)
    return list(source._constructor._api_budget._policies)  # noqa: SLF001


def test_given_the_manifest_budget_when_built_then_every_moving_window_policy_counts_without_keeping_requests() -> None:
    config = ConfigBuilder().build()
    policies = _policies(SourceBrazeCampaigns(config=config))
    assert len(policies) == 2
    assert all(isinstance(policy, CountingMovingWindowCallRatePolicy) for policy in policies)


def test_given_calls_within_the_window_when_acquired_then_the_limit_holds_and_no_request_is_kept_alive() -> None:
    policy = CountingMovingWindowCallRatePolicy(
        rates=[Rate(limit=3, interval=timedelta(minutes=1))],
        matchers=[HttpRequestRegexMatcher(url_path_pattern="/campaigns/data_series")],
    )
    sent = [_request() for _ in range(3)]
    for request in sent:
        policy.try_acquire(request, weight=1)
    kept = [weakref.ref(request) for request in sent]
    del sent, request
    gc.collect()
    assert all(ref() is None for ref in kept), "the budget keeps the requests it counted"
    with pytest.raises(CallRateLimitHit):
        policy.try_acquire(_request(), weight=1)
    with pytest.raises(ValueError, match="does not match"):
        policy.try_acquire(_request("http://127.0.0.1:8080/campaigns/list"), weight=1)


@pytest.mark.parametrize(("num_workers", "readers"), [(None, 8), (1, 1), (4, 4), (32, 32)])
def test_given_num_workers_when_the_source_is_built_then_that_many_threads_read_and_one_more_generates(
    num_workers: int | None, readers: int
) -> None:
    config = ConfigBuilder().build()
    config.pop("num_workers", None)
    if num_workers is not None:
        config["num_workers"] = num_workers
    manager = SourceBrazeCampaigns(config=config)._concurrent_source._threadpool  # noqa: SLF001
    assert manager._threadpool._max_workers == readers  # noqa: SLF001
    assert manager._generation._max_workers == 1  # noqa: SLF001
    assert manager._max_concurrent_tasks == PENDING_PARTITIONS  # noqa: SLF001


def test_given_many_campaigns_when_cursors_are_built_then_they_share_stateless_parts_and_drop_closed_windows() -> None:
    config = ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-01-30").build()
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").with_campaign("c2").build())
        streams = SourceBrazeCampaigns(config=config).streams(config)
        (stream,) = [stream for stream in streams if stream.name == "campaigns_analytics"]
        partitions = list(stream.generate_partitions())
    per_campaign = stream.cursor._cursor_per_partition  # noqa: SLF001
    first, second = per_campaign.values()
    assert isinstance(first, ForgetfulConcurrentCursor) and isinstance(second, ForgetfulConcurrentCursor)
    assert all(getattr(first, part) is getattr(second, part) for part in STATELESS_PARTS)

    partition = partitions[0]
    record = Record(data={"time": "2025-01-20"}, stream_name=stream.name, associated_slice=partition.to_slice())
    stream.cursor.observe(record)
    cursor = per_campaign[stream.cursor._to_partition_key(partition.to_slice().partition)]  # noqa: SLF001
    assert cursor._most_recent_cursor_value_per_partition  # noqa: SLF001
    stream.cursor.close_partition(partition)
    assert not cursor._most_recent_cursor_value_per_partition  # noqa: SLF001
    assert cursor.state == {"time": "2025-01-20"}  # read before it was dropped

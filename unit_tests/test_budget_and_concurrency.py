"""Memory per campaign: no budget keeps requests, cursors share what is equal, threads and look-ahead as documented."""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.sources.types import Record
from airbyte_cdk.test.mock_http import HttpMocker

from source_braze_campaigns.cdk_compat import PENDING_PARTITIONS, STATELESS_PARTS, ForgetfulConcurrentCursor
from source_braze_campaigns.source import SourceBrazeCampaigns
from unit_tests.builders import ConfigBuilder, a_campaigns_list_response, given_the_list


def test_given_the_manifest_when_streams_are_built_then_no_client_side_budget_holds_or_delays_requests() -> None:
    # Braze's 429 and X-RateLimit-Reset are the limit (test_error_handling.py: bounded, logged waits);
    # the CDK's policies would keep every request (moving window) or sleep past the cap (fixed window).
    source = SourceBrazeCampaigns(config=ConfigBuilder().build())
    source.streams(source._config)
    assert source._constructor._api_budget is None


@pytest.mark.parametrize(("num_workers", "readers"), [(None, 8), (1, 1), (4, 4), (32, 32)])
def test_given_num_workers_when_the_source_is_built_then_that_many_threads_read_and_one_more_generates(
    num_workers: int | None, readers: int
) -> None:
    config = ConfigBuilder().build()
    config.pop("num_workers", None)
    if num_workers is not None:
        config["num_workers"] = num_workers
    manager = SourceBrazeCampaigns(config=config)._concurrent_source._threadpool
    assert manager._threadpool._max_workers == readers
    assert manager._generation._max_workers == 1
    assert manager._max_concurrent_tasks == PENDING_PARTITIONS


def _two_campaigns_of_one_window() -> tuple[Any, list[Any]]:
    """campaigns_analytics over 30 days of campaigns c1 and c2, and its partitions: one window each."""
    config = ConfigBuilder().with_start_date("2025-01-01").with_end_date("2025-01-30").build()
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").with_campaign("c2").build())
        streams = SourceBrazeCampaigns(config=config).streams(config)
        (stream,) = [stream for stream in streams if stream.name == "campaigns_analytics"]
        return stream, list(stream.generate_partitions())


def test_given_many_campaigns_when_cursors_are_built_then_they_share_stateless_parts_and_drop_closed_windows() -> None:
    stream, partitions = _two_campaigns_of_one_window()
    per_campaign = stream.cursor._cursor_per_partition
    first, second = per_campaign.values()
    assert isinstance(first, ForgetfulConcurrentCursor) and isinstance(second, ForgetfulConcurrentCursor)
    assert all(getattr(first, part) is getattr(second, part) for part in STATELESS_PARTS)

    partition = partitions[0]
    record = Record(data={"time": "2025-01-20"}, stream_name=stream.name, associated_slice=partition.to_slice())
    earlier = Record(data={"time": "2025-01-12"}, stream_name=stream.name, associated_slice=partition.to_slice())
    stream.cursor.observe(record)
    stream.cursor.observe(earlier)  # the latest day of a window counts, whatever the order
    cursor = per_campaign[stream.cursor._to_partition_key(partition.to_slice().partition)]
    stream.cursor.close_partition(partition)
    assert not cursor._most_recent_cursor_value_per_partition
    assert cursor.state == {"time": "2025-01-20"}  # handed over at close, read, then dropped


def test_given_a_campaign_whose_windows_all_closed_when_state_is_written_then_only_its_entry_is_kept() -> None:
    stream, (first, second) = _two_campaigns_of_one_window()
    cursor = stream.cursor
    for partition, day in ((first, "2025-01-20"), (second, "2025-01-28")):
        cursor.observe(Record(data={"time": day}, stream_name=stream.name, associated_slice=partition.to_slice()))
    cursor.close_partition(first)

    c1, c2 = first.to_slice().partition, second.to_slice().partition
    assert list(cursor._cursor_per_partition) == [cursor._to_partition_key(c2)]  # c1's ConcurrentCursor dropped
    assert cursor.state["states"] == [
        {"partition": c1, "cursor": {"time": "2025-01-20"}},
        {"partition": c2, "cursor": {"time": "2025-01-01"}},  # open: the CDK's cursor, at the start date
    ]
    cursor.close_partition(second)
    assert not cursor._cursor_per_partition
    assert cursor.state["states"] == [
        {"partition": c1, "cursor": {"time": "2025-01-20"}},
        {"partition": c2, "cursor": {"time": "2025-01-28"}},
    ]

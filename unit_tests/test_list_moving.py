"""The campaign list can move under a sync: no campaign read twice, none skipped.

The sandbox changes its workspace right after serving a given list page, as a user archiving,
deleting or creating a campaign in the dashboard during a sync would. Braze pages by position, so
a deletion on a page already read slides the next page's first campaign onto it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest

from braze_sandbox import SANDBOX_API_KEY, Sandbox, SandboxConfig
from unit_tests.harness import records_of, run_read

TODAY = date(2026, 6, 30)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=4, campaigns=230, days=30, today=TODAY)) as sb:
        yield sb


def listed(sb: Sandbox, stream: str = "campaigns", include_archived: bool = True) -> Counter:
    config = {"url": sb.url, "api_key": SANDBOX_API_KEY, "include_archived": include_archived, "num_workers": 2}
    key = "id" if stream == "campaigns" else "campaign_id"
    return Counter(record[key] for record in records_of(run_read(config, [stream]), stream))


def oldest_first(sb: Sandbox, include_archived: bool = True) -> list[str]:
    return [entry["id"] for entry in sb.data.campaigns(include_archived=include_archived)]


def test_given_a_campaign_deleted_after_the_first_page_when_listing_then_the_campaign_pushed_onto_it_is_not_skipped(
    sandbox: Sandbox,
) -> None:
    before = oldest_first(sandbox)
    pushed_back = before[100]  # first of page 1: once page 0 loses one, it is page 0's last
    sandbox.change_campaigns("delete", before[10], after_list_page=0)
    counts = listed(sandbox)
    assert set(counts) == set(before) and max(counts.values()) == 1
    assert pushed_back in counts


def test_given_a_campaign_archived_during_a_read_without_archived_when_listing_then_none_is_skipped(
    sandbox: Sandbox,
) -> None:
    before = oldest_first(sandbox, include_archived=False)
    sandbox.change_campaigns("archive", before[0], after_list_page=0)
    counts = listed(sandbox, include_archived=False)
    # the archived campaign was read before it was archived; every other one once
    assert set(counts) == set(before) and max(counts.values()) == 1


def test_given_a_campaign_created_during_a_read_when_listing_then_it_is_read_once_with_the_last_page(
    sandbox: Sandbox,
) -> None:
    before = oldest_first(sandbox)
    sandbox.change_campaigns("create", after_list_page=1)
    counts = listed(sandbox)
    created = set(counts) - set(before)
    assert len(created) == 1 and set(oldest_first(sandbox)) == set(counts)
    assert max(counts.values()) == 1


def test_given_a_deletion_during_the_read_when_reading_details_then_every_remaining_campaign_is_a_partition(
    sandbox: Sandbox,
) -> None:
    before = oldest_first(sandbox)
    sandbox.change_campaigns("delete", before[3], after_list_page=0)
    counts = listed(sandbox, stream="campaigns_details")
    assert set(counts) == set(before) - {before[3]} and max(counts.values()) == 1

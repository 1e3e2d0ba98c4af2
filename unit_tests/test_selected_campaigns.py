"""SelectedCampaigns: the list keeps only `campaign_ids` (all when empty) and counts them for the progress log."""

from __future__ import annotations

from typing import Any

import pytest

from source_braze_campaigns.components import SelectedCampaigns

LISTED = [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}]


def _kept(config: dict[str, Any]) -> list[str]:
    selected = SelectedCampaigns(config=config, parameters={})
    return [record["id"] for record in selected.filter_records(LISTED, stream_state={})]


@pytest.mark.parametrize("config", [{}, {"campaign_ids": []}, {"campaign_ids": None}])
def test_given_no_campaign_ids_when_filtering_then_every_campaign_is_kept(config: dict[str, Any]) -> None:
    assert _kept(config) == ["c1", "c2", "c3"]


def test_given_campaign_ids_when_filtering_then_only_those_are_kept_in_list_order() -> None:
    assert _kept({"campaign_ids": ["c3", "c1", "not-listed"]}) == ["c1", "c3"]

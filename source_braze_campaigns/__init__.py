"""Airbyte source for Braze campaign analytics."""

from source_braze_campaigns.fast_import import each_source_parsed_once

with each_source_parsed_once():  # the CDK is first imported here; see fast_import.py
    from source_braze_campaigns.source import SourceBrazeCampaigns

__all__ = ["SourceBrazeCampaigns"]

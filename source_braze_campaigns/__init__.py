"""Airbyte source for Braze campaign analytics."""

from source_braze_campaigns.source import SourceBrazeCampaigns

__all__ = ["SourceBrazeCampaigns"]

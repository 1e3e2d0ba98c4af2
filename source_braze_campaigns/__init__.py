"""Airbyte source for Braze campaign analytics."""

from source_braze_campaigns import ast_lock

ast_lock.install()

from source_braze_campaigns.source import SourceBrazeCampaigns  # noqa: E402 - after the lock

__all__ = ["SourceBrazeCampaigns"]

"""Airbyte source for Braze campaign analytics."""

# cdk_compat first: it is the package's first import of the CDK, done with each source text parsed once.
from source_braze_campaigns import cdk_compat  # noqa: F401
from source_braze_campaigns.source import SourceBrazeCampaigns

__all__ = ["SourceBrazeCampaigns"]

"""The custom components manifest.yaml names: the few behaviours it cannot express declaratively.

Each lives in the module of its concept and says in its docstring why the built-in CDK
components fall short; everything else (requests, auth, retries, rate limits, paging, windows,
state, concurrency) is declared in manifest.yaml.
"""

from source_braze_campaigns.canvas_records import CanvasDataSeriesExtractor
from source_braze_campaigns.day_windows import DayWindowRequester
from source_braze_campaigns.dimensions import DetailsDimensionExtractor
from source_braze_campaigns.errors import BrazeBackoffStrategy, BrazeErrorHandler
from source_braze_campaigns.list_paging import CampaignListExtractor, RereadingPageIncrement
from source_braze_campaigns.records import DataSeriesExtractor, SelectedCampaigns, flatten_day
from source_braze_campaigns.schema_loader import (
    CanvasStatsSchemaLoader,
    ChannelStatsSchemaLoader,
    build_canvas_schema,
    build_schema,
)
from source_braze_campaigns.shared_responses import SharedResponsesRequester
from source_braze_campaigns.state import NormalizeCampaignState

__all__ = [
    "BrazeBackoffStrategy",
    "BrazeErrorHandler",
    "CampaignListExtractor",
    "CanvasDataSeriesExtractor",
    "CanvasStatsSchemaLoader",
    "ChannelStatsSchemaLoader",
    "DataSeriesExtractor",
    "DayWindowRequester",
    "DetailsDimensionExtractor",
    "NormalizeCampaignState",
    "RereadingPageIncrement",
    "SelectedCampaigns",
    "SharedResponsesRequester",
    "build_canvas_schema",
    "build_schema",
    "flatten_day",
]

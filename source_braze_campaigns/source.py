"""The connector: Braze's campaign endpoints as declared in manifest.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.concurrency_level import ConcurrencyLevel
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models import ConcurrencyLevel as ConcurrencyLevelModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream

from source_braze_campaigns import cdk_compat, families, response_cache

MANIFEST = Path(__file__).parent / "manifest.yaml"
ANALYTICS_STREAMS = {"campaigns_analytics", "campaigns_analytics_variations"}
CANVAS_ANALYTICS_STREAMS = {"canvases_analytics", "canvases_analytics_variants", "canvases_analytics_steps"}
# Each data_series requester and the streams that share its responses through the cache.
SHARED_RESPONSES = {
    "data_series_requester": ANALYTICS_STREAMS,
    "canvas_data_series_requester": CANVAS_ANALYTICS_STREAMS,
}


def load_manifest(
    catalog: ConfiguredAirbyteCatalog | None = None, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The packaged manifest, read by absolute path whatever the working directory holds.

    The data_series response cache exists so that the two analytics streams share responses;
    it costs about a third of a read's CPU (SQLite writes and reads of every body), so it is
    turned off when a catalog selects only one of the two streams (for canvases: one of three).
    `check` checks the families `replicate` chooses (families.py).
    """
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    if catalog is not None and catalog.streams:
        selected = {configured.stream.name for configured in catalog.streams}
        for requester, sharing in SHARED_RESPONSES.items():
            manifest["definitions"][requester]["use_cache"] = len(sharing & selected) > 1
    families.apply(manifest, config)
    return manifest


class SourceBrazeCampaigns(ConcurrentDeclarativeSource):
    """Braze campaign analytics; see manifest.yaml for the streams."""

    def __init__(
        self,
        catalog: ConfiguredAirbyteCatalog | None = None,
        config: Mapping[str, Any] | None = None,
        state: list[AirbyteStateMessage] | None = None,
    ) -> None:
        cdk_compat.check()
        super().__init__(
            catalog=catalog or ConfiguredAirbyteCatalog(streams=[]),
            config=config or {},
            state=state or [],
            source_config=load_manifest(catalog, config),
        )
        cdk_compat.use_lean_cursors(self)
        cdk_compat.use_bounded_concurrent_source(self, readers=self._readers(config or {}))

    def _readers(self, config: Mapping[str, Any]) -> int:
        """The manifest's concurrency_level (`num_workers`), as the CDK computes it."""
        level = ModelToComponentFactory().create_component(
            model_type=ConcurrencyLevelModel,
            component_definition=self.resolved_manifest["concurrency_level"],
            config=config,
        )
        assert isinstance(level, ConcurrencyLevel)
        return level.get_concurrency_level()

    def streams(self, config: Mapping[str, Any]) -> list[AbstractStream]:
        """The CDK's streams, after the streams of each stream group share one response cache file
        (response_cache.py), before any of their requesters opens its file."""
        for name, group in self.resolved_manifest.get("stream_groups", {}).items():
            response_cache.share(name, [str(stream["name"]) for stream in group["streams"]])
        return super().streams(config)

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        """The config as given. The CDK's default also writes it, API key included, to a file in
        the run's temporary folder, which a killed process leaves behind; nothing reads it."""
        return config

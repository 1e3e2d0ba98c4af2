"""The connector: Braze's campaign endpoints as declared in manifest.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models import ConcurrencyLevel as ConcurrencyLevelModel

from source_braze_campaigns import budget, concurrency, families, lean_cursors

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
        super().__init__(
            catalog=catalog or ConfiguredAirbyteCatalog(streams=[]),
            config=config or {},
            state=state or [],
            source_config=load_manifest(catalog, config),
        )
        budget.install(self._constructor)
        lean_cursors.install(self._constructor)
        self._concurrent_source = self._bounded_concurrent_source()

    def _bounded_concurrent_source(self) -> ConcurrentSource:
        """The CDK's ConcurrentSource with the manifest's concurrency_level (`num_workers`) reading
        threads and a bounded look-ahead (`concurrency.py` says why)."""
        level = self._constructor.create_component(
            model_type=ConcurrencyLevelModel,
            component_definition=self._source_config["concurrency_level"],
            config=self._config,
        )
        return concurrency.concurrent_source(
            readers=level.get_concurrency_level(),
            logger=self.logger,
            slice_logger=self._slice_logger,
            # The queue the CDK's message repository already writes to.
            queue=self._concurrent_source._queue,  # noqa: SLF001
            message_repository=self._message_repository,
        )

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        """The config as given. The CDK's default also writes it, API key included, to a file in
        the run's temporary folder, which a killed process leaves behind; nothing reads it."""
        return config

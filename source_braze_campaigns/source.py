"""The connector: Braze's campaign endpoints as declared in manifest.yaml."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.concurrency_level import ConcurrencyLevel
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models import ConcurrencyLevel as ConcurrencyLevelModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

from source_braze_campaigns import cdk_compat, families

MANIFEST = Path(__file__).parent / "manifest.yaml"
# Each manifest stream group whose streams send the same requests, and where in `definitions` its
# requester (a SharedResponsesRequester) is declared.
SHARED_REQUESTERS: dict[str, tuple[str, ...]] = {
    "data_series": ("analytics_stream", "retriever", "requester"),
    "canvas_data_series": ("canvas_analytics_stream", "retriever", "requester"),
    "campaign_details": ("details_requester",),
    "canvas_details": ("canvas_details_requester",),
}


def group_streams(manifest: Mapping[str, Any], group: str) -> set[str]:
    """The names of the streams of stream group `group` (its `$ref`s name them)."""
    return {str(stream["$ref"]).rsplit("/", 1)[-1] for stream in manifest["stream_groups"][group]["streams"]}


def load_manifest(
    catalog: ConfiguredAirbyteCatalog | None = None, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The packaged manifest, read by absolute path whatever the working directory holds.

    Each stream group's requester learns how many of the group's streams the catalog selects
    (`readers`) and the name of the group's spool for this sync (`shared_responses`): the first
    of them to send a request keeps the response for the others (shared_responses.py); with one
    selected, nothing is kept. `check` checks the families `replicate` chooses (families.py).
    """
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    selected = {configured.stream.name for configured in catalog.streams} if catalog is not None else set()
    sync = uuid.uuid4().hex
    for group, path in SHARED_REQUESTERS.items():
        requester = functools.reduce(lambda node, key: node[key], path, manifest["definitions"])
        requester["readers"] = len(group_streams(manifest, group) & selected)
        requester["shared_responses"] = f"{group}-{sync}"
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

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        """The config as given. The CDK's default also writes it, API key included, to a file in
        the run's temporary folder, which a killed process leaves behind; nothing reads it."""
        return config

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

from source_braze_campaigns import cdk_compat, families, shared_responses

MANIFEST = Path(__file__).parent / "manifest.yaml"
# PyYAML's libyaml loader where the wheel has it: the manifest in 3 ms instead of 33 (the same document).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_manifest(
    catalog: ConfiguredAirbyteCatalog | None = None, config: Mapping[str, Any] | None = None, sync: str = ""
) -> dict[str, Any]:
    """The packaged manifest, read by absolute path whatever the working directory holds.

    Each `shared_responses` group's requester learns how many of the group's streams the catalog
    selects (`readers`; with one, nothing is kept) and the sync whose spools and request limit it
    uses (shared_responses.py). `check` checks the families `replicate` chooses (families.py).
    """
    manifest: dict[str, Any] = yaml.load(MANIFEST.read_text(), Loader=SAFE_LOADER)
    selected = {configured.stream.name for configured in catalog.streams} if catalog is not None else set()
    for group, sharing in shared_groups(manifest).items():
        readers = len(set(sharing["streams"]) & selected)
        shared_requester(manifest, group).update(sync=sync, group=group, readers=readers)
    families.apply(manifest, config)
    return manifest


def shared_groups(manifest: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    """The manifest's `shared_responses` groups: each one's requester path, streams and `side_by_side`."""
    groups: Mapping[str, Mapping[str, Any]] = manifest["definitions"]["shared_responses"]
    return groups


def shared_requester(manifest: Mapping[str, Any], group: str) -> dict[str, Any]:
    """The declaration of the SharedResponsesRequester of `shared_responses` group `group`."""
    path = shared_groups(manifest)[group]["requester"]
    return functools.reduce(lambda node, key: node[key], path, manifest["definitions"])


class SourceBrazeCampaigns(ConcurrentDeclarativeSource):
    """Braze campaign analytics; see manifest.yaml for the streams."""

    def __init__(
        self,
        catalog: ConfiguredAirbyteCatalog | None = None,
        config: Mapping[str, Any] | None = None,
        state: list[AirbyteStateMessage] | None = None,
    ) -> None:
        cdk_compat.check()
        sync = uuid.uuid4().hex
        manifest = load_manifest(catalog, config, sync)
        super().__init__(
            catalog=catalog or ConfiguredAirbyteCatalog(streams=[]),
            config=config or {},
            state=state or [],
            source_config=manifest,
        )
        cdk_compat.use_lean_cursors(self)
        requests_at_once = self._readers(config or {})
        # A list is read by every stream of its family, one page at a time: it needs the single
        # flight, not threads of its own.
        sharing = max(
            shared_requester(manifest, group)["readers"]
            for group, declared in shared_groups(manifest).items()
            if declared.get("side_by_side", True)
        )
        if sharing > 1:  # more reading threads than num_workers: keep num_workers requests out at most
            shared_responses.limit_in_flight(sync, requests_at_once)
        cdk_compat.use_bounded_concurrent_source(
            self, readers=requests_at_once * max(sharing, 1), generators=max(sharing, 1)
        )

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

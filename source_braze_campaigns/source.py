"""The connector: Braze's campaign endpoints as declared in manifest.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

MANIFEST = Path(__file__).parent / "manifest.yaml"


class SourceBrazeCampaigns(YamlDeclarativeSource):
    """Loads the packaged manifest by absolute path, whatever the working directory holds."""

    def __init__(
        self,
        catalog: ConfiguredAirbyteCatalog | None = None,
        config: Mapping[str, Any] | None = None,
        state: list[AirbyteStateMessage] | None = None,
    ) -> None:
        super().__init__(path_to_yaml=str(MANIFEST), catalog=catalog, config=config, state=state)

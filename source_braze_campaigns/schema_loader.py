"""The analytics streams' JSON schemas, composed from the per-channel fragments in schemas/shared/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any

from airbyte_cdk.sources.declarative.schema.schema_loader import SchemaLoader

from source_braze_campaigns.records import as_bool

SHARED_SCHEMAS = Path(__file__).parent / "schemas" / "shared"


@dataclass
class ChannelStatsSchemaLoader(SchemaLoader):
    """Builds the analytics streams' schemas from the per-channel fragments in schemas/shared/.

    Why not JsonFileSchemaLoader: the flattened stream's columns are the union of every
    channel's fields, and JSON Schema cannot merge the properties of several `$ref`s into one
    flat object (only `allOf`, which destinations do not turn into columns). Composing here
    keeps one fragment per channel as the single place a Braze field is declared.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    channels: Mapping[str, str] = field(default_factory=dict)
    flatten_variations: Any = False

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._flatten = as_bool(parameters.get("flatten_variations", self.flatten_variations))

    def get_json_schema(self) -> Mapping[str, Any]:
        return build_schema(self.channels, flatten=self._flatten)


def _fragment(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = json.loads((SHARED_SCHEMAS / name).read_text())["properties"]
    return properties


def _merge(target: dict[str, Any], source: Mapping[str, Any], where: str) -> None:
    for name, spec in source.items():
        if name in target and target[name].get("type") != spec.get("type"):
            raise ValueError(f"Field {name!r} has two types in the schema fragments ({where}).")
        target.setdefault(name, spec)


def build_schema(channels: Mapping[str, str], flatten: bool) -> dict[str, Any]:
    """The JSON schema of campaigns_analytics (flatten=False) or its variations table."""
    key = {"type": "string"}
    outcomes = _fragment("outcomes.json")
    variation = {**_fragment("variation.json"), **outcomes}
    properties: dict[str, Any] = {
        "campaign_id": {**key, "description": "Campaign API identifier."},
        "time": {**key, "format": "date", "description": "The day (UTC) as Braze reports it."},
    }
    if flatten:
        properties["channel"] = {**key, "description": "Messaging channel, as Braze names it."}
        properties["variation_key"] = {
            **key,
            "description": "variation_api_id, else variation_name, else the entry's position; "
            "unique per day and channel.",
        }
        _merge(properties, variation, "variation")
        for name in sorted(set(channels.values())):
            _merge(properties, _fragment(name), name)
    else:
        _merge(properties, outcomes, "outcomes")
        properties["messages"] = {
            "type": ["null", "object"],
            "description": "Per-channel lists of per-variation stats, as Braze sends them.",
            "properties": {
                channel: {
                    "type": ["null", "array"],
                    "items": {
                        "type": "object",
                        "properties": {**variation, **_fragment(fragment)},
                        "additionalProperties": True,
                    },
                }
                for channel, fragment in channels.items()
            },
            "additionalProperties": {"type": ["null", "array"], "items": {"type": "object"}},
        }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
        "additionalProperties": True,
    }

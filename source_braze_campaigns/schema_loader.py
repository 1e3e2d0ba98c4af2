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
        properties["messages"] = _typed_messages(channels, variation)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
        "additionalProperties": True,
    }


CANVAS_SHAPES = ("days", "variants", "steps")


@dataclass
class CanvasStatsSchemaLoader(SchemaLoader):
    """Builds the canvas analytics streams' schemas from the same schemas/shared/ fragments.

    Why not JsonFileSchemaLoader: as for the campaign streams (ChannelStatsSchemaLoader), a
    step's messages and the steps table are typed by the per-channel fragments, which JSON
    Schema cannot merge into one flat object. `shape` is the stream: `days` (one record per
    canvas and day), `variants` (per variant) or `steps` (per step, channel and variation).
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    channels: Mapping[str, str] = field(default_factory=dict)
    shape: str = "days"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._shape = str(parameters.get("shape", self.shape))
        if self._shape not in CANVAS_SHAPES:
            raise ValueError(f"Unknown canvas analytics shape {self._shape!r}; one of {CANVAS_SHAPES}.")

    def get_json_schema(self) -> Mapping[str, Any]:
        return build_canvas_schema(self.channels, self._shape)


def _typed_messages(channels: Mapping[str, str], variation: Mapping[str, Any]) -> dict[str, Any]:
    """Per-channel lists of per-variation stats, as Braze sends them, typed by the fragments."""
    return {
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


def build_canvas_schema(channels: Mapping[str, str], shape: str) -> dict[str, Any]:
    """The JSON schema of canvases_analytics (`days`), its variants table or its steps table."""
    key = {"type": "string"}
    canvas = _fragment("canvas_outcomes.json")
    variation = {**_fragment("variation.json"), **_fragment("outcomes.json")}
    properties: dict[str, Any] = {
        "canvas_id": {**key, "description": "Canvas API identifier."},
        "time": {**key, "format": "date", "description": "The day as Braze reports it."},
    }
    if shape == "days":
        _merge(properties, canvas, "canvas_outcomes")
        variant = {"name": {"type": ["null", "string"]}, **canvas}
        step = {
            "name": {"type": ["null", "string"]},
            **canvas,
            "unique_recipients": _fragment("outcomes.json")["unique_recipients"],
            "messages": _typed_messages(channels, variation),
        }
        for name, stats, description in (
            ("variant_stats", variant, "Per-variant stats keyed by variant id, as Braze sends them."),
            ("step_stats", step, "Per-step stats keyed by step id, as Braze sends them."),
        ):
            properties[name] = {
                "type": ["null", "object"],
                "description": description,
                "additionalProperties": {"type": "object", "properties": stats, "additionalProperties": True},
            }
    elif shape == "variants":
        properties["variant_id"] = {**key, "description": "Canvas variant API identifier."}
        properties["variant_name"] = {"type": ["null", "string"], "description": "The variant's name."}
        _merge(properties, canvas, "canvas_outcomes")
    else:
        properties["step_id"] = {**key, "description": "Canvas step API identifier."}
        properties["step_name"] = {"type": ["null", "string"], "description": "The step's name."}
        properties["channel"] = {**key, "description": "Messaging channel, as Braze names it."}
        properties["variation_key"] = {
            **key,
            "description": "variation_api_id, else variation_name, else the entry's position; "
            "unique per day, step and channel.",
        }
        _merge(properties, variation, "variation")
        for name in sorted(set(channels.values())):
            _merge(properties, _fragment(name), name)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
        "additionalProperties": True,
    }

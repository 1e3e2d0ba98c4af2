"""ChannelStatsSchemaLoader / build_schema: analytics schemas composed from schemas/shared/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from source_braze_campaigns import schema_loader
from source_braze_campaigns.components import ChannelStatsSchemaLoader, build_schema, flatten_day
from source_braze_campaigns.source import MANIFEST
from unit_tests.builders import load_fixture

SHARED = schema_loader.SHARED_SCHEMAS
CROSS_CHANNEL = {"outcomes.json", "variation.json"}
# Typed by the canvas streams only (test_canvas_stats_schema_loader.py).
CANVAS_ONLY = {"canvas_outcomes.json"}


def _manifest_channels() -> dict[str, str]:
    manifest = yaml.safe_load(MANIFEST.read_text())
    return manifest["definitions"]["analytics_stream"]["schema_loader"]["channels"]


def _fragment(name: str) -> dict[str, Any]:
    return json.loads((SHARED / name).read_text())["properties"]


def _types(spec: dict[str, Any]) -> set[str]:
    kind = spec.get("type")
    return set(kind) if isinstance(kind, list) else {kind}


CHANNELS = _manifest_channels()


def test_given_the_manifest_when_listing_channel_fragments_then_every_shared_fragment_is_used_and_exists() -> None:
    channel_fragments = {path.name for path in SHARED.glob("*.json")} - CROSS_CHANNEL - CANVAS_ONLY

    assert set(CHANNELS.values()) == channel_fragments
    assert {"email", "sms", "whats_app", "webhook", "ios_push", "android_push", "kindle_push", "web_push"} <= set(
        CHANNELS
    )
    assert {"content_cards", "in_app_message", "trigger_in_app_message"} <= set(CHANNELS)


def test_given_every_channel_when_building_the_flat_schema_then_every_fragment_field_is_a_column() -> None:
    schema = build_schema(CHANNELS, flatten=True)

    columns = set(schema["properties"])
    for name in set(CHANNELS.values()) | CROSS_CHANNEL:
        assert set(_fragment(name)) <= columns, name
    assert {"campaign_id", "time", "channel", "variation_key"} <= columns
    assert schema["additionalProperties"] is True


def test_given_every_channel_when_building_the_daily_schema_then_each_channel_lists_its_fragment_and_outcomes() -> None:
    schema = build_schema(CHANNELS, flatten=False)

    messages = schema["properties"]["messages"]
    assert set(messages["properties"]) == set(CHANNELS)
    for channel, fragment in CHANNELS.items():
        item = messages["properties"][channel]["items"]
        expected = set(_fragment(fragment)) | set(_fragment("variation.json")) | set(_fragment("outcomes.json"))
        assert set(item["properties"]) == expected, channel
        assert item["additionalProperties"] is True
    assert set(_fragment("outcomes.json")) <= set(schema["properties"])
    assert messages["additionalProperties"]["type"] == ["null", "array"]


@pytest.mark.parametrize("flatten", [False, True])
def test_given_counts_and_revenue_when_building_then_counts_are_integers_and_revenue_a_number(flatten: bool) -> None:
    schema = build_schema(CHANNELS, flatten=flatten)

    properties = schema["properties"]
    if not flatten:
        properties = {**properties, **schema["properties"]["messages"]["properties"]["email"]["items"]["properties"]}
    assert _types(properties["revenue"]) == {"null", "number"}
    for name in ("sent", "unique_recipients", "conversions", "conversions3_by_send_time", "enrolled", "opens"):
        assert _types(properties[name]) == {"null", "integer"}, name
    assert _types(properties["time"]) == {"string"}
    assert properties["time"]["format"] == "date"


def test_given_the_shared_fragments_when_reading_them_then_every_stat_except_ids_and_revenue_is_an_integer() -> None:
    for path in SHARED.glob("*.json"):
        for name, spec in _fragment(path.name).items():
            if name in {"variation_api_id", "variation_name"}:
                assert _types(spec) == {"null", "string"}
            elif name == "revenue":
                assert _types(spec) == {"null", "number"}
            else:
                assert _types(spec) == {"null", "integer"}, f"{path.name}: {name}"


def test_given_two_fragments_typing_one_field_differently_when_building_then_it_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shutil.copytree(SHARED, shared)
    (shared / "odd.json").write_text(json.dumps({"properties": {"sent": {"type": ["null", "string"]}}}))
    monkeypatch.setattr(schema_loader, "SHARED_SCHEMAS", shared)

    with pytest.raises(ValueError, match="sent"):
        build_schema({**CHANNELS, "odd_channel": "odd.json"}, flatten=True)


@pytest.mark.parametrize(("flatten", "stream_fields"), [(False, {"messages"}), (True, {"channel", "variation_key"})])
def test_given_manifest_parameters_when_loading_then_the_schema_matches_the_stream_shape(
    flatten: bool, stream_fields: set[str]
) -> None:
    loader = ChannelStatsSchemaLoader(
        config={}, parameters={"flatten_variations": str(flatten).lower()}, channels=CHANNELS
    )

    schema = loader.get_json_schema()

    assert schema == build_schema(CHANNELS, flatten=flatten)
    assert stream_fields <= set(schema["properties"])


@pytest.mark.parametrize(
    "fixture",
    ["data_series", "data_series_multivariate", "data_series_push_control_group", "data_series_unknown_channel"],
)
def test_given_the_response_fixtures_when_validating_records_then_they_match_the_schemas(fixture: str) -> None:
    day = {**load_fixture(fixture)["data"][0], "campaign_id": "c1"}

    jsonschema.Draft7Validator(build_schema(CHANNELS, flatten=False)).validate(day)
    for row in flatten_day(day):
        jsonschema.Draft7Validator(build_schema(CHANNELS, flatten=True)).validate(row)

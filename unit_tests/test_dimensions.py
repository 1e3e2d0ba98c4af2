"""dimensions: the rows made of one details body, for campaigns and canvases, and the extractor that picks them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from source_braze_campaigns import cdk_compat
from source_braze_campaigns.dimensions import (
    DIMENSIONS,
    DetailsDimensionExtractor,
    campaign_message_variations,
    canvas_message_variations,
    canvas_variants,
    conversion_behaviors,
    conversion_column,
)
from unit_tests.builders import load_fixture

CANVAS = "0a1b2c3d-0000-4000-8000-000000000000"
SCHEMAS = Path(__file__).resolve().parents[1] / "source_braze_campaigns" / "schemas"
FOUR_BEHAVIORS = [
    {"type": "Makes Any Purchase", "window": 259200},
    {"type": "Performs Custom Event", "window": 86400, "custom_event_name": "signup"},
    {"type": "Makes Specific Purchase", "window": 604800, "product": "gift_card"},
    {"type": "Opens App", "window": 172800, "app_ids": ["app-1"], "future_field": 7},
]


def a_response(url: str, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()  # noqa: SLF001 - building a response by hand
    response.request = requests.Request("GET", url).prepare()
    return response


# ---- campaigns --------------------------------------------------------------------------------


def test_given_campaign_messages_when_extracting_variations_then_each_is_a_row_keyed_by_its_id() -> None:
    rows = list(campaign_message_variations("c1", load_fixture("campaigns_details")))

    assert rows == [
        {
            "campaign_id": "c1",
            "variation_api_id": "5f1b2c3d-0000-4000-8000-000000000001",
            "channel": "email",
            "name": "Variant A",
            "is_control": False,
        },
        {
            "campaign_id": "c1",
            "variation_api_id": "5f1b2c3d-0000-4000-8000-000000000002",
            "channel": "email",
            "name": "Control Group",
            "is_control": True,
        },
    ]


def test_given_an_in_app_message_of_type_modal_when_extracting_variations_then_it_is_not_a_control() -> None:
    details = {"messages": {"m1": {"channel": "in_app_message", "type": "modal", "name": "Pop"}}}

    (row,) = campaign_message_variations("c1", details)

    assert (row["name"], row["is_control"]) == ("Pop", False)


@pytest.mark.parametrize("messages", [None, {}, [], "x", {"m1": "not an object"}])
def test_given_no_usable_messages_when_extracting_variations_then_there_are_no_rows(messages: Any) -> None:
    assert list(campaign_message_variations("c1", {"messages": messages})) == []


def test_given_four_behaviors_when_extracting_then_a_to_d_explain_conversions_to_conversions3() -> None:
    rows = list(conversion_behaviors("c1", {"conversion_behaviors": FOUR_BEHAVIORS}))

    assert [(row["slot"], row["conversion_column"], row["label"]) for row in rows] == [
        ("A", "conversions", "Makes Any Purchase"),
        ("B", "conversions1", "Performs Custom Event: signup"),
        ("C", "conversions2", "Makes Specific Purchase: gift_card"),
        ("D", "conversions3", "Opens App"),
    ]
    assert rows[3] == {
        "campaign_id": "c1",
        "conversion_column": "conversions3",
        "slot": "D",
        "type": "Opens App",
        "window_seconds": 172800,
        "app_ids": ["app-1"],
        "future_field": 7,
        "label": "Opens App",
    }


def test_given_a_behavior_that_is_not_an_object_when_extracting_then_the_next_keeps_its_position() -> None:
    rows = list(conversion_behaviors("c1", {"conversion_behaviors": ["?", FOUR_BEHAVIORS[1]]}))

    assert [(row["conversion_column"], row["custom_event_name"]) for row in rows] == [("conversions1", "signup")]


@pytest.mark.parametrize("details", [{}, {"conversion_behaviors": None}, {"conversion_behaviors": []}])
def test_given_no_behaviors_when_extracting_then_there_are_no_rows(details: dict[str, Any]) -> None:
    assert list(conversion_behaviors("c1", details)) == []


def test_conversion_columns_are_named_as_data_series_names_them() -> None:
    assert [conversion_column(index) for index in range(4)] == [
        "conversions",
        "conversions1",
        "conversions2",
        "conversions3",
    ]


# ---- canvases ---------------------------------------------------------------------------------


def test_given_canvas_steps_when_extracting_variations_then_each_message_is_a_row_with_its_step() -> None:
    rows = list(canvas_message_variations(CANVAS, load_fixture("canvas_details")))

    assert [(row["step_name"], row["step_type"], row["channel"], row["name"]) for row in rows] == [
        ("Welcome email", "message", "email", "Welcome"),
        ("Nudge", "message", "ios_push", None),
        ("Nudge", "message", "email", "Nudge email"),
    ]
    assert rows[1] == {
        "canvas_id": CANVAS,
        "step_id": "0a1b2c3d-2222-4000-8000-00000000b003",
        "step_name": "Nudge",
        "step_type": "message",
        "variation_api_id": "0a1b2c3d-3333-4000-8000-00000000c002",
        "channel": "ios_push",
        "name": None,
        "is_control": False,
    }


def test_given_canvas_variants_when_extracting_then_each_is_a_row_with_its_first_steps() -> None:
    rows = list(canvas_variants(CANVAS, load_fixture("canvas_details")))

    assert [(row["variant_id"], row["name"], row["first_step_ids"]) for row in rows] == [
        ("0a1b2c3d-1111-4000-8000-00000000a001", "Variant 1", ["0a1b2c3d-2222-4000-8000-00000000b001"]),
        ("0a1b2c3d-1111-4000-8000-00000000a002", "Variant 2", ["0a1b2c3d-2222-4000-8000-00000000b003"]),
        # Only the deprecated single first_step_id: it becomes the list.
        ("0a1b2c3d-1111-4000-8000-00000000a003", "Control", ["0a1b2c3d-2222-4000-8000-00000000b004"]),
    ]
    assert rows[0]["canvas_id"] == CANVAS
    assert rows[0]["first_step_id"] == "0a1b2c3d-2222-4000-8000-00000000b001"  # Braze's own field, kept
    assert "id" not in rows[0]


# ---- the extractor ----------------------------------------------------------------------------


CAMPAIGN_URL = "https://braze.test/campaigns/details?campaign_id=c1"
CANVAS_URL = f"https://braze.test/canvas/details?canvas_id={CANVAS}"


@pytest.mark.parametrize(
    ("dimension", "url", "fixture", "owner"),
    [
        ("campaign_message_variations", CAMPAIGN_URL, "campaigns_details", "campaign_id"),
        ("campaign_conversion_behaviors", CAMPAIGN_URL, "campaigns_details", "campaign_id"),
        ("canvas_message_variations", CANVAS_URL, "canvas_details", "canvas_id"),
        ("canvas_variants", CANVAS_URL, "canvas_details", "canvas_id"),
    ],
)
def test_given_a_details_response_when_extracting_a_dimension_then_rows_carry_the_id_the_request_asked_for(
    dimension: str, url: str, fixture: str, owner: str
) -> None:
    extractor = DetailsDimensionExtractor(config={}, parameters={"dimension": dimension})
    body = load_fixture(fixture)

    rows = list(extractor.extract_records(a_response(url, body)))

    expected_owner = "c1" if owner == "campaign_id" else CANVAS
    assert rows == list(DIMENSIONS[dimension][1](expected_owner, body))
    assert rows and all(row[owner] == expected_owner for row in rows)


def test_given_a_body_the_error_handler_decoded_when_extracting_then_that_body_is_used() -> None:
    extractor = DetailsDimensionExtractor(config={}, parameters={"dimension": "campaign_message_variations"})
    response = a_response(CAMPAIGN_URL, {"message": "success"})
    cdk_compat.keep_body(response, {"messages": {"m1": {"channel": "sms", "name": "Short"}}})

    assert [row["name"] for row in extractor.extract_records(response)] == ["Short"]


@pytest.mark.parametrize("content", [b"<html>proxy</html>", b"[1, 2]", b'{"message": "Invalid Campaign ID"}'])
def test_given_a_body_without_details_when_extracting_then_there_are_no_rows(content: bytes) -> None:
    extractor = DetailsDimensionExtractor(config={}, parameters={"dimension": "campaign_conversion_behaviors"})
    response = a_response(CAMPAIGN_URL, {})
    response._content = content  # noqa: SLF001

    assert list(extractor.extract_records(response)) == []


def test_given_an_unknown_dimension_when_building_the_extractor_then_it_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="campaign_message_variations"):
        DetailsDimensionExtractor(config={}, parameters={"dimension": "campaign_colours"})


@pytest.mark.parametrize(
    ("stream", "dimension", "body"),
    [
        ("campaigns_message_variations", "campaign_message_variations", load_fixture("campaigns_details")),
        ("campaigns_conversion_behaviors", "campaign_conversion_behaviors", {"conversion_behaviors": FOUR_BEHAVIORS}),
        # The canvas streams' manifest entries come with the canvases stream; their schemas are here.
        ("canvases_message_variations", "canvas_message_variations", load_fixture("canvas_details")),
        ("canvases_variants", "canvas_variants", load_fixture("canvas_details")),
    ],
)
def test_given_documented_details_when_extracting_then_every_row_matches_its_stream_schema(
    stream: str, dimension: str, body: dict[str, Any]
) -> None:
    schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    rows = list(DIMENSIONS[dimension][1]("an-id", body))

    assert rows
    errors = [error.message for row in rows for error in jsonschema.Draft7Validator(schema).iter_errors(row)]
    assert not errors
    assert set(schema["properties"]) <= {field for row in rows for field in row}, "a declared field is never set"

"""campaigns_details: GET /campaigns/details for every listed campaign, with campaign_id added."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import jsonschema
from airbyte_cdk.test.mock_http import HttpMocker

import source_braze_campaigns
from braze_sandbox import BrazeData
from unit_tests.builders import (
    ConfigBuilder,
    a_campaigns_list_response,
    a_details_request,
    a_details_response,
    given_the_list,
    load_fixture,
)
from unit_tests.harness import records_of, run_read


def test_given_two_campaigns_when_reading_details_then_one_record_per_campaign_with_its_id() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["c1", "c2"]).build())
        first, second = a_details_request("c1"), a_details_request("c2")
        http_mocker.get(first, a_details_response(name="First"))
        http_mocker.get(second, a_details_response(name="Second"))

        output = run_read(ConfigBuilder().build(), ["campaigns_details"])

        http_mocker.assert_number_of_calls(first, 1)
        http_mocker.assert_number_of_calls(second, 1)
    records = sorted(records_of(output, "campaigns_details"), key=lambda record: record["campaign_id"])
    assert [(record["campaign_id"], record["name"]) for record in records] == [("c1", "First"), ("c2", "Second")]
    assert not output.errors


def test_given_a_details_body_when_reading_then_every_field_braze_sent_is_kept() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
        http_mocker.get(a_details_request("c1"), a_details_response(future_field={"x": 1}))

        output = run_read(ConfigBuilder().build(), ["campaigns_details"])

    assert records_of(output, "campaigns_details") == [
        {**load_fixture("campaigns_details"), "future_field": {"x": 1}, "campaign_id": "c1"}
    ]


def test_given_campaign_ids_when_reading_details_then_only_those_campaigns_are_asked_for() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["c1", "c2"]).build())
        http_mocker.get(a_details_request("c2"), a_details_response())

        output = run_read(ConfigBuilder().with_campaign_ids(["c2"]).build(), ["campaigns_details"])

    assert [record["campaign_id"] for record in records_of(output, "campaigns_details")] == ["c2"]
    assert not output.errors


def test_given_a_details_body_with_a_control_group_when_reading_then_it_matches_the_typed_schema() -> None:
    schemas = Path(source_braze_campaigns.__file__).parent / "schemas"
    schema = json.loads((schemas / "campaigns_details.json").read_text())
    body = load_fixture("campaigns_details")
    controls = [message for message in body["messages"].values() if message.get("type") == "control"]
    assert controls and all(set(control) == {"channel", "type"} for control in controls)
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
        http_mocker.get(a_details_request("c1"), a_details_response())
        [record] = records_of(run_read(ConfigBuilder().build(), ["campaigns_details"]), "campaigns_details")
    jsonschema.validate(record, schema)
    assert record["messages"] == body["messages"]
    assert isinstance(record["tags"], list)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:00:00\+00:00", record["first_sent"])  # date and hour
    # the sandbox's details bodies (every campaign kind) fit the same schema
    data = BrazeData(seed=1, campaigns=20, days=60, today=date(2026, 6, 30))
    for campaign_id in data.campaign_ids():
        jsonschema.validate({"campaign_id": campaign_id, "message": "success", **data.details(campaign_id)}, schema)

"""The campaign dimension streams: the real manifest, reading the details responses."""

from __future__ import annotations

from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.builders import (
    ConfigBuilder,
    a_campaigns_list_response,
    a_details_request,
    a_details_response,
    an_error_response,
    given_the_list,
)
from unit_tests.harness import records_of, run_read

DIMENSION_STREAMS = ("campaigns_message_variations", "campaigns_conversion_behaviors")
DETAILS_GROUP = ("campaigns_details", *DIMENSION_STREAMS)


def test_given_the_details_and_both_dimension_streams_when_reading_then_each_campaign_details_is_requested_once() -> (
    None
):
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["c1", "c2"]).build())
        first, second = a_details_request("c1"), a_details_request("c2")
        http_mocker.get(first, a_details_response(name="First"))
        http_mocker.get(second, a_details_response(name="Second"))

        output = run_read(ConfigBuilder().build(), DETAILS_GROUP)

        http_mocker.assert_number_of_calls(first, 1)
        http_mocker.assert_number_of_calls(second, 1)
    assert not output.errors
    assert len(records_of(output, "campaigns_details")) == 2
    assert len(records_of(output, "campaigns_message_variations")) == 4  # two messages per campaign
    assert len(records_of(output, "campaigns_conversion_behaviors")) == 4  # two behaviors per campaign


def test_given_only_one_dimension_stream_when_reading_then_it_requests_the_details_itself() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
        details = a_details_request("c1")
        http_mocker.get(details, a_details_response())

        output = run_read(ConfigBuilder().build(), ["campaigns_conversion_behaviors"])

        http_mocker.assert_number_of_calls(details, 1)
    assert [
        (row["campaign_id"], row["conversion_column"], row["label"])
        for row in records_of(output, "campaigns_conversion_behaviors")
    ] == [("c1", "conversions", "Makes Any Purchase"), ("c1", "conversions1", "Performs Custom Event: signup")]


def test_given_a_campaign_deleted_before_its_details_when_reading_dimensions_then_only_it_has_no_rows() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["gone", "c2"]).build())
        http_mocker.get(a_details_request("gone"), an_error_response(400, "error_invalid_campaign_id"))
        http_mocker.get(a_details_request("c2"), a_details_response())

        output = run_read(ConfigBuilder().build(), DIMENSION_STREAMS)

    assert not output.errors
    for stream in DIMENSION_STREAMS:
        assert {row["campaign_id"] for row in records_of(output, stream)} == {"c2"}


def test_given_variations_when_reading_then_rows_are_keyed_by_campaign_and_variation_api_id() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
        http_mocker.get(a_details_request("c1"), a_details_response())

        output = run_read(ConfigBuilder().build(), ["campaigns_message_variations"])

    rows = records_of(output, "campaigns_message_variations")
    assert sorted((row["campaign_id"], row["variation_api_id"], row["name"], row["is_control"]) for row in rows) == [
        ("c1", "5f1b2c3d-0000-4000-8000-000000000001", "Variant A", False),
        ("c1", "5f1b2c3d-0000-4000-8000-000000000002", "Control Group", True),
    ]

"""campaigns_analytics (one record per campaign and day) and campaigns_analytics_variations
(one per campaign, day, channel and variation), both read from GET /campaigns/data_series."""

from __future__ import annotations

import jsonschema
import pytest
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.builders import (
    ConfigBuilder,
    a_campaigns_list_response,
    a_data_series_request,
    a_data_series_response,
    any_data_series_request,
    given_the_list,
    load_fixture,
)
from unit_tests.harness import ANALYTICS_STREAMS, data_series_requests, records_of, run_discover, run_read

# ConfigBuilder's default range, 2025-01-01..2025-01-10: one request of 10 days per campaign.
WINDOW = {"length": 10, "last_day": "2025-01-10"}


def _mock_campaigns(http_mocker: HttpMocker, ids: list[str]) -> None:
    given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(ids).build())


def test_given_two_campaigns_when_reading_daily_analytics_then_one_record_per_campaign_and_day() -> None:
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, ["c1", "c2"])
        http_mocker.get(
            a_data_series_request("c1", **WINDOW),
            a_data_series_response().with_days("2025-01-02", "2025-01-04").build(),
        )
        http_mocker.get(a_data_series_request("c2", **WINDOW), a_data_series_response().with_day("2025-01-09").build())

        output = run_read(ConfigBuilder().build(), ["campaigns_analytics"])

    records = records_of(output, "campaigns_analytics")
    assert sorted((record["campaign_id"], record["time"]) for record in records) == [
        ("c1", "2025-01-02"),
        ("c1", "2025-01-03"),
        ("c1", "2025-01-04"),
        ("c2", "2025-01-09"),
    ]
    expected_day = load_fixture("data_series")["data"][0]
    assert {**expected_day, "time": "2025-01-09", "campaign_id": "c2"} in records
    assert not output.errors


def test_given_a_day_when_reading_variations_then_one_row_per_channel_and_variation() -> None:
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, ["c1"])
        http_mocker.get(a_data_series_request("c1", **WINDOW), a_data_series_response().with_day("2025-01-02").build())

        output = run_read(ConfigBuilder().build(), ["campaigns_analytics_variations"])

    entry = load_fixture("data_series")["data"][0]["messages"]["email"][0]
    assert records_of(output, "campaigns_analytics_variations") == [
        {
            **entry,
            "campaign_id": "c1",
            "time": "2025-01-02",
            "channel": "email",
            "variation_key": entry["variation_api_id"],
        }
    ]


def test_given_both_analytics_streams_selected_when_reading_then_each_window_is_requested_once() -> None:
    """Both streams read the same responses: the second is served from the shared cache.

    Twenty campaigns, so that the two streams, read concurrently, meet on the same campaign.
    """
    campaigns = [f"c{index:02d}" for index in range(20)]
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, campaigns)
        http_mocker.get(any_data_series_request(), a_data_series_response().with_day("2025-01-02").build())

        output = run_read(ConfigBuilder().build(), list(ANALYTICS_STREAMS))

        sent = sorted(request["campaign_id"] for request in data_series_requests(http_mocker))
    assert sent == campaigns
    assert len(records_of(output, "campaigns_analytics")) == 20
    assert len(records_of(output, "campaigns_analytics_variations")) == 20


def test_given_a_multivariate_campaign_when_reading_then_every_variation_and_the_control_group_are_rows() -> None:
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, ["c1"])
        http_mocker.get(
            a_data_series_request("c1", **WINDOW),
            a_data_series_response("data_series_multivariate").with_day("2025-01-02").with_day("2025-01-03").build(),
        )

        output = run_read(ConfigBuilder().build(), list(ANALYTICS_STREAMS))

    rows = records_of(output, "campaigns_analytics_variations")
    assert sorted((row["time"], row["variation_key"]) for row in rows) == [
        (time, key)
        for time in ("2025-01-02", "2025-01-03")
        for key in sorted(["Variant 1", "Variant 2", "Control Group"])
    ]
    control = next(row for row in rows if row["variation_key"] == "Control Group")
    assert (control["enrolled"], control["channel"]) == (140, "trigger_in_app_message")
    daily = records_of(output, "campaigns_analytics")
    assert [len(record["messages"]["trigger_in_app_message"]) for record in daily] == [3, 3]


def test_given_a_push_control_group_when_reading_variations_then_the_control_entry_is_its_own_row() -> None:
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, ["c1"])
        http_mocker.get(
            a_data_series_request("c1", **WINDOW),
            a_data_series_response("data_series_push_control_group").with_day("2025-01-02").build(),
        )

        output = run_read(ConfigBuilder().build(), ["campaigns_analytics_variations"])

    rows = records_of(output, "campaigns_analytics_variations")
    assert [(row["variation_key"], row.get("sent"), row.get("enrolled")) for row in rows] == [
        ("ad320888-c5be-46c7-bffe-ea91e04e3268", 464, None),
        ("af618990-19f7-4a1f-b03a-bce8023616c1", None, 190),
    ]


def test_given_an_unknown_channel_when_reading_then_its_stats_and_undocumented_fields_are_kept() -> None:
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, ["c1"])
        http_mocker.get(
            a_data_series_request("c1", **WINDOW),
            a_data_series_response("data_series_unknown_channel").with_day("2025-01-02").build(),
        )

        output = run_read(ConfigBuilder().build(), list(ANALYTICS_STREAMS))

    day = load_fixture("data_series_unknown_channel")["data"][0]
    assert records_of(output, "campaigns_analytics")[0]["messages"] == day["messages"]
    rows = {row["channel"]: row for row in records_of(output, "campaigns_analytics_variations")}
    assert rows["line"]["friend_adds"] == 6
    assert rows["ios_push"]["carousel_slide_1_Summer_click"] == 21
    assert not output.errors


@pytest.mark.parametrize(
    "fixture",
    ["data_series", "data_series_multivariate", "data_series_push_control_group", "data_series_unknown_channel"],
)
def test_given_any_fixture_when_reading_then_records_validate_against_the_discovered_schemas(fixture: str) -> None:
    config = ConfigBuilder().build()
    schemas = {stream.name: stream.json_schema for stream in run_discover(config).catalog.catalog.streams}
    with HttpMocker() as http_mocker:
        _mock_campaigns(http_mocker, ["c1"])
        http_mocker.get(
            a_data_series_request("c1", **WINDOW), a_data_series_response(fixture).with_day("2025-01-02").build()
        )

        output = run_read(config, list(ANALYTICS_STREAMS))

    for stream in ANALYTICS_STREAMS:
        records = records_of(output, stream)
        assert records
        for record in records:
            jsonschema.Draft7Validator(schemas[stream]).validate(record)

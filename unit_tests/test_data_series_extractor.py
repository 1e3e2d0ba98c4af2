"""DataSeriesExtractor: one data_series body -> daily records, or one record per variation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import example, given, settings
from hypothesis import strategies as st

from source_braze_campaigns.components import DataSeriesExtractor
from unit_tests.builders import BRAZE_URL, a_data_series_response, load_fixture

CAMPAIGN = "4cc1e3b2-93d1-4b4e-8a0b-7d4a1c5e7a11"


def _response(body: Any, campaign_id: str = CAMPAIGN) -> requests.Response:
    query = urlencode({"campaign_id": campaign_id, "length": 1, "ending_at": "2025-01-02T23:59:59+00:00"})
    response = requests.Response()
    response.status_code = 200
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.request = requests.Request("GET", f"{BRAZE_URL}/campaigns/data_series?{query}").prepare()
    return response


def _extract(body: Any, flatten: bool, campaign_id: str = CAMPAIGN) -> list[dict[str, Any]]:
    extractor = DataSeriesExtractor(config={}, parameters={"flatten_variations": flatten})
    return [dict(record) for record in extractor.extract_records(_response(body, campaign_id))]


def _day_with(channel: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message": "success", "data": [{"time": "2025-01-02", "messages": {channel: entries}}]}


def test_given_two_days_when_extracting_daily_then_one_record_per_day_with_messages_as_braze_sent_them() -> None:
    body = a_data_series_response().with_day("2025-01-02").with_day("2025-01-03").body()

    records = _extract(body, flatten=False)

    assert [record["time"] for record in records] == ["2025-01-02", "2025-01-03"]
    expected_day = load_fixture("data_series")["data"][0]
    assert records[0] == {**expected_day, "campaign_id": CAMPAIGN}
    assert records[1]["messages"] == expected_day["messages"]


def test_given_an_encoded_campaign_id_in_the_url_when_extracting_then_records_carry_the_decoded_id() -> None:
    campaign_id = "abc+/= 1"

    records = _extract(a_data_series_response().with_day("2025-01-02").body(), flatten=False, campaign_id=campaign_id)
    variations = _extract(a_data_series_response().with_day("2025-01-02").body(), flatten=True, campaign_id=campaign_id)

    assert {record["campaign_id"] for record in records + variations} == {campaign_id}


def test_given_no_day_when_extracting_then_no_record() -> None:
    assert _extract({"message": "success", "data": []}, flatten=False) == []
    assert _extract({"message": "success", "data": []}, flatten=True) == []


def test_given_a_single_variation_day_when_flattening_then_one_row_with_the_stats_as_columns() -> None:
    body = a_data_series_response().with_day("2025-01-02").body()

    rows = _extract(body, flatten=True)

    entry = load_fixture("data_series")["data"][0]["messages"]["email"][0]
    assert rows == [
        {
            **entry,
            "campaign_id": CAMPAIGN,
            "time": "2025-01-02",
            "channel": "email",
            "variation_key": entry["variation_api_id"],
        }
    ]


def test_given_a_multivariate_day_when_flattening_then_every_variation_and_the_control_group_are_rows() -> None:
    body = a_data_series_response("data_series_multivariate").with_day("2025-01-02").body()

    rows = _extract(body, flatten=True)

    assert [row["variation_key"] for row in rows] == ["Variant 1", "Variant 2", "Control Group"]
    control = rows[-1]
    assert control["enrolled"] == 140
    assert control["channel"] == "trigger_in_app_message"
    assert "impressions" not in control


def test_given_a_push_control_entry_with_an_api_id_when_flattening_then_it_is_a_row_keyed_by_its_id() -> None:
    body = a_data_series_response("data_series_push_control_group").with_day("2025-01-02").body()

    rows = _extract(body, flatten=True)

    assert [(row["channel"], row["variation_key"]) for row in rows] == [
        ("android_push", "ad320888-c5be-46c7-bffe-ea91e04e3268"),
        ("android_push", "af618990-19f7-4a1f-b03a-bce8023616c1"),
    ]
    assert rows[1]["enrolled"] == 190
    assert "sent" not in rows[1]


def test_given_an_undocumented_channel_and_fields_when_extracting_then_nothing_is_dropped() -> None:
    body = a_data_series_response("data_series_unknown_channel").with_day("2025-01-02").body()
    day = load_fixture("data_series_unknown_channel")["data"][0]

    daily = _extract(body, flatten=False)
    rows = {row["channel"]: row for row in _extract(body, flatten=True)}

    assert daily[0]["messages"] == day["messages"]
    assert rows["line"]["friend_adds"] == 6
    assert rows["ios_push"]["carousel_slide_1_Summer_click"] == 21
    assert rows["ios_push"]["notif_button_1_Open_click"] == 44
    assert rows["ios_push"]["variation_key"] == "7dfa9e3f-f9bd-4ff1-80ca-23990c838254"


def test_given_a_channel_sent_as_one_object_when_flattening_then_it_is_one_row() -> None:
    body = {
        "data": [{"time": "2025-01-02", "messages": {"webhook": {"variation_api_id": "w1", "sent": 5, "errors": 0}}}]
    }

    rows = _extract(body, flatten=True)

    assert [(row["channel"], row["variation_key"], row["sent"]) for row in rows] == [("webhook", "w1", 5)]


def test_given_repeated_or_missing_names_when_flattening_then_each_key_is_unique_within_the_channel() -> None:
    entries = [
        {"variation_name": "Variant", "sent": 1},
        {"variation_name": "Variant", "sent": 2},
        {"sent": 3},
        {"sent": 4},
    ]

    rows = _extract(_day_with("email", entries), flatten=True)

    assert [row["variation_key"] for row in rows] == ["Variant", "Variant#1", "#2", "#3"]
    assert [row["sent"] for row in rows] == [1, 2, 3, 4]


def test_given_the_same_variation_in_two_channels_when_flattening_then_the_key_repeats_across_channels_only() -> None:
    body = {
        "data": [
            {
                "time": "2025-01-02",
                "messages": {"ios_push": [{"variation_api_id": "v1"}], "android_push": [{"variation_api_id": "v1"}]},
            }
        ]
    }

    rows = _extract(body, flatten=True)

    assert sorted((row["channel"], row["variation_key"]) for row in rows) == [
        ("android_push", "v1"),
        ("ios_push", "v1"),
    ]


_names = st.one_of(st.none(), st.sampled_from(["A", "B", "A#1", "A#2", "#0", "#1", "#2", "B#0"]))


@settings(max_examples=300, deadline=None)
@given(names=st.lists(_names, max_size=6))
@example(names=["A", "A#2", "A"])  # found by hypothesis: keys A, A#2, A#2
def test_given_any_variation_names_when_flattening_then_variation_keys_are_unique_within_the_day_and_channel(
    names: list[str | None],
) -> None:
    """The variations table's primary key is (campaign_id, time, channel, variation_key): a repeated key
    makes a destination's dedup silently drop a variation's stats."""
    entries = [{"variation_name": name} if name is not None else {} for name in names]

    keys = [row["variation_key"] for row in _extract(_day_with("email", entries), flatten=True)]

    assert len(keys) == len(entries)
    assert len(set(keys)) == len(keys), keys


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html>502 Bad Gateway</html>", id="not json"),
        pytest.param(b'{"message": "success", "da', id="truncated"),
        pytest.param({"message": "success"}, id="no data"),
        pytest.param({"message": "success", "data": {"time": "2025-01-02"}}, id="data not a list"),
        pytest.param([{"time": "2025-01-02"}], id="a list instead of an object"),
    ],
)
@pytest.mark.parametrize("flatten", [False, True])
def test_given_a_body_that_is_not_a_data_series_when_extracting_then_a_transient_error_names_the_campaign(
    body: Any, flatten: bool
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        _extract(body, flatten=flatten)

    assert raised.value.failure_type == FailureType.transient_error
    assert CAMPAIGN in (raised.value.internal_message or "")


@pytest.mark.parametrize("value", [True, "true", "True", " TRUE "])
def test_given_flatten_variations_from_the_manifest_when_building_then_truthy_strings_flatten(value: Any) -> None:
    body = a_data_series_response("data_series_multivariate").with_day("2025-01-02").body()
    extractor = DataSeriesExtractor(config={}, parameters={"flatten_variations": value})

    assert len(list(extractor.extract_records(_response(body)))) == 3


@pytest.mark.parametrize("value", [False, "false", "False", None, ""])
def test_given_flatten_variations_false_when_building_then_daily_records(value: Any) -> None:
    body = a_data_series_response("data_series_multivariate").with_day("2025-01-02").body()
    extractor = DataSeriesExtractor(config={}, parameters={"flatten_variations": value})

    assert len(list(extractor.extract_records(_response(body)))) == 1

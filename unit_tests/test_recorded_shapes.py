"""What real data_series responses carry beyond Braze's docs, typed and kept.

The fixture has the shape of a real response recorded in December 2022 (Airbyte's source-braze,
integration_tests/expected_records.jsonl): a zero-filled day with `machine_open` and
`machine_amp_open` on email and an empty `"sms": []`; iOS push entries with `variation_name`,
`revenue`, `unique_recipients` and conversions; a control entry inside the push list with
`variation_api_id`, `enrolled`, conversions and revenue and no `sent`; and channels the schema
does not know (`line`, undocumented; `banner`, an assumed name for Banners).
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import yaml

from source_braze_campaigns.components import build_schema, flatten_day
from source_braze_campaigns.source import MANIFEST
from unit_tests.builders import load_fixture

CHANNELS = yaml.safe_load(MANIFEST.read_text())["definitions"]["analytics_stream"]["schema_loader"]["channels"]
FLAT = build_schema(CHANNELS, flatten=True)
DAILY = build_schema(CHANNELS, flatten=False)
DYNAMIC_KEY = re.compile(r"^(carousel_slide|notif_button)_\d+_\w+_click$")


def rows() -> list[dict[str, Any]]:
    out = []
    for day in load_fixture("data_series_recorded_shape")["data"]:
        out.extend(flatten_day({**day, "campaign_id": "c1"}))
    return out


def test_every_field_real_responses_carry_on_documented_channels_is_a_typed_column() -> None:
    untyped = {
        (row["channel"], key)
        for row in rows()
        if row["channel"] in CHANNELS
        for key in row
        if key not in FLAT["properties"] and not DYNAMIC_KEY.match(key)
    }
    assert untyped == set()
    for key in ("machine_open", "machine_amp_open", "variation_name", "revenue", "unique_recipients", "enrolled"):
        assert FLAT["properties"][key]["type"][0] == "null", key
    email_item = DAILY["properties"]["messages"]["properties"]["email"]["items"]["properties"]
    push_item = DAILY["properties"]["messages"]["properties"]["ios_push"]["items"]["properties"]
    assert {"machine_open", "machine_amp_open"} <= set(email_item)
    assert {"variation_name", "revenue", "unique_recipients", "conversions", "enrolled"} <= set(push_item)


def test_rows_match_the_flat_schema_and_keep_every_field_still_unknown() -> None:
    for row in rows():
        jsonschema.validate(row, FLAT)
    by_channel = {(row["time"], row["channel"], row["variation_key"]): row for row in rows()}
    ios = by_channel[("2022-12-08", "ios_push", "1d0e7b3a-8f57-4c0f-b7d2-6e0f4b9c2a11")]
    assert ios["carousel_slide_1_Summer_click"] == 5 and ios["notif_button_1_Open_click"] == 9
    line = by_channel[("2022-12-08", "line", "e2c1f7a0-5b6d-4c2e-9f3a-7d8e9f0a1b33")]
    assert line["friend_adds"] == 2 and line["sent"] == 90
    banner = by_channel[("2022-12-08", "banner", "4a5b6c7d-8e9f-4a0b-8c1d-2e3f4a5b6c44")]
    assert banner["impressions"] == 310


def test_a_control_entry_inside_the_push_list_is_a_row_with_enrolled_conversions_revenue_and_no_sent() -> None:
    control = next(row for row in rows() if row.get("enrolled") is not None)
    assert control["channel"] == "ios_push"
    assert control["variation_key"] == "9b4e1c70-2a3d-4e8f-8c61-0f7a5d3e4b22"
    assert "sent" not in control
    assert (control["enrolled"], control["conversions"], control["revenue"]) == (130, 1, 6.0)


def test_a_zero_filled_day_gives_zero_rows_per_variation_and_none_for_an_empty_channel_list() -> None:
    zero_day = [row for row in rows() if row["time"] == "2022-09-01"]
    assert [row["channel"] for row in zero_day] == ["email"]  # "sms": [] has no variation to report
    assert all(value == 0 for key, value in zero_day[0].items() if key in ("sent", "opens", "machine_open"))
    daily = load_fixture("data_series_recorded_shape")["data"][0]
    jsonschema.validate({**daily, "campaign_id": "c1"}, DAILY)
    assert daily["messages"]["sms"] == []

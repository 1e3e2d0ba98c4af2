"""The canvas streams through the real manifest: records, schemas, the error matrix, state, families.

Each stream is hit where it reads from Braze: canvases on /canvas/list, canvases_details on
/canvas/details, the three analytics streams on /canvas/data_series (the fixture
canvas_data_series.json: one day, two variants, three steps, one of them deleted and one without
messages, four message variations). No test really sleeps (conftest.py's `backoff_sleeps`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import jsonschema
import orjson
import pytest
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from airbyte_cdk.test.models import ExpectedOutcome
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_braze_campaigns import families
from source_braze_campaigns.canvas_records import CanvasDataSeriesExtractor
from source_braze_campaigns.config_validation import config_errors
from source_braze_campaigns.source import SourceBrazeCampaigns, load_manifest
from unit_tests.builders import API_KEY, an_error_response, days_between, load_fixture
from unit_tests.canvas_builders import (
    CANVAS_ANALYTICS,
    CANVAS_STREAMS,
    a_canvas_config,
    a_canvas_data_series_request,
    a_canvas_data_series_response,
    a_canvas_details_request,
    a_canvas_details_response,
    a_canvas_list_response,
    a_canvas_window_request,
    given_the_canvas_list,
)
from unit_tests.harness import (
    all_output,
    attempts,
    error_text,
    failure_types,
    last_state_message,
    log_text,
    records_of,
    run_check,
    run_discover,
    sent_requests,
)

PATHS = {
    "canvases": "/canvas/list",
    "canvases_details": "/canvas/details",
    **{name: "/canvas/data_series" for name in CANVAS_ANALYTICS},
}
PERMISSIONS = {
    "/canvas/list": "canvas.list",
    "/canvas/details": "canvas.details",
    "/canvas/data_series": "canvas.data_series",
}
# Records the fixture day makes in each stream.
RECORDS_PER_SUCCESS = {
    "canvases": 1,
    "canvases_details": 1,
    "canvases_analytics": 1,
    "canvases_analytics_variants": 2,
    "canvases_analytics_steps": 4,
}
EVERY_STREAM = pytest.mark.parametrize("stream", CANVAS_STREAMS)


def run_canvas_read(config: dict[str, Any], streams: list[str], state: Any = None, expect_failure: bool = False) -> Any:
    builder = CatalogBuilder()
    for name in streams:
        builder.with_stream(name, SyncMode.incremental if name in CANVAS_ANALYTICS else SyncMode.full_refresh)
    catalog = builder.build()
    source = SourceBrazeCampaigns(catalog=catalog, config=config, state=state)
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, catalog, state, expected_outcome=outcome)


def success(stream: str) -> HttpResponse:
    if PATHS[stream] == "/canvas/list":
        return a_canvas_list_response("k1")
    if PATHS[stream] == "/canvas/details":
        return a_canvas_details_response()
    return a_canvas_data_series_response("2025-01-02")


def read_with(stream: str, responses: list[HttpResponse], expect_failure: bool = False) -> tuple[Any, HttpMocker]:
    """Reads `stream` for one canvas, k1, whose request at the stream's endpoint gets `responses` in turn."""
    with HttpMocker() as http_mocker:
        if PATHS[stream] == "/canvas/list":
            given_the_canvas_list(http_mocker, responses)
        else:
            given_the_canvas_list(http_mocker, a_canvas_list_response("k1"))
            request = a_canvas_details_request("k1") if stream == "canvases_details" else a_canvas_data_series_request()
            http_mocker.get(request, responses)
        output = run_canvas_read(a_canvas_config().build(), [stream], expect_failure=expect_failure)
    return output, http_mocker


# ---- records --------------------------------------------------------------------------------


class _Response:
    def __init__(self, body: bytes, url: str) -> None:
        self.content = body
        self.request = type("Request", (), {"url": url})()


def extract(shape: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    extractor = CanvasDataSeriesExtractor(config={}, parameters={"shape": shape})
    response = _Response(orjson.dumps(body), "https://rest.iad-01.braze.com/canvas/data_series?canvas_id=k1")
    return list(extractor.extract_records(response))  # type: ignore[arg-type]


def test_given_a_day_when_extracting_days_then_total_stats_are_columns_and_the_breakdowns_are_kept_as_sent() -> None:
    body = load_fixture("canvas_data_series")
    day = body["data"]["stats"][0]

    (record,) = extract("days", body)

    assert record == {
        **day["total_stats"],
        "time": "2025-01-02",
        "variant_stats": day["variant_stats"],
        "step_stats": day["step_stats"],
        "canvas_id": "k1",
    }


def test_given_a_day_when_extracting_variants_then_one_row_per_variant_with_its_name_and_stats() -> None:
    rows = extract("variants", load_fixture("canvas_data_series"))

    assert {(row["variant_id"], row["variant_name"], row["entries"]) for row in rows} == {
        ("v-1", "Variant A", 250),
        ("v-2", "Variant B", 150),
    }
    assert all(row["canvas_id"] == "k1" and row["time"] == "2025-01-02" and "name" not in row for row in rows)


def test_given_a_day_when_extracting_steps_then_one_row_per_step_channel_and_variation_undocumented_fields_kept() -> (
    None
):
    rows = extract("steps", load_fixture("canvas_data_series"))

    keys = [(row["step_id"], row["channel"], row["variation_key"]) for row in rows]
    assert sorted(keys) == [
        ("s-1", "email", "m-1"),
        ("s-1", "email", "m-2"),
        ("s-1", "ios_push", "m-3"),
        ("s-deleted", "webhook", "m-4"),
    ]
    email = next(row for row in rows if row["variation_key"] == "m-1")
    assert email["step_name"] == "Welcome" and email["machine_open"] == 7 and email["sent"] == 120


@pytest.mark.parametrize("body", [{"data": []}, {"data": {"name": "x"}}, {"data": {"stats": {}}}])
def test_given_a_body_without_a_stats_list_when_extracting_then_a_transient_error_is_raised(
    body: dict[str, Any],
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        extract("days", body)
    assert raised.value.failure_type == FailureType.transient_error


def test_given_the_discovered_schemas_when_validating_the_fixture_records_then_they_match_and_steps_are_typed() -> None:
    streams = {stream.name: stream for stream in run_discover(a_canvas_config().build()).catalog.catalog.streams}
    body = load_fixture("canvas_data_series")
    for name, shape in (
        ("canvases_analytics", "days"),
        ("canvases_analytics_variants", "variants"),
        ("canvases_analytics_steps", "steps"),
    ):
        schema = streams[name].json_schema
        for record in extract(shape, body):
            jsonschema.validate(record, schema)
    steps = streams["canvases_analytics_steps"].json_schema["properties"]
    assert steps["unique_opens"]["type"] == ["null", "integer"]  # email.json
    assert steps["body_clicks"]["type"] == ["null", "integer"]  # push.json
    days = streams["canvases_analytics"].json_schema["properties"]
    messages = days["step_stats"]["additionalProperties"]["properties"]["messages"]["properties"]
    assert messages["email"]["items"]["properties"]["unique_opens"]["type"] == ["null", "integer"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"canvas_id": "k1", "time": "2025-01-02", "entries": "many"}, streams["canvases_analytics"].json_schema
        )


# ---- error matrix ---------------------------------------------------------------------------


@EVERY_STREAM
def test_given_an_invalid_key_when_reading_a_canvas_stream_then_a_config_error_says_the_key_is_invalid(
    stream: str,
) -> None:
    output, _ = read_with(stream, [an_error_response(401, "error_invalid_api_key")], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    assert "401" in error_text(output) and "api_key" in error_text(output)


@EVERY_STREAM
def test_given_a_key_without_the_canvas_permission_when_reading_then_a_config_error_names_it_and_replicate(
    stream: str,
) -> None:
    output, _ = read_with(stream, [an_error_response(403, "error_access_denied")], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    text = error_text(output)
    assert f"`{PERMISSIONS[PATHS[stream]]}`" in text and "canvas.list, canvas.details and canvas.data_series" in text
    assert "`replicate`" in text


@EVERY_STREAM
def test_given_a_plan_without_canvas_endpoints_when_reading_then_the_error_says_a_new_key_will_not_help(
    stream: str,
) -> None:
    output, _ = read_with(stream, [an_error_response(403, "error_forbidden")], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    text = error_text(output)
    assert "plan does not include this endpoint" in text and "A new API key will not help" in text
    assert "lacks the" not in text


@pytest.mark.parametrize("stream", [name for name in CANVAS_STREAMS if name != "canvases"])
@pytest.mark.parametrize(("status", "fixture"), [(400, "error_invalid_campaign_id"), (404, "error_not_found")])
def test_given_one_canvas_answers_400_or_404_when_reading_then_it_is_logged_by_id_and_the_others_are_read(
    stream: str, status: int, fixture: str
) -> None:
    with HttpMocker() as http_mocker:
        given_the_canvas_list(http_mocker, a_canvas_list_response("gone", "k2"))
        if stream == "canvases_details":
            http_mocker.get(a_canvas_details_request("gone"), an_error_response(status, fixture))
            http_mocker.get(a_canvas_details_request("k2"), success(stream))
        else:
            http_mocker.get(a_canvas_window_request("gone", 10, "2025-01-10"), an_error_response(status, fixture))
            http_mocker.get(a_canvas_window_request("k2", 10, "2025-01-10"), success(stream))
        output = run_canvas_read(a_canvas_config().build(), [stream])

    assert not output.errors
    assert {record["canvas_id"] for record in records_of(output, stream)} == {"k2"}
    assert "Skipping canvas gone" in log_text(output)


@EVERY_STREAM
def test_given_a_server_error_once_when_reading_a_canvas_stream_then_it_retries_and_reads(
    stream: str, backoff_sleeps: list[float]
) -> None:
    output, http_mocker = read_with(stream, [an_error_response(503, "error_internal"), success(stream)])

    assert not output.errors
    assert len(records_of(output, stream)) == RECORDS_PER_SUCCESS[stream]
    assert attempts(http_mocker, PATHS[stream]) == 2
    assert backoff_sleeps == [2 + 1]


@EVERY_STREAM
def test_given_a_429_then_success_when_reading_a_canvas_stream_then_it_waits_and_reads(
    stream: str, backoff_sleeps: list[float]
) -> None:
    rate_limited = an_error_response(429, "error_rate_limited", {"X-RateLimit-Reset": "0"})

    output, _ = read_with(stream, [rate_limited, success(stream)])

    assert len(records_of(output, stream)) == RECORDS_PER_SUCCESS[stream]
    assert backoff_sleeps == [1 + 1]


@pytest.mark.parametrize("stream", CANVAS_ANALYTICS)
@pytest.mark.parametrize("bad", ['{"message": "success"}', '{"data": {"name": "x"}}', "<html>oops</html>"])
def test_given_a_200_with_a_bad_data_series_body_then_a_good_one_when_reading_then_it_retries_and_reads(
    stream: str, bad: str, backoff_sleeps: list[float]
) -> None:
    output, http_mocker = read_with(stream, [HttpResponse(bad, 200), success(stream)])

    assert len(records_of(output, stream)) == RECORDS_PER_SUCCESS[stream]
    assert len(sent_requests(http_mocker, "/canvas/data_series")) == 2


# ---- state round trip -----------------------------------------------------------------------


def _sync(config: dict[str, Any], stream: str, last_day: str, state: Any = None) -> tuple[Any, list[dict[str, str]]]:
    with HttpMocker() as http_mocker:
        given_the_canvas_list(http_mocker, a_canvas_list_response("k1"))
        http_mocker.get(a_canvas_data_series_request(), a_canvas_data_series_response(last_day))
        output = run_canvas_read(config, [stream], state=state)
        sent = sent_requests(http_mocker, "/canvas/data_series")
    assert not output.errors, output.errors
    return output, sent


def _requested_days(sent: list[dict[str, str]]) -> Counter[str]:
    days: Counter[str] = Counter()
    for request in sent:
        last = date.fromisoformat(request["ending_at"][:10])
        days.update((last - timedelta(days=back)).isoformat() for back in range(int(request["length"])))
    return days


@pytest.mark.parametrize("stream", CANVAS_ANALYTICS)
@pytest.mark.parametrize("lookback", [0, 5, 30])
def test_given_the_state_of_sync_1_when_sync_2_runs_then_no_gap_and_only_the_lookback_is_read_twice(
    stream: str, lookback: int
) -> None:
    config_1 = (
        a_canvas_config().with_start_date("2025-01-01").with_end_date("2025-02-20").with_lookback_window_days(lookback)
    )
    config_2 = (
        a_canvas_config().with_start_date("2025-01-01").with_end_date("2025-03-31").with_lookback_window_days(lookback)
    )

    sync_1, sent_1 = _sync(config_1.build(), stream, last_day="2025-02-20")
    state = [last_state_message(sync_1, stream)]
    saved = state[0].stream.stream_state.__dict__
    assert [entry["cursor"]["time"] for entry in saved["states"]] == ["2025-02-20"]
    _, sent_2 = _sync(config_2.build(), stream, last_day="2025-03-31", state=state)

    days_1, days_2 = _requested_days(sent_1), _requested_days(sent_2)
    assert max(days_1.values()) == 1 and max(days_2.values()) == 1
    assert set(days_1) | set(days_2) == set(days_between("2025-01-01", "2025-03-31"))
    resumed_at = date(2025, 2, 20) - timedelta(days=lookback)
    assert set(days_1) & set(days_2) == set(days_between(resumed_at, "2025-02-20"))
    assert len(sent_1) == -(-len(days_1) // 14) and len(sent_2) == -(-len(days_2) // 14)
    assert all(1 <= int(request["length"]) <= 14 for request in sent_1 + sent_2)


# ---- families -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replicate", "checked"),
    [
        (None, ["campaigns", "campaigns_details", "campaigns_analytics"]),
        ("campaigns", ["campaigns", "campaigns_details", "campaigns_analytics"]),
        ("canvases", ["canvases", "canvases_details", "canvases_analytics"]),
        (
            "both",
            [
                "campaigns",
                "campaigns_details",
                "campaigns_analytics",
                "canvases",
                "canvases_details",
                "canvases_analytics",
            ],
        ),
    ],
)
def test_given_a_replicate_choice_when_loading_the_manifest_then_check_checks_that_familys_streams(
    replicate: str | None, checked: list[str]
) -> None:
    config = {} if replicate is None else {"replicate": replicate}
    assert load_manifest(config=config)["check"]["stream_names"] == checked
    assert families.chosen(config) == (["campaigns", "canvases"] if replicate == "both" else [replicate or "campaigns"])


def test_given_replicate_canvases_when_check_then_only_canvas_endpoints_are_asked() -> None:
    with HttpMocker() as http_mocker:
        given_the_canvas_list(http_mocker, a_canvas_list_response("k1"))
        http_mocker.get(a_canvas_details_request("k1"), a_canvas_details_response())
        http_mocker.get(a_canvas_data_series_request(), a_canvas_data_series_response("2025-01-02"))
        output = run_check(a_canvas_config().build())
        paths = {request.path for request in http_mocker._mocker.request_history}  # noqa: SLF001

    (status,) = [message.connectionStatus for message in output._messages if message.connectionStatus]  # noqa: SLF001
    assert status.status.value == "SUCCEEDED", status
    assert paths == {"/canvas/list", "/canvas/details", "/canvas/data_series"}


@pytest.mark.parametrize("selected", [["canvases_analytics"], ["canvases_analytics", "canvases_analytics_steps"]])
def test_given_a_catalog_when_loading_the_manifest_then_canvas_responses_are_shared_by_the_selected_streams(
    selected: list[str],
) -> None:
    builder = CatalogBuilder()
    for name in selected:
        builder.with_stream(name, SyncMode.incremental)
    manifest = load_manifest(builder.build(), {"replicate": "canvases"})
    requester = manifest["definitions"]["canvas_analytics_stream"]["retriever"]["requester"]
    assert requester["readers"] == len(selected)


def test_given_an_unknown_replicate_value_when_validating_the_config_then_the_field_is_named() -> None:
    spec = load_manifest()["spec"]["connection_specification"]
    config = {**a_canvas_config().build(), "replicate": "everything"}

    (problem,) = config_errors(config, spec)

    assert "`replicate`" in problem and "everything" in problem


@pytest.mark.parametrize(
    ("stream", "response"),
    [
        ("canvases", an_error_response(401, "error_invalid_api_key")),
        ("canvases_details", an_error_response(403, "error_access_denied")),
        ("canvases_analytics_steps", an_error_response(500, "error_internal")),
    ],
)
def test_given_a_failing_canvas_read_when_reporting_the_error_then_the_api_key_never_appears(
    stream: str, response: HttpResponse
) -> None:
    output, _ = read_with(stream, [response], expect_failure=True)

    assert output.errors
    assert API_KEY not in all_output(output)

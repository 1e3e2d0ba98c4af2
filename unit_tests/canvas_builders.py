"""Builders for the canvas endpoints' requests and responses (see builders.py for the campaign ones)."""

from __future__ import annotations

import copy
from typing import Any

from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.mock_http.request import ANY_QUERY_PARAMS

from unit_tests.builders import BRAZE_URL, ConfigBuilder, a_json_response, given_the_list, load_fixture

CANVAS_STREAMS = (
    "canvases",
    "canvases_details",
    "canvases_analytics",
    "canvases_analytics_variants",
    "canvases_analytics_steps",
)
CANVAS_ANALYTICS = CANVAS_STREAMS[2:]


def a_canvas_config(replicate: str = "canvases") -> ConfigBuilder:
    builder = ConfigBuilder()
    builder._config["replicate"] = replicate  # noqa: SLF001 - one setting ConfigBuilder does not know
    return builder


def given_the_canvas_list(http_mocker: Any, responses: HttpResponse | list[HttpResponse]) -> None:
    """Mock a one-page /canvas/list, read twice as the campaign list is (given_the_list)."""
    given_the_list(http_mocker, responses, path="/canvas/list")


def a_canvas_list_response(*canvas_ids: str) -> HttpResponse:
    entries = [
        {"id": cid, "name": f"Canvas {cid}", "last_edited": "2025-01-01T10:00:00+00:00", "tags": []}
        for cid in canvas_ids
    ]
    return a_json_response({"message": "success", "canvases": entries})


def a_canvas_details_request(canvas_id: str) -> HttpRequest:
    return HttpRequest(f"{BRAZE_URL}/canvas/details", query_params={"canvas_id": canvas_id})


def a_canvas_details_response(**fields: Any) -> HttpResponse:
    body = {"message": "success", "name": "Onboarding Journey", "archived": False, "variants": [], "steps": []}
    return a_json_response({**body, **fields})


def a_canvas_data_series_request() -> HttpRequest:
    return HttpRequest(f"{BRAZE_URL}/canvas/data_series", query_params=ANY_QUERY_PARAMS)


def a_canvas_window_request(canvas_id: str, length: int, last_day: str) -> HttpRequest:
    """GET /canvas/data_series for one window, with every breakdown, as the connector sends it."""
    query = {
        "canvas_id": canvas_id,
        "length": str(length),
        "ending_at": f"{last_day}T23:59:59+00:00",
        "include_variant_breakdown": "true",
        "include_step_breakdown": "true",
        "include_deleted_step_data": "true",
    }
    return HttpRequest(f"{BRAZE_URL}/canvas/data_series", query_params=query)


def canvas_data_series_body(*days: str) -> dict[str, Any]:
    """The fixture's body with its day repeated for each of `days`."""
    body = load_fixture("canvas_data_series")
    template = body["data"]["stats"][0]
    body["data"]["stats"] = [{**copy.deepcopy(template), "time": day} for day in days]
    return body


def a_canvas_data_series_response(*days: str) -> HttpResponse:
    return a_json_response(canvas_data_series_body(*days))

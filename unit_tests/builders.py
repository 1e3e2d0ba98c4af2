"""Builders for configs, Braze requests and Braze responses, so a test reads as its scenario.

Response bodies start from the full fixtures in resource/http/response/ and change only what
the test is about (`a_data_series_response().with_day("2025-01-02")`), built with the CDK's
response builders.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.mock_http.request import ANY_QUERY_PARAMS
from airbyte_cdk.test.mock_http.response_builder import (
    FieldPath,
    RecordBuilder,
    create_record_builder,
    create_response_builder,
    find_template,
)

BRAZE_URL = "https://rest.iad-01.braze.com"
API_KEY = "unit-test-braze-key-0000"
RATE_LIMIT_HEADERS = {"X-RateLimit-Limit": "250000", "X-RateLimit-Remaining": "249999"}
A_CAMPAIGN = "4cc1e3b2-93d1-4b4e-8a0b-7d4a1c5e7a11"


def load_fixture(name: str) -> dict[str, Any]:
    """A full response body from resource/http/response/<name>.json (the CDK's `find_template`)."""
    return dict(find_template(name, __file__))


def day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def days_between(first: str | date, last: str | date) -> list[str]:
    """Every day of [first, last] as YYYY-MM-DD."""
    start, end = day(first), day(last)
    return [(start + timedelta(days=offset)).isoformat() for offset in range((end - start).days + 1)]


# ---- Config ---------------------------------------------------------------------------------


class ConfigBuilder:
    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "url": BRAZE_URL,
            "api_key": API_KEY,
            "start_date": "2025-01-01",
            "end_date": "2025-01-10",
            "lookback_window_days": 30,
        }

    def with_start_date(self, value: str | date) -> ConfigBuilder:
        self._config["start_date"] = str(value)
        return self

    def with_end_date(self, value: str | date) -> ConfigBuilder:
        self._config["end_date"] = str(value)
        return self

    def with_lookback_window_days(self, value: int) -> ConfigBuilder:
        self._config["lookback_window_days"] = value
        return self

    def with_include_archived(self, value: bool) -> ConfigBuilder:
        self._config["include_archived"] = value
        return self

    def with_campaign_ids(self, ids: list[str]) -> ConfigBuilder:
        self._config["campaign_ids"] = ids
        return self

    def with_num_workers(self, value: int) -> ConfigBuilder:
        self._config["num_workers"] = value
        return self

    def build(self) -> dict[str, Any]:
        return dict(self._config)


# ---- Requests -------------------------------------------------------------------------------


def a_list_request(
    page: int | None = None, include_archived: bool = True, sort_direction: str = "asc", path: str = "/campaigns/list"
) -> HttpRequest:
    """GET /campaigns/list (or /canvas/list); the first page is sent without `page` (Braze defaults it to 0)."""
    params = {"include_archived": "true" if include_archived else "false", "sort_direction": sort_direction}
    if page is not None:
        params["page"] = str(page)
    return HttpRequest(f"{BRAZE_URL}{path}", query_params=params)


def given_the_list(
    http_mocker: Any,
    responses: HttpResponse | list[HttpResponse],
    include_archived: bool = True,
    path: str = "/campaigns/list",
) -> None:
    """Mock a one-page /campaigns/list (or /canvas/list): `responses` in turn for the first pass
    (oldest first, sent without `page`), and the last of them for the second pass (newest first,
    list_paging)."""
    http_mocker.get(a_list_request(include_archived=include_archived, path=path), responses)
    last = responses[-1] if isinstance(responses, list) else responses
    http_mocker.get(a_list_request(0, include_archived=include_archived, sort_direction="desc", path=path), last)


def a_details_request(campaign_id: str) -> HttpRequest:
    return HttpRequest(f"{BRAZE_URL}/campaigns/details", query_params={"campaign_id": campaign_id})


def a_data_series_request(campaign_id: str, length: int, last_day: str | date) -> HttpRequest:
    """The request for the `length` days ending on `last_day` (inclusive)."""
    return HttpRequest(
        f"{BRAZE_URL}/campaigns/data_series",
        query_params={
            "campaign_id": campaign_id,
            "length": str(length),
            "ending_at": f"{day(last_day).isoformat()}T23:59:59+00:00",
        },
    )


def any_data_series_request() -> HttpRequest:
    return HttpRequest(f"{BRAZE_URL}/campaigns/data_series", query_params=ANY_QUERY_PARAMS)


def any_details_request() -> HttpRequest:
    return HttpRequest(f"{BRAZE_URL}/campaigns/details", query_params=ANY_QUERY_PARAMS)


# ---- Responses ------------------------------------------------------------------------------
# The CDK's response builders (airbyte_cdk.test.mock_http.response_builder): the fixture's first
# record is the template of every record added; Braze's rate-limit headers go on every response.


def _with_headers(response: HttpResponse, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(response.body, response.status_code, {**RATE_LIMIT_HEADERS, **(headers or {})})


class _RecordsResponseBuilder:
    """A Braze body whose records (under `records_field`) are built from the fixture's first one."""

    def __init__(self, fixture: str, records_field: str) -> None:
        self._template = load_fixture(fixture)
        self._records = FieldPath(records_field)
        self._builder = create_response_builder(copy.deepcopy(self._template), self._records)

    def _record(self) -> RecordBuilder:
        return create_record_builder(copy.deepcopy(self._template), self._records, record_id_path=FieldPath("id"))

    def _add(self, record: RecordBuilder, fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            record.with_field(FieldPath(name), value)
        self._builder.with_record(record)

    def body(self) -> dict[str, Any]:
        return dict(json.loads(self._builder.build().body))

    def build(self) -> HttpResponse:
        return _with_headers(self._builder.build())


class CampaignsListResponseBuilder(_RecordsResponseBuilder):
    def __init__(self) -> None:
        super().__init__("campaigns_list", "campaigns")

    def with_campaign(self, campaign_id: str, **fields: Any) -> CampaignsListResponseBuilder:
        self._add(self._record().with_id(campaign_id), fields)
        return self

    def with_campaigns(self, ids: list[str]) -> CampaignsListResponseBuilder:
        for campaign_id in ids:
            self.with_campaign(campaign_id)
        return self


def a_campaigns_list_response() -> CampaignsListResponseBuilder:
    return CampaignsListResponseBuilder()


def a_details_response(**fields: Any) -> HttpResponse:
    return _with_headers(HttpResponse(json.dumps({**load_fixture("campaigns_details"), **fields})))


class DataSeriesResponseBuilder(_RecordsResponseBuilder):
    """A /campaigns/data_series body: each `with_day` adds the fixture's day for that date."""

    def __init__(self, fixture: str) -> None:
        super().__init__(fixture, "data")
        self._without_data = False

    def _record(self) -> RecordBuilder:
        # A day has no `id`: only its `time` cursor is set.
        return create_record_builder(copy.deepcopy(self._template), self._records, record_cursor_path=FieldPath("time"))

    def with_day(self, time: str | date, **fields: Any) -> DataSeriesResponseBuilder:
        self._add(self._record().with_cursor(day(time).isoformat()), fields)
        return self

    def with_days(self, first: str | date, last: str | date) -> DataSeriesResponseBuilder:
        for value in days_between(first, last):
            self.with_day(value)
        return self

    def without_data(self) -> DataSeriesResponseBuilder:
        """A 200 whose body lacks `data` (what a proxy error page or a truncated body parses to)."""
        self._without_data = True
        return self

    def body(self) -> dict[str, Any]:
        body = super().body()
        if self._without_data:
            del body["data"]
        return body

    def build(self) -> HttpResponse:
        return _with_headers(HttpResponse(json.dumps(self.body())))


def a_data_series_response(fixture: str = "data_series") -> DataSeriesResponseBuilder:
    return DataSeriesResponseBuilder(fixture)


def a_json_response(body: Any, status: int = 200) -> HttpResponse:
    """A response with `body` as JSON and Braze's rate-limit headers."""
    return _with_headers(HttpResponse(json.dumps(body), status))


def an_error_response(status: int, fixture: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return _with_headers(HttpResponse(json.dumps(load_fixture(fixture)), status), headers)

"""The same error matrix for every stream: 400, 401, 403, 404, 429, 500 once, 500 always, a bad 200 body.

Each stream is hit where it reads from Braze: campaigns on /campaigns/list, campaigns_details and
the two dimension streams on /campaigns/details, both analytics streams on /campaigns/data_series.
No test really sleeps: the autouse `backoff_sleeps` fixture (conftest.py) records the CDK's retry
waits instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams import call_rate
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse

from unit_tests.builders import (
    API_KEY,
    BRAZE_URL,
    ConfigBuilder,
    a_campaigns_list_response,
    a_data_series_request,
    a_data_series_response,
    a_details_request,
    a_details_response,
    a_list_request,
    an_error_response,
    given_the_list,
)
from unit_tests.harness import (
    all_output,
    attempts,
    error_text,
    failure_types,
    log_text,
    records_of,
    run_read,
)

WINDOW = {"length": 10, "last_day": "2025-01-10"}  # ConfigBuilder's default 2025-01-01..2025-01-10


@dataclass(frozen=True)
class Endpoint:
    path: str
    permission: str

    def request(self, campaign_id: str) -> HttpRequest:
        if self.path == "/campaigns/list":
            return a_list_request()
        if self.path == "/campaigns/details":
            return a_details_request(campaign_id)
        return a_data_series_request(campaign_id, **WINDOW)

    def success(self) -> HttpResponse:
        if self.path == "/campaigns/list":
            return a_campaigns_list_response().with_campaign("c1").build()
        if self.path == "/campaigns/details":
            return a_details_response()
        return a_data_series_response().with_day("2025-01-02").build()

    def body_without_its_key(self) -> HttpResponse:
        body = {"/campaigns/list": '{"message": "success"}', "/campaigns/details": '{"name": "x"}'}
        return HttpResponse(body.get(self.path, '{"message": "success"}'), 200)


LIST = Endpoint("/campaigns/list", "campaigns.list")
DETAILS = Endpoint("/campaigns/details", "campaigns.details")
DATA_SERIES = Endpoint("/campaigns/data_series", "campaigns.data_series")
STREAMS = {
    "campaigns": LIST,
    "campaigns_details": DETAILS,
    "campaigns_analytics": DATA_SERIES,
    "campaigns_analytics_variations": DATA_SERIES,
    "campaigns_message_variations": DETAILS,
    "campaigns_conversion_behaviors": DETAILS,
}
# Records one successful response makes (the details fixture: two messages, two conversion behaviors).
RECORDS = {"campaigns_message_variations": 2, "campaigns_conversion_behaviors": 2}
EVERY_STREAM = pytest.mark.parametrize("stream", list(STREAMS))
PER_CAMPAIGN_STREAMS = pytest.mark.parametrize("stream", [name for name, at in STREAMS.items() if at is not LIST])


def _read_with(stream: str, responses: list[HttpResponse], expect_failure: bool = False) -> tuple[object, HttpMocker]:
    """Reads `stream` for one campaign, c1, whose request at the stream's endpoint gets `responses` in turn."""
    endpoint = STREAMS[stream]
    with HttpMocker() as http_mocker:
        if endpoint is LIST:
            given_the_list(http_mocker, responses)
        else:
            given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
            http_mocker.get(endpoint.request("c1"), responses)
        output = run_read(ConfigBuilder().build(), [stream], expect_failure=expect_failure)
    return output, http_mocker


def _attempts(http_mocker: HttpMocker, stream: str) -> int:
    return attempts(http_mocker, STREAMS[stream].path)


# ---- 401 and 403: the key --------------------------------------------------------------------


@EVERY_STREAM
def test_given_an_invalid_key_when_reading_then_a_config_error_says_the_key_is_invalid(stream: str) -> None:
    output, _ = _read_with(stream, [an_error_response(401, "error_invalid_api_key")], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    assert "401" in error_text(output) and "api_key" in error_text(output)
    assert records_of(output, stream) == []


@EVERY_STREAM
def test_given_a_key_without_the_permission_when_reading_then_a_config_error_names_the_permission(stream: str) -> None:
    output, _ = _read_with(stream, [an_error_response(403, "error_access_denied")], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    assert STREAMS[stream].permission in error_text(output)
    assert "lacks" in error_text(output) and "plan" not in error_text(output)


@EVERY_STREAM
def test_given_a_plan_or_account_without_access_when_reading_then_a_config_error_says_a_new_key_will_not_help(
    stream: str,
) -> None:
    output, _ = _read_with(stream, [an_error_response(403, "error_forbidden")], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    assert "plan does not include" in error_text(output) and "inactive" in error_text(output)
    assert "lacks" not in error_text(output)


# ---- 400 and 404: a wrong url on the list, a missing campaign elsewhere -----------------------


@pytest.mark.parametrize(("status", "fixture"), [(400, "error_invalid_campaign_id"), (404, "error_not_found")])
def test_given_the_list_answers_400_or_404_when_reading_campaigns_then_a_config_error_questions_the_url(
    status: int, fixture: str
) -> None:
    output, _ = _read_with("campaigns", [an_error_response(status, fixture)], expect_failure=True)

    assert FailureType.config_error in failure_types(output)
    assert BRAZE_URL in error_text(output)


@PER_CAMPAIGN_STREAMS
@pytest.mark.parametrize(("status", "fixture"), [(400, "error_invalid_campaign_id"), (404, "error_not_found")])
def test_given_one_campaign_answers_400_or_404_when_reading_then_it_is_logged_and_the_others_are_read(
    stream: str, status: int, fixture: str
) -> None:
    endpoint = STREAMS[stream]
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["gone", "c2"]).build())
        http_mocker.get(endpoint.request("gone"), an_error_response(status, fixture))
        http_mocker.get(endpoint.request("c2"), endpoint.success())

        output = run_read(ConfigBuilder().build(), [stream])

    assert not output.errors
    assert {record["campaign_id"] for record in records_of(output, stream)} == {"c2"}
    assert "gone" in log_text(output)


# ---- 429: wait for X-RateLimit-Reset, then retry ----------------------------------------------


@EVERY_STREAM
def test_given_a_429_then_success_when_reading_then_it_waits_for_the_reset_and_reads(
    stream: str, backoff_sleeps: list[float]
) -> None:
    reset = str(int(time.time()) + 3 * 3600)  # beyond the cap: the wait is exactly the cap
    rate_limited = an_error_response(
        429, "error_rate_limited", {"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0"}
    )

    output, http_mocker = _read_with(stream, [rate_limited, STREAMS[stream].success()])

    assert not output.errors
    assert len(records_of(output, stream)) == RECORDS.get(stream, 1)
    assert _attempts(http_mocker, stream) == 2
    assert backoff_sleeps == [600 + 1]  # the cap; the CDK adds one second to every custom backoff


@EVERY_STREAM
def test_given_a_429_whose_reset_has_passed_when_reading_then_it_retries_after_a_second(
    stream: str, backoff_sleeps: list[float]
) -> None:
    rate_limited = an_error_response(429, "error_rate_limited", {"X-RateLimit-Reset": str(int(time.time()) - 60)})

    output, _ = _read_with(stream, [rate_limited, STREAMS[stream].success()])

    assert len(records_of(output, stream)) == RECORDS.get(stream, 1)
    assert backoff_sleeps == [1 + 1]


class _Stalled(Exception):
    pass


@pytest.fixture
def budget_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Waits the manifest's api_budget (the CDK's HTTPAPIBudget) asks for, recorded; one beyond
    the 600 s cap stops the read instead of sleeping."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if seconds > 600:
            raise _Stalled(f"the client-side rate-limit budget waits {seconds:.0f} s")

    monkeypatch.setattr(call_rate, "time", SimpleNamespace(sleep=sleep))
    return waits


@pytest.mark.parametrize("stream", ["campaigns", "campaigns_details"])
def test_given_a_429_without_rate_limit_headers_when_reading_then_no_wait_exceeds_the_cap(
    stream: str, budget_waits: list[float]
) -> None:
    """A proxy or load balancer can answer 429 without Braze's X-RateLimit-* headers."""
    bare = HttpResponse('{"message": "Rate limit exceeded"}', 429)

    output, _ = _read_with(stream, [bare, STREAMS[stream].success()], expect_failure=True)

    assert max(budget_waits, default=0) <= 600
    assert len(records_of(output, stream)) == RECORDS.get(stream, 1)


# ---- 5xx: exponential backoff, then a transient error ------------------------------------------


@EVERY_STREAM
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_given_a_server_error_once_when_reading_then_it_retries_after_two_seconds(
    stream: str, status: int, backoff_sleeps: list[float]
) -> None:
    output, http_mocker = _read_with(stream, [an_error_response(status, "error_internal"), STREAMS[stream].success()])

    assert not output.errors
    assert len(records_of(output, stream)) == RECORDS.get(stream, 1)
    assert _attempts(http_mocker, stream) == 2
    assert backoff_sleeps == [2 + 1]


@EVERY_STREAM
def test_given_a_server_error_on_every_attempt_when_reading_then_five_retries_then_a_transient_error(
    stream: str, backoff_sleeps: list[float]
) -> None:
    output, http_mocker = _read_with(stream, [an_error_response(500, "error_internal")], expect_failure=True)

    assert FailureType.transient_error in failure_types(output)
    assert _attempts(http_mocker, stream) == 6
    assert backoff_sleeps == [wait + 1 for wait in (2, 4, 8, 16, 32)]
    assert records_of(output, stream) == []


# ---- A 200 whose body is not what Braze documents -------------------------------------------


@EVERY_STREAM
@pytest.mark.parametrize("bad", ["without its key", "not json"])
def test_given_a_200_with_a_bad_body_then_a_good_one_when_reading_then_it_retries_and_reads(
    stream: str, bad: str, backoff_sleeps: list[float]
) -> None:
    endpoint = STREAMS[stream]
    bad_body = endpoint.body_without_its_key() if bad == "without its key" else HttpResponse("<html>oops</html>", 200)

    output, http_mocker = _read_with(stream, [bad_body, endpoint.success()])

    assert not output.errors
    assert len(records_of(output, stream)) == RECORDS.get(stream, 1)
    assert _attempts(http_mocker, stream) == 2
    assert backoff_sleeps == [2 + 1]


# ---- Secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "response"),
    [
        ("campaigns", an_error_response(401, "error_invalid_api_key")),
        ("campaigns", an_error_response(404, "error_not_found")),
        ("campaigns_details", an_error_response(403, "error_access_denied")),
        ("campaigns_analytics", an_error_response(500, "error_internal")),
    ],
)
def test_given_a_failing_read_when_reporting_the_error_then_the_api_key_never_appears(
    stream: str, response: HttpResponse
) -> None:
    output, _ = _read_with(stream, [response], expect_failure=True)

    assert output.errors
    assert API_KEY not in all_output(output)

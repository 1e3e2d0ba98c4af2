"""BrazeBackoffStrategy: 429 waits for X-RateLimit-Reset, anything else backs off exponentially; a 200 with a bad
body is retried by BrazeErrorHandler."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from source_braze_campaigns import errors
from source_braze_campaigns.components import BrazeBackoffStrategy, BrazeErrorHandler

NOW = 1_750_000_000.0


def _strategy(**fields: object) -> BrazeBackoffStrategy:
    return BrazeBackoffStrategy(config={}, parameters={}, **fields)


def _handler() -> BrazeErrorHandler:
    return BrazeErrorHandler(config={}, parameters={"body_key": "data", "endpoint": "GET /campaigns/data_series"})


def _response(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response.url = "https://rest.iad-01.braze.com/campaigns/data_series?campaign_id=c1"
    return response


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "time", SimpleNamespace(time=lambda: NOW))


@pytest.mark.usefixtures("frozen_clock")
def test_given_a_429_with_a_reset_in_30_s_when_backing_off_then_it_waits_until_the_reset() -> None:
    wait = _strategy().backoff_time(_response(429, {"X-RateLimit-Reset": str(int(NOW) + 30)}), attempt_count=1)

    assert wait == 31  # the reset second itself, plus one so the request lands after it


@pytest.mark.usefixtures("frozen_clock")
def test_given_a_429_with_a_lower_case_header_when_backing_off_then_the_header_is_found() -> None:
    wait = _strategy().backoff_time(_response(429, {"x-ratelimit-reset": str(int(NOW) + 10)}), attempt_count=1)

    assert wait == 11


@pytest.mark.usefixtures("frozen_clock")
def test_given_a_429_with_a_reset_an_hour_away_when_backing_off_then_the_wait_is_capped() -> None:
    response = _response(429, {"X-RateLimit-Reset": str(int(NOW) + 3600)})

    assert _strategy().backoff_time(response, attempt_count=1) == 600
    assert _strategy(max_rate_limit_wait_seconds="120").backoff_time(response, attempt_count=1) == 120


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("reset", [str(int(NOW) - 50), str(int(NOW) - 1), str(int(NOW))])
def test_given_a_429_whose_reset_has_passed_when_backing_off_then_it_still_waits_one_second(reset: str) -> None:
    assert _strategy().backoff_time(_response(429, {"X-RateLimit-Reset": reset}), attempt_count=3) == 1


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("headers", [{}, {"X-RateLimit-Reset": "soon"}, {"X-RateLimit-Reset": ""}])
def test_given_a_429_without_a_usable_reset_when_backing_off_then_it_waits_the_factor(headers: dict[str, str]) -> None:
    assert _strategy().backoff_time(_response(429, headers), attempt_count=1) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_given_server_errors_when_backing_off_then_waits_double_from_two_seconds(status: int) -> None:
    strategy = _strategy()
    # Braze sends X-RateLimit-Reset on every response: a 5xx must not wait for the rate-limit window.
    response = _response(status, {"X-RateLimit-Reset": str(int(NOW) + 3000)})

    waits = [strategy.backoff_time(response, attempt_count=attempt) for attempt in range(1, 6)]

    assert waits == [2, 4, 8, 16, 32]


def test_given_a_connection_error_when_backing_off_then_waits_are_exponential() -> None:
    strategy = _strategy()

    waits = [strategy.backoff_time(requests.ConnectionError("reset"), attempt_count=n) for n in range(1, 4)]

    assert waits == [2, 4, 8]


def test_given_the_manifest_factor_as_a_string_when_building_then_it_is_a_number() -> None:
    strategy = _strategy(factor_seconds="0.5", max_rate_limit_wait_seconds="10")

    assert strategy.backoff_time(_response(503), attempt_count=3) == 2.0
    assert strategy.max_rate_limit_wait_seconds == 10.0


def test_given_a_200_with_a_bad_body_when_interpreted_then_it_is_retried_after_two_seconds() -> None:
    response = _response(200)
    response._content = b"<html>Bad gateway</html>"  # noqa: SLF001

    resolution = _handler().interpret_response(response)

    assert resolution.response_action == ResponseAction.RETRY
    assert _strategy().backoff_time(response, attempt_count=1) == 2

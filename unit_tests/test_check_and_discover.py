"""check (one page of the list, one campaign's details, one data_series window) and discover."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.builders import (
    ConfigBuilder,
    a_campaigns_list_response,
    a_data_series_response,
    a_details_request,
    a_details_response,
    an_error_response,
    any_data_series_request,
    given_the_list,
)
from unit_tests.harness import run_check, run_discover, sent_requests


def _status(output: object) -> object:
    (message,) = output.connection_status_messages
    return message.connectionStatus


def _mock_all_ok(http_mocker: HttpMocker) -> None:
    given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1").build())
    http_mocker.get(a_details_request("c1"), a_details_response())
    http_mocker.get(any_data_series_request(), a_data_series_response().with_day("2025-01-02").build())


def test_given_a_key_with_every_permission_when_checking_then_it_succeeds() -> None:
    with HttpMocker() as http_mocker:
        _mock_all_ok(http_mocker)

        output = run_check(ConfigBuilder().build())

    assert _status(output).status == Status.SUCCEEDED


def test_given_an_invalid_key_when_checking_then_it_fails_saying_so() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, an_error_response(401, "error_invalid_api_key"))

        output = run_check(ConfigBuilder().build())

    status = _status(output)
    assert status.status == Status.FAILED
    assert "401" in status.message and "api_key" in status.message


@pytest.mark.parametrize(
    ("refused", "permission"),
    [
        ("/campaigns/list", "campaigns.list"),
        ("/campaigns/details", "campaigns.details"),
        ("/campaigns/data_series", "campaigns.data_series"),
    ],
)
def test_given_a_key_lacking_one_permission_when_checking_then_it_fails_naming_that_permission_and_endpoint(
    refused: str, permission: str
) -> None:
    """The one home of the missing-permission message (reads: test_error_handling)."""
    denied = an_error_response(403, "error_access_denied")
    with HttpMocker() as http_mocker:
        list_ok = a_campaigns_list_response().with_campaign("c1").build()
        given_the_list(http_mocker, denied if refused == "/campaigns/list" else list_ok)
        http_mocker.get(a_details_request("c1"), denied if refused == "/campaigns/details" else a_details_response())
        data_series_ok = a_data_series_response().with_day("2025-01-02").build()
        http_mocker.get(any_data_series_request(), denied if refused == "/campaigns/data_series" else data_series_ok)

        output = run_check(ConfigBuilder().build())

    status = _status(output)
    assert status.status == Status.FAILED
    # The message ends by listing every permission a key needs; the missing one is also named
    # with the endpoint that refused it, and no other endpoint is blamed.
    assert f"`{permission}`" in status.message and refused in status.message, status.message
    others = {"/campaigns/list", "/campaigns/details", "/campaigns/data_series"} - {refused}
    assert not [other for other in others if f"GET {other}" in status.message], status.message


def test_given_a_config_when_discovering_then_six_streams_with_their_keys_and_cursors() -> None:
    output = run_discover(ConfigBuilder().build())

    streams = {stream.name: stream for stream in output.catalog.catalog.streams}
    assert set(streams) == {
        "campaigns",
        "campaigns_details",
        "campaigns_analytics",
        "campaigns_analytics_variations",
        "campaigns_message_variations",
        "campaigns_conversion_behaviors",
    }
    assert streams["campaigns"].source_defined_primary_key == [["id"]]
    assert streams["campaigns_details"].source_defined_primary_key == [["campaign_id"]]
    assert streams["campaigns_analytics"].source_defined_primary_key == [["campaign_id"], ["time"]]
    assert streams["campaigns_analytics_variations"].source_defined_primary_key == [
        ["campaign_id"],
        ["time"],
        ["channel"],
        ["variation_key"],
    ]
    # Dimensions, keyed as the analytics columns they label (one join each).
    assert streams["campaigns_message_variations"].source_defined_primary_key == [["campaign_id"], ["variation_api_id"]]
    assert streams["campaigns_conversion_behaviors"].source_defined_primary_key == [
        ["campaign_id"],
        ["conversion_column"],
    ]
    for name in ("campaigns_analytics", "campaigns_analytics_variations"):
        assert streams[name].default_cursor_field == ["time"]
        assert SyncMode.incremental in streams[name].supported_sync_modes
    for name in ("campaigns", "campaigns_details", "campaigns_message_variations", "campaigns_conversion_behaviors"):
        assert streams[name].supported_sync_modes == [SyncMode.full_refresh]


def test_given_a_config_when_discovering_then_no_request_is_sent() -> None:
    with HttpMocker() as http_mocker:
        output = run_discover(ConfigBuilder().build())

        assert sent_requests(http_mocker, "/campaigns/list") == []
        assert sent_requests(http_mocker, "/campaigns/data_series") == []
    assert output.catalog.catalog.streams

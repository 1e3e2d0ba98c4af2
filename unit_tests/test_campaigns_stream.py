"""campaigns: GET /campaigns/list, pages of 100 from page 0, archived campaigns included by default."""

from __future__ import annotations

from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest

from unit_tests.builders import (
    API_KEY,
    BRAZE_URL,
    ConfigBuilder,
    a_campaigns_list_response,
    a_list_request,
    given_the_list,
)
from unit_tests.harness import records_of, run_read, sent_requests


def _ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{index:03d}" for index in range(count)]


def test_given_a_full_page_then_a_short_one_when_reading_then_both_pages_are_read_and_paging_stops() -> None:
    first, second = _ids("a", 100), _ids("b", 37)
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(first).build())
        http_mocker.get(a_list_request(page=1), a_campaigns_list_response().with_campaigns(second).build())
        newest_first = a_list_request(1, sort_direction="desc")  # page 0 of that pass: given_the_list
        http_mocker.get(newest_first, a_campaigns_list_response().with_campaigns(second).build())

        output = run_read(ConfigBuilder().build(), ["campaigns"])

        assert [record["id"] for record in records_of(output, "campaigns")] == first + second
        # then once more newest first (list_paging), where every campaign is already known
        sent = [(r["sort_direction"], r.get("page")) for r in sent_requests(http_mocker, "/campaigns/list")]
        assert sent == [("asc", None), ("asc", "1"), ("desc", "0"), ("desc", "1")]
    assert not output.errors


def test_given_exactly_100_campaigns_when_reading_then_an_empty_second_page_ends_the_list() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(_ids("a", 100)).build())
        http_mocker.get(a_list_request(page=1), a_campaigns_list_response().build())
        http_mocker.get(a_list_request(page=1, sort_direction="desc"), a_campaigns_list_response().build())

        output = run_read(ConfigBuilder().build(), ["campaigns"])

        assert len(records_of(output, "campaigns")) == 100
        assert len(sent_requests(http_mocker, "/campaigns/list")) == 4  # two pages, each way


def test_given_default_config_when_reading_then_archived_campaigns_are_asked_for_with_the_bearer_key() -> None:
    with HttpMocker() as http_mocker:
        request = HttpRequest(
            f"{BRAZE_URL}/campaigns/list",
            query_params={"include_archived": "true", "sort_direction": "asc"},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        http_mocker.get(request, a_campaigns_list_response().with_campaign("c1").build())
        newest_first = a_list_request(0, sort_direction="desc")
        http_mocker.get(newest_first, a_campaigns_list_response().with_campaign("c1").build())

        output = run_read(ConfigBuilder().build(), ["campaigns"])

        http_mocker.assert_number_of_calls(request, 1)
    assert [record["id"] for record in records_of(output, "campaigns")] == ["c1"]


def test_given_include_archived_false_when_reading_then_false_is_sent() -> None:
    with HttpMocker() as http_mocker:
        request = a_list_request(include_archived=False)
        http_mocker.get(request, a_campaigns_list_response().with_campaign("c1").build())
        newest_first = a_list_request(0, include_archived=False, sort_direction="desc")
        http_mocker.get(newest_first, a_campaigns_list_response().with_campaign("c1").build())

        output = run_read(ConfigBuilder().with_include_archived(False).build(), ["campaigns"])

        http_mocker.assert_number_of_calls(request, 1)
    assert len(records_of(output, "campaigns")) == 1


def test_given_campaign_ids_when_reading_then_only_those_campaigns_are_emitted() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaigns(["c1", "c2", "c3"]).build())

        output = run_read(ConfigBuilder().with_campaign_ids(["c3", "c1"]).build(), ["campaigns"])

    assert [record["id"] for record in records_of(output, "campaigns")] == ["c1", "c3"]


def test_given_a_campaign_when_reading_then_the_record_is_the_list_entry() -> None:
    with HttpMocker() as http_mocker:
        given_the_list(http_mocker, a_campaigns_list_response().with_campaign("c1", name="Spring").build())

        output = run_read(ConfigBuilder().build(), ["campaigns"])

    assert records_of(output, "campaigns") == [
        {
            "id": "c1",
            "last_edited": "2025-01-15T09:30:00+00:00",
            "name": "Spring",
            "is_api_campaign": False,
            "tags": ["promo", "email"],
        }
    ]

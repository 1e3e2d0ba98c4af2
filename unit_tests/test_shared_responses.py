"""shared_responses: a body one stream of a group received reaches each other selected stream once, and only a 200."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder

from source_braze_campaigns import source
from source_braze_campaigns.records import campaign_of
from source_braze_campaigns.shared_responses import ResponseSpool, SharedResponsesRequester
from source_braze_campaigns.source import SourceBrazeCampaigns, load_manifest

URL = "https://rest.iad-01.braze.com/campaigns/details?campaign_id=c1"


class FakeRequester:
    """A wrapped requester that answers every request with the next of `statuses` and counts the calls."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.sent: list[Mapping[str, Any]] = []

    def get_request_params(self, **kwargs: Any) -> dict[str, str]:
        return {"campaign_id": kwargs["stream_slice"]["campaign_id"]}

    def send_request(self, **kwargs: Any) -> requests.Response:
        self.sent.append(kwargs)
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
        response._content = b'{"message": "success", "n": %d}' % len(self.sent)  # noqa: SLF001
        response.request = requests.Request("GET", URL).prepare()
        response.url = URL
        return response


def requester(wrapped: FakeRequester, group: str, readers: int, sync: str = "sync-1") -> SharedResponsesRequester:
    return SharedResponsesRequester(
        requester=wrapped,  # type: ignore[arg-type]
        config={},
        parameters={},
        sync=sync,
        group=group,
        readers=readers,
    )


def test_given_a_kept_body_when_each_other_reader_takes_it_then_it_is_the_same_and_gone_after_the_last() -> None:
    spool = ResponseSpool(readers=2)
    key = (("campaign_id", "c1"),)
    assert spool.take_or_claim(key) is None  # the first asks Braze
    spool.settle(key, b'{"data": [1]}', URL)

    taken = [spool.take_or_claim(key) for _ in range(2)]

    assert [response.content if response else None for response in taken] == [b'{"data": [1]}'] * 2
    assert taken[0] is not None and taken[0].status_code == 200 and taken[0].json() == {"data": [1]}
    assert campaign_of(taken[0].request) == "c1"
    assert len(spool) == 0
    assert spool.take_or_claim(key) is None  # taken by every reader: a fourth would ask Braze again


def test_given_a_request_out_when_another_stream_asks_for_it_then_it_waits_for_that_answer() -> None:
    spool = ResponseSpool(readers=1)
    key = (("campaign_id", "c1"),)
    assert spool.take_or_claim(key) is None
    answers: list[bytes | None] = []
    waiting = threading.Thread(target=lambda: answers.append(getattr(spool.take_or_claim(key), "content", None)))
    waiting.start()
    waiting.join(timeout=0.2)
    assert waiting.is_alive() and answers == []  # neither sent again nor answered yet

    spool.settle(key, b'{"data": []}', URL)
    waiting.join(timeout=5)

    assert answers == [b'{"data": []}']


def test_given_a_request_out_that_fails_when_another_stream_waits_then_it_sends_the_request_itself() -> None:
    spool = ResponseSpool(readers=1)
    key = (("campaign_id", "c1"),)
    assert spool.take_or_claim(key) is None
    claimed: list[object] = []
    waiting = threading.Thread(target=lambda: claimed.append(spool.take_or_claim(key)))
    waiting.start()

    spool.settle(key)  # no body: an error, or an answer other than 200
    waiting.join(timeout=5)

    assert claimed == [None]  # it claimed the request: it sends it


def test_given_two_streams_of_a_group_when_both_send_the_same_request_then_braze_is_asked_once() -> None:
    first, second = FakeRequester(200), FakeRequester(200)
    window = {"campaign_id": "c1"}

    mine = requester(first, "group-a", readers=2).send_request(stream_slice=window)  # type: ignore[arg-type]
    theirs = requester(second, "group-a", readers=2).send_request(stream_slice=window)  # type: ignore[arg-type]

    assert len(first.sent) == 1 and second.sent == []
    assert mine is not None and theirs is not None and theirs.content == mine.content


def test_given_an_answer_that_is_not_a_200_when_sent_then_the_next_stream_asks_braze_itself() -> None:
    first, second = FakeRequester(400), FakeRequester(200)
    window = {"campaign_id": "c1"}

    requester(first, "group-b", readers=2).send_request(stream_slice=window)  # type: ignore[arg-type]
    requester(second, "group-b", readers=2).send_request(stream_slice=window)  # type: ignore[arg-type]

    assert len(second.sent) == 1


def test_given_one_selected_stream_when_sending_twice_then_nothing_is_kept() -> None:
    wrapped = FakeRequester(200, 200)
    alone = requester(wrapped, "group-c", readers=1)

    alone.send_request(stream_slice={"campaign_id": "c1"})  # type: ignore[arg-type]
    alone.send_request(stream_slice={"campaign_id": "c1"})  # type: ignore[arg-type]

    assert len(wrapped.sent) == 2


def test_given_a_catalog_when_loading_the_manifest_then_each_group_requester_counts_its_selected_streams() -> None:
    catalog = (
        CatalogBuilder()
        .with_stream("campaigns_analytics", SyncMode.incremental)
        .with_stream("campaigns_analytics_variations", SyncMode.incremental)
        .with_stream("campaigns_details", SyncMode.full_refresh)
        .build()
    )

    first = load_manifest(catalog, sync="sync-a")["definitions"]

    data_series = first["analytics_stream"]["retriever"]["requester"]
    assert (data_series["readers"], first["details_requester"]["readers"]) == (2, 1)
    assert first["canvas_analytics_stream"]["retriever"]["requester"]["readers"] == 0
    assert (data_series["group"], data_series["sync"]) == ("data_series", "sync-a")


def test_given_the_manifest_when_resolved_then_every_group_names_a_shared_responses_requester() -> None:
    built = SourceBrazeCampaigns(catalog=CatalogBuilder().with_stream("campaigns", SyncMode.full_refresh).build())
    resolved = built.resolved_manifest

    for group in source.shared_groups(resolved):
        requester = source.shared_requester(resolved, group)
        module, _, name = requester["class_name"].rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), name), SharedResponsesRequester), group
        assert requester["group"] == group
        assert requester["readers"] == (1 if group == "campaign_list" else 0), group

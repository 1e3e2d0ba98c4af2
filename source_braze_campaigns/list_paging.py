"""Paging /campaigns/list while the workspace changes: read it oldest first, then newest first.

Braze pages the list by position (`page` from 0, 100 a page, `sort_direction` asc = oldest first).
Oldest first, a campaign created while the pages are read lands at the end and is read with the
last page. But a campaign deleted (or, without `include_archived`, archived) from a page already
read moves every later campaign one place up: the first campaign of the next page slides onto the
page already read and would be skipped; a restored one moves them one place down and one campaign
would be read twice.

So, after its last page, the list is read a second time, newest first (`sort_direction=desc`), and
every campaign id is kept once per read (`CampaignListExtractor`). A campaign skipped by the first
pass is read by the second unless the list changes again during the second pass in a way that
skips the same campaign. The second pass must ask other URLs than the first: the CDK caches the
responses of parent streams, and a repeated URL would replay the first pass.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.types import Record, StreamSlice

from source_braze_campaigns import cdk_compat

SORT_DIRECTIONS = ("asc", "desc")  # one pass each


class PageToken(int):
    """A page number (what is sent as `page`) that also carries its pass and the ids listed before it.

    The CDK hands a strategy back the token of the page just read and asks it to derive the next
    one from its arguments, not from state kept on the instance: the token is that state. The
    manifest sends `sort_direction` from it.
    """

    pass_number: int
    seen: frozenset[str]
    found_new: bool

    def __new__(cls, page: int, pass_number: int, seen: frozenset[str], found_new: bool) -> PageToken:
        token = super().__new__(cls, page)
        token.pass_number, token.seen, token.found_new = pass_number, seen, found_new
        return token

    @property
    def sort_direction(self) -> str:
        return SORT_DIRECTIONS[self.pass_number - 1]

    def __bool__(self) -> bool:  # page 0 of a later pass is a token, not "no more pages"
        return True

    def __reduce__(self) -> tuple[Any, ...]:
        return (PageToken, (int(self), self.pass_number, self.seen, self.found_new))

    def __deepcopy__(self, memo: Any) -> PageToken:  # the CDK deep-copies request parameters
        return self  # never changed once made


@dataclass
class CampaignListExtractor(RecordExtractor):
    """The `campaigns` of a /campaigns/list page, each campaign once per read of the list.

    Why not DpathExtractor + a record filter: the pages are read again when the list moved
    (RereadingPageIncrement), so a campaign comes back on later passes and must be dropped; neither
    a filter nor the paginator sees which read a page belongs to, only the request does: a read's
    first request is the one without `page`.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    records_key: str = "campaigns"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        body = cdk_compat.kept_body(response)
        entries = [entry for entry in body.get(self.records_key) or [] if isinstance(entry, MutableMapping)]
        with self._lock:
            if "page" not in parse_qs(urlsplit(response.request.url or "").query):
                self._seen = set()
            fresh = [entry for entry in entries if str(entry.get("id")) not in self._seen]
            self._seen.update(str(entry.get("id")) for entry in fresh)
        return fresh


@dataclass
class RereadingPageIncrement(PaginationStrategy):
    """Page numbers from 0 while pages are full, oldest first; then the same newest first.

    Why not PageIncrement: it stops after the first short page, so a campaign pushed onto a page
    already read by a deletion during the read is never listed in this sync (module docstring).
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 100
    records_key: str = "campaigns"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.page_size = int(self.page_size)

    @property
    def initial_token(self) -> Any:
        return None  # the first page is asked for without `page`; later passes send `page=0`

    def get_page_size(self) -> int | None:
        return self.page_size

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> Any | None:
        token = last_page_token_value if isinstance(last_page_token_value, PageToken) else None
        page, pass_number = (int(token), token.pass_number) if token else (0, 1)
        seen = token.seen if token else frozenset()
        listed = self._ids(response)
        ids = frozenset(listed)
        found_new = (token.found_new if token else False) or not ids <= seen
        seen |= ids
        if len(listed) >= self.page_size:
            return PageToken(page + 1, pass_number, seen, found_new)
        if found_new and pass_number < len(SORT_DIRECTIONS):
            return PageToken(0, pass_number + 1, seen, False)
        return None

    def _ids(self, response: requests.Response) -> list[str]:
        body = cdk_compat.kept_body(response)
        return [str(entry.get("id")) for entry in body.get(self.records_key) or [] if isinstance(entry, Mapping)]

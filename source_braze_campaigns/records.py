"""Records from Braze's bodies: the data_series extractor, its flattening, the campaign filter."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_braze_campaigns import cdk_compat
from source_braze_campaigns.progress import PROGRESS

logger = logging.getLogger("airbyte")


def as_bool(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


@dataclass
class DataSeriesExtractor(RecordExtractor):
    """Turns one /campaigns/data_series body into records, tagged with their campaign.

    Why not DpathExtractor + AddFields: the flattened stream needs one record per channel and
    variation of each day, which no built-in extractor or transformation can produce (they map
    one record to one record), and for the daily stream the two built-ins cost about half of
    the CPU of a read (dpath walks the whole body; AddFields renders Jinja per record; see
    docs/benchmarks.md). The campaign id is read from the request that fetched the body.

    flatten_variations false: one record per campaign and day, `messages` as Braze sends it.
    flatten_variations true: one record per campaign, day, channel and variation (control
    groups included), with the variation's stats as top-level columns and a `variation_key`
    that is unique within the day and channel.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    flatten_variations: Any = False

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._flatten = as_bool(parameters.get("flatten_variations", self.flatten_variations))
        self._stream = str(parameters.get("name", ""))

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        campaign_id = campaign_of(response.request)
        try:
            body = cdk_compat.kept_body(response)
            days = body.get("data")
        except (orjson.JSONDecodeError, AttributeError) as error:
            raise bad_body("/campaigns/data_series", "data", "campaign", campaign_id) from error
        if not isinstance(days, list):
            raise bad_body("/campaigns/data_series", "data", "campaign", campaign_id)
        records = 0
        for day in days:
            day["campaign_id"] = campaign_id
            if self._flatten:
                for row in flatten_day(day):
                    records += 1
                    yield row
            else:
                records += 1
                yield day
        PROGRESS.response_read(self._stream, campaign_id, records)


@dataclass
class SelectedCampaigns(RecordFilter):
    """Keeps the campaigns named in `campaign_ids` (all when empty) and counts them for the progress log.

    Why not a RecordFilter condition: the progress log needs the number of campaigns the list
    returned, and only the list stream sees them all.
    """

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: Any,
        stream_slice: Any = None,
        next_page_token: Any = None,
    ) -> Iterable[Mapping[str, Any]]:
        wanted = set(self.config.get("campaign_ids") or [])
        for record in records:
            if not wanted or record.get("id") in wanted:
                PROGRESS.campaign_listed(str(record.get("id")))
                yield record


def bad_body(endpoint: str, expected: str, what: str, which: str) -> AirbyteTracedException:
    """The error for a 200 whose body lacks `expected` (retried by the error handler first)."""
    return AirbyteTracedException(
        message=f"Braze returned a {endpoint} body without a `{expected}` list.",
        internal_message=f"Unexpected {endpoint} body for {what} {which}.",
        failure_type=FailureType.transient_error,
    )


def query_value(request: requests.PreparedRequest | None, name: str) -> str:
    """The value of query parameter `name` in a request ("" when none)."""
    url = request.url if request is not None else ""
    return parse_qs(urlsplit(url or "").query).get(name, [""])[0]


def campaign_of(request: requests.PreparedRequest | None) -> str:
    """The campaign_id a request asked for ("" when none)."""
    return query_value(request, "campaign_id")


def flatten_day(day: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """One row per channel and variation of a data_series day; undocumented fields are kept."""
    for channel, key, entry in variation_entries(day.get("messages")):
        yield {
            **entry,
            "campaign_id": day["campaign_id"],
            "time": day.get("time"),
            "channel": channel,
            "variation_key": key,
        }


def variation_entries(messages: Any) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    """(channel, variation_key, entry) for each per-variation entry of a `messages` object.

    The key is variation_api_id, else variation_name, else the entry's position, made unique
    within the channel's list.
    """
    for channel, entries in (messages or {}).items():
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list):
            continue
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                continue
            base = str(entry.get("variation_api_id") or entry.get("variation_name") or f"#{index}")
            key, suffix = base, index
            while key in seen:
                key, suffix = f"{base}#{suffix}", suffix + 1
            seen.add(key)
            yield channel, key, entry

"""The few behaviours of this connector that the declarative manifest cannot express.

Each class says why the built-in CDK components fall short; everything else (requests, auth,
retries, rate limits, paging, windows, state, concurrency) is declared in manifest.yaml.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.schema.schema_loader import SchemaLoader
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_braze_campaigns import response_cache
from source_braze_campaigns.progress import PROGRESS

logger = logging.getLogger("airbyte")

SHARED_SCHEMAS = Path(__file__).parent / "schemas" / "shared"


def _as_bool(value: Any) -> bool:
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

    The CDK builds a retriever's record selector before its requester, so this is also where
    the stream's response cache file is linked to the shared one (see response_cache).
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    flatten_variations: Any = False

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._flatten = _as_bool(parameters.get("flatten_variations", self.flatten_variations))
        self._stream = str(parameters.get("name", ""))
        if self._stream:
            response_cache.share_with(self._stream)

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        campaign_id = campaign_of(response.request)
        try:
            days = orjson.loads(response.content).get("data")
        except (orjson.JSONDecodeError, AttributeError) as error:
            raise _bad_body(campaign_id) from error
        if not isinstance(days, list):
            raise _bad_body(campaign_id)
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


def _bad_body(campaign_id: str) -> AirbyteTracedException:
    return AirbyteTracedException(
        message="Braze returned a /campaigns/data_series body without a `data` list.",
        internal_message=f"Unexpected data_series body for campaign {campaign_id}.",
        failure_type=FailureType.transient_error,
    )


def campaign_of(request: requests.PreparedRequest | None) -> str:
    """The campaign_id a request asked for ("" when none)."""
    url = request.url if request is not None else ""
    return parse_qs(urlsplit(url or "").query).get("campaign_id", [""])[0]


@dataclass
class SkipMissingCampaign(DefaultErrorHandler):
    """The declared error handler, plus a warning that names the campaign a 400/404 skipped.

    Why: a campaign deleted between the list and its details or data_series answers 400
    ("Invalid Campaign ID") or 404, and the sync must go on without it. The CDK's IGNORE action
    logs only the response's message, and a response filter's message template sees the URL
    without its query, so it cannot say which campaign was skipped.
    """

    def interpret_response(self, response_or_exception: Any = None) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action != ResponseAction.IGNORE or not isinstance(
            response_or_exception, requests.Response
        ):
            return resolution
        response = response_or_exception
        message = (
            f"Skipping campaign {campaign_of(response.request) or '(unknown)'}: Braze answered "
            f"{response.status_code} on {urlsplit(response.url or '').path}; it was probably deleted "
            "after the campaign list was read. The rest of the sync goes on."
        )
        logger.warning(message)
        return replace(resolution, error_message=message)


def flatten_day(day: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """One row per channel and variation of a data_series day; undocumented fields are kept."""
    messages = day.get("messages") or {}
    for channel, entries in messages.items():
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
            yield {
                **entry,
                "campaign_id": day["campaign_id"],
                "time": day.get("time"),
                "channel": channel,
                "variation_key": key,
            }


@dataclass
class ChannelStatsSchemaLoader(SchemaLoader):
    """Builds the analytics streams' schemas from the per-channel fragments in schemas/shared/.

    Why not JsonFileSchemaLoader: the flattened stream's columns are the union of every
    channel's fields, and JSON Schema cannot merge the properties of several `$ref`s into one
    flat object (only `allOf`, which destinations do not turn into columns). Composing here
    keeps one fragment per channel as the single place a Braze field is declared.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    channels: Mapping[str, str] = field(default_factory=dict)
    flatten_variations: Any = False

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._flatten = _as_bool(parameters.get("flatten_variations", self.flatten_variations))

    def get_json_schema(self) -> Mapping[str, Any]:
        return build_schema(self.channels, flatten=self._flatten)


def _fragment(name: str) -> dict[str, Any]:
    return json.loads((SHARED_SCHEMAS / name).read_text())["properties"]


def _merge(target: dict[str, Any], source: Mapping[str, Any], where: str) -> None:
    for name, spec in source.items():
        if name in target and target[name].get("type") != spec.get("type"):
            raise ValueError(f"Field {name!r} has two types in the schema fragments ({where}).")
        target.setdefault(name, spec)


def build_schema(channels: Mapping[str, str], flatten: bool) -> dict[str, Any]:
    """The JSON schema of campaigns_analytics (flatten=False) or its variations table."""
    key = {"type": "string"}
    outcomes = _fragment("outcomes.json")
    variation = {**_fragment("variation.json"), **outcomes}
    properties: dict[str, Any] = {
        "campaign_id": {**key, "description": "Campaign API identifier."},
        "time": {**key, "format": "date", "description": "The day (UTC) as Braze reports it."},
    }
    if flatten:
        properties["channel"] = {**key, "description": "Messaging channel, as Braze names it."}
        properties["variation_key"] = {
            **key,
            "description": "variation_api_id, else variation_name, else the entry's position; "
            "unique per day and channel.",
        }
        _merge(properties, variation, "variation")
        for name in sorted(set(channels.values())):
            _merge(properties, _fragment(name), name)
    else:
        _merge(properties, outcomes, "outcomes")
        properties["messages"] = {
            "type": ["null", "object"],
            "description": "Per-channel lists of per-variation stats, as Braze sends them.",
            "properties": {
                channel: {
                    "type": ["null", "array"],
                    "items": {
                        "type": "object",
                        "properties": {**variation, **_fragment(fragment)},
                        "additionalProperties": True,
                    },
                }
                for channel, fragment in channels.items()
            },
            "additionalProperties": {"type": ["null", "array"], "items": {"type": "object"}},
        }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
        "additionalProperties": True,
    }


@dataclass
class BrazeBackoffStrategy(BackoffStrategy):
    """Waits until X-RateLimit-Reset on 429, and backs off exponentially on anything else.

    Why not WaitUntilTimeFromHeader + ExponentialBackoffStrategy: the CDK uses the first
    strategy that returns a wait for every retryable error, and Braze sends X-RateLimit-Reset
    on every response, so a 503 would wait for the rate-limit window (up to an hour on
    /campaigns/list) instead of a few seconds. A 200 is retried only when its body was not the
    JSON expected; that body is dropped from the response cache first, or the retry would
    replay it instead of asking Braze again.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    factor_seconds: float = 2
    max_rate_limit_wait_seconds: float = 600

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.factor_seconds = float(self.factor_seconds)
        self.max_rate_limit_wait_seconds = float(self.max_rate_limit_wait_seconds)

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429:
            wait = self.rate_limit_wait(response_or_exception.headers.get("X-RateLimit-Reset"))
            logger.warning(
                "Braze rate limit reached on %s: waiting %.0f s for the window to reset.",
                urlsplit(response_or_exception.url or "").path,
                wait,
            )
            return wait
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 200:
            response_cache.evict(getattr(response_or_exception, "cache_key", None))
        return self.factor_seconds * 2 ** max(0, attempt_count - 1)

    def rate_limit_wait(self, reset_header: str | None, now: float | None = None) -> float:
        """Seconds until the reset epoch in the header (at least 1, at most the cap)."""
        now = time.time() if now is None else now
        try:
            wait = float(reset_header) - now + 1 if reset_header else self.factor_seconds
        except ValueError:
            wait = self.factor_seconds
        return min(max(wait, 1.0), self.max_rate_limit_wait_seconds)


@dataclass
class NormalizeCampaignState(StateMigration):
    """Makes a saved per-campaign state safe and cheap to resume from, before the CDK reads it.

    Why a migration: the CDK takes the state as given, and its per-campaign cursor is the last
    day Braze returned data for, or start_date when it returned none. Four cases follow:
    - `state` (the latest day on any campaign) is where the CDK starts a campaign missing from
      the state, so a campaign created after the first sync would never get its history: it
      is dropped, and new campaigns start at start_date;
    - the CDK writes `state` only once every campaign of a sync was read to its end, so every
      campaign of that sync was requested through that day: a campaign whose cursor is older
      (stopped, or never sent) resumes there, instead of re-reading from its last data day or
      from start_date on every sync (one request per campaign, not one per 99 days);
    - a cursor that is not a YYYY-MM-DD day crashes the read: that campaign starts over;
    - a cursor after the sync's last day (a clock or a hand-edited state) would skip the
      campaign until that day: it is brought back to the last day.
    Above 10,000 campaigns the CDK keeps one global cursor for all; that state is left as it is.
    A campaign left out of a sync by a config change (campaign_ids, include_archived) keeps its
    entry; included again later, it resumes from the last completed sync's day, so reset the
    stream if it may have sent in between.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]] = None

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        return isinstance(stream_state.get("states"), list) and not stream_state.get("use_global_cursor")

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        last_day = self.config.get("end_date") or time.strftime("%Y-%m-%d", time.gmtime())
        completed = (stream_state.get("state") or {}).get("time")
        completed = min(completed, last_day) if _is_day(completed) else ""
        states = []
        for entry in stream_state["states"]:
            cursor = (entry.get("cursor") or {}).get("time") if isinstance(entry, Mapping) else None
            if not _is_day(cursor):
                logger.warning("Ignoring a saved cursor that is not a day (%r): that campaign restarts.", cursor)
                continue
            if cursor > last_day:
                logger.warning("A saved cursor (%s) is after the last day to sync (%s).", cursor, last_day)
                entry = {**entry, "cursor": {**entry["cursor"], "time": last_day}}
            elif cursor < completed:
                entry = {**entry, "cursor": {**entry["cursor"], "time": completed}}
            states.append(entry)
        kept = {name: value for name, value in stream_state.items() if name not in ("state", "states")}
        return {**kept, "states": states}


def _is_day(value: Any) -> bool:
    try:
        return isinstance(value, str) and len(value) == 10 and bool(time.strptime(value, "%Y-%m-%d"))
    except ValueError:
        return False

"""Records from /canvas/data_series bodies: per canvas and day, per variant, per step message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any

import orjson
import requests
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor

from source_braze_campaigns import cdk_compat
from source_braze_campaigns.progress import PROGRESS
from source_braze_campaigns.records import bad_body, query_value, variation_entries

SHAPES = ("days", "variants", "steps")


@dataclass
class CanvasDataSeriesExtractor(RecordExtractor):
    """Turns one /canvas/data_series body (`data.stats`, a list of days) into records of one shape.

    Why not DpathExtractor + AddFields: the variants and steps tables need one record per
    entry of a day's `variant_stats` / `step_stats` maps (and of each step's per-channel
    lists), which no built-in extractor or transformation produces (they map one record to
    one record); and the canvas id is only in the request that fetched the body.

    shape `days`: one record per canvas and day, `total_stats` as top-level columns and
    `variant_stats` / `step_stats` as Braze sends them. `variants`: one record per canvas,
    day and variant. `steps`: one record per canvas, day, step, channel and message variation,
    with the variation's stats as top-level columns.

    The three streams read each window from Braze once: the first to ask keeps the response
    for the others (shared_responses.py).
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    shape: str = "days"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._shape = str(parameters.get("shape", self.shape))
        if self._shape not in SHAPES:
            raise ValueError(f"Unknown canvas analytics shape {self._shape!r}; one of {SHAPES}.")
        self._stream = str(parameters.get("name", ""))

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        canvas_id = canvas_of(response.request)
        try:
            body = cdk_compat.kept_body(response)
            days = body["data"]["stats"]
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError) as error:
            raise bad_body("/canvas/data_series", "data.stats", "canvas", canvas_id) from error
        if not isinstance(days, list):
            raise bad_body("/canvas/data_series", "data.stats", "canvas", canvas_id)
        records = 0
        for day in days:
            if not isinstance(day, Mapping):
                continue
            for record in _SHAPERS[self._shape](canvas_id, day):
                records += 1
                yield record
        PROGRESS.response_read(self._stream, canvas_id, records)


def day_record(canvas_id: str, day: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """The day with `total_stats` as top-level columns; everything else as Braze sent it."""
    totals = day.get("total_stats")
    rest = {name: value for name, value in day.items() if name != "total_stats"}
    yield {**(totals if isinstance(totals, Mapping) else {}), **rest, "canvas_id": canvas_id}


def variant_records(canvas_id: str, day: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """One row per variant of the day: `variant_name` and the variant's stats."""
    for variant_id, stats in _entries(day.get("variant_stats")):
        row = {name: value for name, value in stats.items() if name != "name"}
        yield {
            **row,
            "canvas_id": canvas_id,
            "time": day.get("time"),
            "variant_id": variant_id,
            "variant_name": stats.get("name"),
        }


def step_records(canvas_id: str, day: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """One row per step, channel and message variation of the day (steps without messages: none)."""
    for step_id, step in _entries(day.get("step_stats")):
        for channel, key, entry in variation_entries(step.get("messages")):
            yield {
                **entry,
                "canvas_id": canvas_id,
                "time": day.get("time"),
                "step_id": step_id,
                "step_name": step.get("name"),
                "channel": channel,
                "variation_key": key,
            }


_SHAPERS = {"days": day_record, "variants": variant_records, "steps": step_records}


def _entries(stats: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    if not isinstance(stats, Mapping):
        return
    for key, value in stats.items():
        if isinstance(value, Mapping):
            yield str(key), value


def canvas_of(request: requests.PreparedRequest | None) -> str:
    """The canvas_id a request asked for ("" when none)."""
    return query_value(request, "canvas_id")

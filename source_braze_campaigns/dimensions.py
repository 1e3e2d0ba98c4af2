"""Dimension tables from the details bodies: what a message variation is called, what a conversion column counts.

Braze's analytics name a variation by its `variation_api_id` and a conversion event by its
column (`conversions`, `conversions1`, ...); only the details responses say what they are. The
rows here are keyed so that one SQL join labels an analytics row (docs/braze-campaigns.md):

- message variations, `[campaign_id, variation_api_id]`: `channel`, `name`, `is_control`; for
  canvases `[canvas_id, step_id, variation_api_id]` with the step's `step_name` and `step_type`;
- conversion behaviors, `[campaign_id, conversion_column]`: behavior A is `conversions`, B
  `conversions1`, C `conversions2`, D `conversions3`, with its `slot`, `type`, `window_seconds`,
  a `label` and every field Braze sent;
- canvas variants, `[canvas_id, variant_id]`: `name`, `first_step_ids`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor

from source_braze_campaigns import cdk_compat

# How data_series names a control group, which the details give no name.
CONTROL_GROUP_NAME = "Control Group"

Row = dict[str, Any]


def conversion_column(index: int) -> str:
    """The analytics column behavior `index` (0 = A) explains: conversions, conversions1, ..."""
    return "conversions" if index == 0 else f"conversions{index}"


def conversion_label(behavior: Mapping[str, Any]) -> str | None:
    """The behavior's type, with the event or product it names: "Performs Custom Event: signup"."""
    kind = behavior.get("type")
    detail = behavior.get("custom_event_name") or behavior.get("product")
    if kind and detail:
        return f"{kind}: {detail}"
    return str(kind) if kind else None


def _variation(variation_api_id: str, message: Mapping[str, Any]) -> Row:
    is_control = message.get("type") == "control"
    name = message.get("name")
    return {
        "variation_api_id": variation_api_id,
        "channel": message.get("channel"),
        "name": CONTROL_GROUP_NAME if is_control and not name else name,
        "is_control": is_control,
    }


def _messages(owner: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    messages = owner.get("messages")
    if not isinstance(messages, Mapping):
        return
    for variation_api_id, message in messages.items():
        if isinstance(message, Mapping):
            yield str(variation_api_id), message


def _entries(details: Mapping[str, Any], key: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    entries = details.get(key)
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping):
            yield index, entry


def campaign_message_variations(campaign_id: str, details: Mapping[str, Any]) -> Iterator[Row]:
    """One row per entry of a campaign's `messages`, control groups included."""
    for variation_api_id, message in _messages(details):
        yield {"campaign_id": campaign_id, **_variation(variation_api_id, message)}


def conversion_behaviors(campaign_id: str, details: Mapping[str, Any]) -> Iterator[Row]:
    """One row per entry of `conversion_behaviors`, by position; Braze's fields are all kept."""
    for index, behavior in _entries(details, "conversion_behaviors"):
        yield {
            **{field: value for field, value in behavior.items() if field != "window"},
            "campaign_id": campaign_id,
            "conversion_column": conversion_column(index),
            "slot": chr(ord("A") + index),
            "window_seconds": behavior.get("window"),
            "label": conversion_label(behavior),
        }


def canvas_message_variations(canvas_id: str, details: Mapping[str, Any]) -> Iterator[Row]:
    """One row per message of each canvas step, with the step it belongs to."""
    for _, step in _entries(details, "steps"):
        step_fields = {"step_id": step.get("id"), "step_name": step.get("name"), "step_type": step.get("type")}
        for variation_api_id, message in _messages(step):
            yield {"canvas_id": canvas_id, **step_fields, **_variation(variation_api_id, message)}


def canvas_variants(canvas_id: str, details: Mapping[str, Any]) -> Iterator[Row]:
    """One row per canvas variant; the deprecated single `first_step_id` fills `first_step_ids`."""
    for _, variant in _entries(details, "variants"):
        first_step_ids = variant.get("first_step_ids")
        if first_step_ids is None and variant.get("first_step_id"):
            first_step_ids = [variant["first_step_id"]]
        yield {
            **{field: value for field, value in variant.items() if field != "id"},
            "canvas_id": canvas_id,
            "variant_id": variant.get("id"),
            "first_step_ids": first_step_ids,
        }


Extraction = Callable[[str, Mapping[str, Any]], Iterable[Row]]

# dimension -> (the request parameter naming the campaign or canvas, the rows of one details body)
DIMENSIONS: dict[str, tuple[str, Extraction]] = {
    "campaign_message_variations": ("campaign_id", campaign_message_variations),
    "campaign_conversion_behaviors": ("campaign_id", conversion_behaviors),
    "canvas_message_variations": ("canvas_id", canvas_message_variations),
    "canvas_variants": ("canvas_id", canvas_variants),
}


@dataclass
class DetailsDimensionExtractor(RecordExtractor):
    """Rows of one dimension (`dimension`: a key of DIMENSIONS) from a /campaigns/details or /canvas/details body.

    Why not DpathExtractor + AddFields: a dimension row comes from an object keyed by id
    (`messages`) or from a list position (`conversion_behaviors`: the position is the column it
    explains), inside a list of steps for canvases; the built-ins select existing objects and
    cannot turn keys or positions into fields.

    The dimension streams take the details responses the first stream of their group received
    (manifest `shared_responses`, shared_responses.py): no extra requests.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    dimension: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        name = str(parameters.get("dimension") or self.dimension)
        if name not in DIMENSIONS:
            raise ValueError(f"Unknown dimension {name!r}; expected one of {sorted(DIMENSIONS)}.")
        self._owner_parameter, self._extract = DIMENSIONS[name]

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        try:
            body = cdk_compat.kept_body(response)
        except orjson.JSONDecodeError:
            return  # the error handler retries or fails a body that is not JSON before this
        if not isinstance(body, Mapping):
            return
        url = response.request.url if response.request is not None else ""
        owner = parse_qs(urlsplit(url or "").query).get(self._owner_parameter, [""])[0]
        yield from self._extract(owner, body)

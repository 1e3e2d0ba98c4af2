"""Day windows in the workspace's company time zone: a data_series request's `length` and `ending_at`.

Braze returns the `length` days *before the `ending_at` instant*, days being the company time
zone's (a recorded request, `ending_at=2022-12-09&length=99`, returned 2022-09-01 .. 2022-12-08;
Braze's own example sends `ending_at=2020-06-28T23:59:59-5:00`). A window of days D1..Dn is
therefore asked for as `length = n` and `ending_at = Dn 23:59:59` in that zone, with the offset
the zone has on Dn (daylight saving time included): a bare date or a midnight would lose Dn, and
a UTC 23:59:59 is another day's end in any zone but UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

import pytz
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_braze_campaigns.shared_responses import SharedResponsesRequester

DEFAULT_TIME_ZONE = "UTC"


def company_zone(config: Mapping[str, Any]) -> tzinfo:
    """The config's `time_zone` (an IANA name; empty means UTC)."""
    name = config.get("time_zone") or DEFAULT_TIME_ZONE
    try:
        zone: tzinfo = pytz.timezone(str(name))
        return zone
    except pytz.UnknownTimeZoneError:
        raise AirbyteTracedException(
            message=f"`time_zone` must be an IANA time zone name such as America/New_York; got {name!r}.",
            failure_type=FailureType.config_error,
        ) from None


def end_of_day(day: date, zone: tzinfo) -> str:
    """`day` at 23:59:59 in `zone`, with the offset `zone` has then: `2026-03-08T23:59:59-04:00`."""
    naive = datetime.combine(day, time(23, 59, 59))
    localize: Callable[[datetime], datetime] | None = getattr(zone, "localize", None)
    moment = localize(naive) if localize else naive.replace(tzinfo=zone)
    return moment.isoformat()


def window_parameters(first: date, last: date, zone: tzinfo) -> dict[str, str]:
    """`length` and `ending_at` that make Braze return exactly the days `first`..`last`."""
    return {"length": str((last - first).days + 1), "ending_at": end_of_day(last, zone)}


@dataclass
class DayWindowRequester(SharedResponsesRequester):
    """The declared HttpRequester, plus the partition's id and its day window as query parameters.

    Why not `request_parameters` with Jinja: `ending_at` needs the company zone's UTC offset on the
    window's last day, which changes with daylight saving time, and no interpolation macro converts
    a given date to a zone (`today_with_timezone` only knows today). Everything else (URL, auth,
    error handler, retries, the responses the group's streams share) is SharedResponsesRequester's
    and the wrapped requester's, built by the CDK. Shared by every data_series stream:
    `id_parameter` is both the partition field and the query parameter (`campaign_id`,
    `canvas_id`), `max_length` Braze's limit on `length` (100, 14).
    """

    id_parameter: str = "campaign_id"
    max_length: int = 100

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._zone = company_zone(self.config)
        self.max_length = int(self.max_length)

    def extra_request_parameters(self, stream_slice: StreamSlice | None) -> dict[str, str]:
        return self.window_request_parameters(stream_slice)

    def window_request_parameters(self, stream_slice: StreamSlice | None) -> dict[str, str]:
        """`{id_parameter: ..., "length": ..., "ending_at": ...}` for one slice."""
        if stream_slice is None:
            return {}
        window = stream_slice.cursor_slice
        first, last = date.fromisoformat(window["start_time"]), date.fromisoformat(window["end_time"])
        params = window_parameters(first, last, self._zone)
        if not 1 <= int(params["length"]) <= self.max_length:
            raise ValueError(f"A window of {params['length']} days; Braze allows 1 to {self.max_length}.")
        return {self.id_parameter: str(stream_slice.partition[self.id_parameter]), **params}

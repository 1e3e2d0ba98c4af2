"""Parsing and formatting of the ISO 8601 strings Braze uses.

``ending_at`` accepts what Braze's docs show: a full datetime with ``Z``, ``+00:00``,
``-05:00`` or the docs' own ``-5:00`` style offset, a compact ``+0000`` offset, optional
fractional seconds, and a bare date (midnight). ``parse_iso_datetime`` takes a naive
datetime or a bare date as UTC; ``parse_in_zone`` takes it in a given zone (the company
time zone: Braze does not document which it uses, the sandbox assumes the company's).
A space where the offset sign should be (what an unencoded ``+`` in a query string turns
into) is read as ``+``: Braze's behaviour there is undocumented, the sandbox is lenient.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_ISO_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?P<tz>[Zz]|[+\- ]\d{1,2}(?::?\d{2})?)?)?$"
)


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date or datetime into an aware UTC datetime.

    Raises ValueError for anything else.
    """
    return parse_in_zone(text, UTC).astimezone(UTC)


def parse_in_zone(text: str, zone: tzinfo) -> datetime:
    """Parse an ISO 8601 date or datetime; naive values (and bare dates) are in ``zone``."""
    match = _ISO_RE.match(text.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 datetime: {text!r}")
    day = date.fromisoformat(match["date"])
    if match["h"] is None:
        return datetime(day.year, day.month, day.day, tzinfo=zone)
    micro = int((match["f"] or "0")[:6].ljust(6, "0"))
    naive = datetime(
        day.year,
        day.month,
        day.day,
        int(match["h"]),
        int(match["m"]),
        int(match["s"] or 0),
        micro,
    )
    offset = zone if match["tz"] is None else _parse_offset(match["tz"])
    return naive.replace(tzinfo=offset)


def _parse_offset(tz: str) -> timezone:
    """Turn ``Z``, ``+05:00``, ``-5:00``, ``+0530`` or ``+05`` into a timezone."""
    if tz in ("Z", "z"):
        return UTC
    sign = -1 if tz[0] == "-" else 1
    body = tz[1:].replace(":", "")
    if len(body) <= 2:
        hours, minutes = int(body), 0
    else:
        hours, minutes = int(body[:-2]), int(body[-2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad UTC offset: {tz!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime the way Braze does: ``2026-06-28T14:03:22+00:00``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def utc_today() -> date:
    """The current UTC date."""
    return datetime.now(UTC).date()

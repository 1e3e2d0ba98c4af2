"""``BrazeData``: the deterministic ground truth the sandbox serves.

Pure functions of ``(seed, campaigns, days, today)``; the server serialises exactly what
these methods return (``json.loads`` of a served body equals them).

Window semantics of ``/campaigns/data_series``, as a real response recorded in December
2022 shows them (Airbyte's ``source-braze``, ``integration_tests/expected_records.jsonl``
with the requests its slicer made: ``ending_at=2022-12-09&length=99`` returned 2022-09-01
.. 2022-12-08): the series is the ``length`` calendar days *before the ending_at instant*,
days being the company time zone's (Braze's own example sends a local offset,
``ending_at=2020-06-28T23:59:59-5:00``). So a bare date or a midnight ``ending_at`` ends
the series the day before; ``T23:59:59`` includes that day. A naive ``ending_at`` or a
bare date is read in the company zone (undocumented; an assumption). ``ending_at``
defaults to "now", i.e. the series ends on the sandbox's today.

Days after the sandbox's today are never returned. With ``zero_fill`` (the default, as
the recorded responses show) every other day of the window is returned from the day the
campaign was created (company zone) on, zero-filled on days without activity; without
it, only days with activity (the old tidy sandbox).

The workspace can change while a connector reads it (``archive``, ``delete``,
``create``): the list then shifts under a paging client as Braze's would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from .catalog import (
    CHANNELS,
    KINDS,
    UNDOCUMENTED_CHANNEL,
    CampaignSpec,
    _build_one,
    _with_kinds,
    build_campaigns,
)
from .daily import RESTATEMENT_DAYS, day_record

PAGE_SIZE = 100
MAX_LENGTH = 100


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class BrazeData:
    """Campaigns, their details and their daily series for one workspace.

    ``today`` (default: the real date in the company zone) anchors the history: sends happen from
    ``history_start = today - days + 1``. Methods taking a ``today`` argument answer "as
    seen on that day" (restatement); the anchor itself never moves.
    """

    def __init__(
        self,
        seed: int = 1,
        campaigns: int = 20,
        days: int = 400,
        today: date | None = None,
        cache_size: int = 500_000,
        time_zone: str = "UTC",
        zero_fill: bool = True,
    ) -> None:
        self.seed = seed
        self.days = days
        self.zone: tzinfo = ZoneInfo(time_zone)
        self.zero_fill = zero_fill
        self.today = today or datetime.now(self.zone).date()
        self.history_start = self.today - timedelta(days=days - 1)
        self._count = campaigns
        self._mutation_lock = threading.Lock()
        self._specs: list[CampaignSpec] = []
        self._index(build_campaigns(seed, campaigns, days, self.today))
        self._cache: dict[tuple[int, int, int], bytes | None] = {}
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    def _index(self, specs: list[CampaignSpec]) -> None:
        """Make ``specs`` the workspace (one assignment per view, so readers see one or the other)."""
        self._by_id = {spec.id: spec for spec in specs}
        self._created_day = {
            spec.id: spec.created_at.astimezone(self.zone).date() for spec in specs
        }
        self._asc = sorted(specs, key=lambda sp: (sp.created_at, sp.id))
        self._specs = specs

    # ------------------------------------------------------------------ changes
    def archive(self, campaign_id: str) -> None:
        """Archive a campaign: it leaves lists read without ``include_archived``."""
        with self._mutation_lock:
            specs = [
                _with_kinds(replace(sp, archived=True)) if sp.id == campaign_id else sp
                for sp in self._specs
            ]
            self._index(specs)

    def delete(self, campaign_id: str) -> None:
        """Delete a campaign: gone from every list, 400 on details and data_series."""
        with self._mutation_lock:
            self._index([sp for sp in self._specs if sp.id != campaign_id])

    def create(self, created_at: datetime | None = None) -> str:
        """Add a campaign created at ``created_at`` (default: end of today), not sent yet."""
        with self._mutation_lock:
            index = self._count
            self._count += 1
            spec = _build_one(self.seed, index, None, self.history_start, self.today)
            when = created_at or datetime.combine(
                self.today, time(23, 59, 59), tzinfo=self.zone
            )
            spec = _with_kinds(
                replace(
                    spec,
                    created_at=when,
                    last_edited=when,
                    first_send=None,
                    last_send=None,
                    archived=False,
                    draft=True,
                )
            )
            self._index([*self._specs, spec])
            return spec.id

    # ------------------------------------------------------------------ campaigns
    def campaigns(
        self,
        include_archived: bool = False,
        sort_direction: str = "asc",
        edited_after: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """All ``/campaigns/list`` entries (every page) in the order the API gives them.

        ``edited_after`` is ``last_edit.time[gt]`` (strictly after, aware or UTC-naive).
        """
        if edited_after is not None and edited_after.tzinfo is None:
            edited_after = edited_after.replace(tzinfo=UTC)
        ordered = self._asc if sort_direction != "desc" else self._asc[::-1]
        return [
            spec.list_entry()
            for spec in ordered
            if (include_archived or not spec.archived)
            and (edited_after is None or spec.last_edited > edited_after)
        ]

    def list_page(
        self,
        page: int,
        include_archived: bool = False,
        sort_direction: str = "asc",
        edited_after: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """One page (``PAGE_SIZE`` entries, from page 0) of ``campaigns(...)``."""
        entries = self.campaigns(include_archived, sort_direction, edited_after)
        return entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]

    def details(self, campaign_id: str, today: date | None = None) -> dict[str, Any]:
        """The ``/campaigns/details`` body without ``"message"``; KeyError if unknown.

        ``today`` (default: the anchor) only moves ``last_sent`` of ongoing campaigns.
        """
        return self._by_id[campaign_id].details(today or self.today)

    def spec(self, campaign_id: str) -> CampaignSpec:
        """The static description of a campaign (first/last send day, channels, ...)."""
        return self._by_id[campaign_id]

    def specs(self) -> list[CampaignSpec]:
        """Every campaign's spec, in index order."""
        return list(self._specs)

    def has_campaign(self, campaign_id: str) -> bool:
        """Whether ``campaign_id`` exists in this workspace."""
        return campaign_id in self._by_id

    def campaign_ids(
        self,
        kind: str | None = None,
        channel: str | None = None,
        include_archived: bool = True,
    ) -> list[str]:
        """Ids (index order) of campaigns of a ``kind`` (see ``KINDS``) and/or ``channel``.

        Kinds: all, multivariate, single_variation, control_group, archived, draft,
        never_sent, stopped, ongoing, mid_range, from_history_start, never_edited, edited,
        undocumented_channel, legacy_fields, dynamic_keys, multichannel, api_campaign.
        """
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        return [
            spec.id
            for spec in self._specs
            if (kind is None or kind in spec.kinds)
            and (channel is None or channel in spec.channels)
            and (include_archived or not spec.archived)
        ]

    def channels(self) -> list[str]:
        """Channels used by at least one campaign (documented ones first)."""
        used = {c for spec in self._specs for c in spec.channels}
        return [c for c in (*CHANNELS, UNDOCUMENTED_CHANNEL) if c in used]

    # ------------------------------------------------------------------ series
    def active_range(self, campaign_id: str, today: date) -> tuple[date, date] | None:
        """First and last day with data as seen on ``today``; None when there is none."""
        spec = self._by_id[campaign_id]
        if spec.first_send is None or spec.first_send > today:
            return None
        last = today if spec.last_send is None else min(spec.last_send, today)
        return spec.first_send, last

    def day(self, campaign_id: str, day: date, today: date) -> dict[str, Any] | None:
        """The data_series object for ``day`` as seen on ``today`` (None: no data)."""
        raw = self._day_json(self._by_id[campaign_id], day, today)
        return None if raw is None else json.loads(raw)

    def series(
        self, campaign_id: str, first: date, last: date, today: date
    ) -> list[dict[str, Any]]:
        """Day objects for ``first..last`` inclusive as seen on ``today``, ascending."""
        return json.loads(self.series_json(campaign_id, first, last, today))

    def series_json(
        self, campaign_id: str, first: date, last: date, today: date
    ) -> bytes:
        """``series(...)`` as the JSON array bytes the server sends."""
        spec = self._by_id[campaign_id]
        parts = [
            raw
            for raw in (self._day_json(spec, d, today) for d in _days(first, last))
            if raw is not None
        ]
        return b"[" + b",".join(parts) + b"]"

    def data_series(
        self, campaign_id: str, length: int, ending_at: datetime | None, today: date
    ) -> list[dict[str, Any]]:
        """What ``/campaigns/data_series`` returns for these parameters on ``today``."""
        first, last = self.window(length, ending_at, today, self.zone)
        return self.series(campaign_id, first, last, today)

    @staticmethod
    def window(
        length: int,
        ending_at: datetime | None,
        today: date,
        zone: tzinfo = UTC,
    ) -> tuple[date, date]:
        """``(first, last)`` days of a request: the ``length`` days of ``zone`` before ending_at.

        The last day is the one holding the instant just before ``ending_at``: a midnight
        ``ending_at`` ends the window the day before, ``23:59:59`` on that day. ``ending_at``
        None means now (the window ends on ``today``); naive datetimes are in ``zone``.
        """
        if ending_at is None:
            last = today
        else:
            aware = ending_at if ending_at.tzinfo else ending_at.replace(tzinfo=zone)
            last = (aware.astimezone(zone) - timedelta(microseconds=1)).date()
        return last - timedelta(days=length - 1), last

    def reports(self, spec: CampaignSpec, day: date, today: date) -> bool:
        """Whether the series of ``spec`` has an object for ``day`` as seen on ``today``."""
        if day > today:
            return False
        if self.zero_fill:
            created = self._created_day.get(spec.id)
            return created is not None and day >= created
        return spec.sends_on(day)

    def _day_json(self, spec: CampaignSpec, day: date, today: date) -> bytes | None:
        if not self.reports(spec, day, today):
            return None
        age = min((today - day).days, RESTATEMENT_DAYS)
        key = (spec.index, day.toordinal(), age)
        raw = self._cache.get(key)
        if raw is None:
            record = day_record(spec, day, today, zero_fill=self.zero_fill)
            raw = None if record is None else _dumps(record)
            if len(self._cache) >= self._cache_size:
                with self._cache_lock:
                    if len(self._cache) >= self._cache_size:
                        self._cache.clear()
            self._cache[key] = raw
        return raw

    def expected_days(
        self, campaign_id: str, first: date, last: date, today: date
    ) -> list[date]:
        """The days ``first..last`` the series returns as seen on ``today``."""
        spec = self._by_id[campaign_id]
        return [d for d in _days(first, last) if self.reports(spec, d, today)]


def _days(first: date, last: date) -> Iterable[date]:
    current = first
    one = timedelta(days=1)
    while current <= last:
        yield current
        current += one

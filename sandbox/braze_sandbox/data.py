"""``BrazeData``: the deterministic ground truth the sandbox serves.

Pure functions of ``(seed, campaigns, days, today)``; the server serialises exactly what
these methods return (``json.loads`` of a served body equals them).

Window semantics of ``/campaigns/data_series`` (Braze leaves them undocumented; this is
the working assumption of ``shared/docs/braze-api.md``): the series is the ``length`` UTC
calendar days ending on the UTC date of ``ending_at``, inclusive, minus the days after the
sandbox's today and the days on which the campaign had no activity (before its first
send, after its last). ``ending_at`` defaults to "now", i.e. the sandbox's today.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .catalog import (
    CHANNELS,
    KINDS,
    UNDOCUMENTED_CHANNEL,
    CampaignSpec,
    build_campaigns,
)
from .daily import RESTATEMENT_DAYS, day_record
from .timeutil import utc_today

PAGE_SIZE = 100
MAX_LENGTH = 100


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class BrazeData:
    """Campaigns, their details and their daily series for one workspace.

    ``today`` (default: the real UTC date) anchors the history: sends happen from
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
    ) -> None:
        self.seed = seed
        self.days = days
        self.today = today or utc_today()
        self.history_start = self.today - timedelta(days=days - 1)
        self._specs = build_campaigns(seed, campaigns, days, self.today)
        self._by_id = {spec.id: spec for spec in self._specs}
        self._asc = sorted(self._specs, key=lambda sp: (sp.created_at, sp.id))
        self._cache: dict[tuple[int, int, int], bytes | None] = {}
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

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
        first, last = self.window(length, ending_at, today)
        return self.series(campaign_id, first, last, today)

    @staticmethod
    def window(
        length: int, ending_at: datetime | None, today: date
    ) -> tuple[date, date]:
        """``(first, last)`` days of a request: ``length`` UTC days ending on ending_at's.

        ``ending_at`` None means now (the sandbox's today); naive datetimes are UTC.
        """
        if ending_at is None:
            last = today
        elif ending_at.tzinfo is None:
            last = ending_at.date()
        else:
            last = ending_at.astimezone(UTC).date()
        return last - timedelta(days=length - 1), last

    def _day_json(self, spec: CampaignSpec, day: date, today: date) -> bytes | None:
        if day > today or not spec.sends_on(day):
            return None
        age = min((today - day).days, RESTATEMENT_DAYS)
        key = (spec.index, day.toordinal(), age)
        raw = self._cache.get(key)
        if raw is None:
            record = day_record(spec, day, today)
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
        """The days ``first..last`` that have data as seen on ``today``."""
        spec = self._by_id[campaign_id]
        return [d for d in _days(first, last) if d <= today and spec.sends_on(d)]


def _days(first: date, last: date) -> Iterable[date]:
    current = first
    one = timedelta(days=1)
    while current <= last:
        yield current
        current += one

"""What a sync into DuckDB should contain, and whether a second sync really was incremental.

``expected_rows`` is the sandbox's ground truth per stream (one row per campaign, per
campaign and day with data, per campaign, day, channel and variation). ``incremental_report``
reads the sandbox's request log of the second sync against the state it resumed from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from braze_sandbox import BrazeData

STREAMS = (
    "campaigns",
    "campaigns_details",
    "campaigns_analytics",
    "campaigns_analytics_variations",
    "campaigns_message_variations",
    "campaigns_conversion_behaviors",
)
DATA_SERIES = "/campaigns/data_series"


def expected_rows(data: BrazeData, start: date, end: date, today: date) -> dict[str, int]:
    """Rows per stream after syncing ``start..end`` (archived campaigns included) on ``today``."""
    ids = [campaign["id"] for campaign in data.campaigns(include_archived=True)]
    days = variations = messages = behaviors = 0
    for campaign_id in ids:
        details = data.details(campaign_id, today)
        messages += len(details["messages"])
        behaviors += len(details["conversion_behaviors"])
        for day in data.series(campaign_id, start, end, today):
            days += 1
            variations += sum(len(entries) for entries in (day.get("messages") or {}).values())
    return {
        "campaigns": len(ids),
        "campaigns_details": len(ids),
        "campaigns_analytics": days,
        "campaigns_analytics_variations": variations,
        "campaigns_message_variations": messages,
        "campaigns_conversion_behaviors": behaviors,
    }


def request_window(query: dict[str, str]) -> tuple[date, date]:
    """First and last day of a data_series request (``length`` days ending on ``ending_at``)."""
    last = date.fromisoformat(query["ending_at"][:10])
    return last - timedelta(days=int(query["length"]) - 1), last


def repeated_windows(requests: list[dict[str, Any]]) -> int:
    """data_series requests that asked again for a campaign and window already requested."""
    sent = Counter(
        (entry["query"]["campaign_id"], request_window(entry["query"]))
        for entry in requests
        if entry.get("path") == DATA_SERIES and entry.get("status") == 200
    )
    return sum(count - 1 for count in sent.values())


@dataclass
class CampaignReads:
    """The data_series requests one sync made for one campaign."""

    campaign_id: str
    cursor: str | None  # the day the sync resumed from (None: no saved state)
    requests: int
    windows: set[tuple[date, date]]  # distinct (first day, last day): fewer than requests = sent twice

    @property
    def first_day(self) -> date:
        return min(first for first, _ in self.windows)


@dataclass
class IncrementalReport:
    """The data_series requests of one sync, per campaign, against the saved cursors."""

    campaigns: list[CampaignReads] = field(default_factory=list)
    # (campaign id, first day requested, earliest day the state allows): must stay empty.
    too_early: list[tuple[str, date, date]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(reads.requests for reads in self.campaigns)

    @property
    def single_window(self) -> list[CampaignReads]:
        return [reads for reads in self.campaigns if reads.cursor and len(reads.windows) == 1]

    @property
    def several_windows(self) -> list[CampaignReads]:
        return [reads for reads in self.campaigns if reads.cursor and len(reads.windows) > 1]

    @property
    def without_cursor(self) -> list[CampaignReads]:
        return [reads for reads in self.campaigns if not reads.cursor]

    @property
    def incremental(self) -> bool:
        return any(reads.cursor for reads in self.campaigns) and not self.too_early


def incremental_report(
    requests: list[dict[str, Any]], cursors: dict[str, str], lookback_days: int, start_date: date
) -> IncrementalReport:
    """Check every data_series request of a sync against the cursor it resumed from.

    A campaign with a saved cursor may only be read from ``max(start_date, cursor -
    lookback_days)``; one without is read from ``start_date``.
    """
    counts: Counter[str] = Counter()
    windows: dict[str, set[tuple[date, date]]] = {}
    for entry in requests:
        if entry.get("path") != DATA_SERIES or entry.get("status") != 200:
            continue
        campaign_id = entry["query"]["campaign_id"]
        counts[campaign_id] += 1
        windows.setdefault(campaign_id, set()).add(request_window(entry["query"]))
    report = IncrementalReport()
    for campaign_id, count in sorted(counts.items()):
        cursor = cursors.get(campaign_id)
        reads = CampaignReads(campaign_id, cursor, count, windows[campaign_id])
        report.campaigns.append(reads)
        if cursor is None:
            continue
        allowed = max(start_date, date.fromisoformat(cursor) - timedelta(days=lookback_days))
        if reads.first_day < allowed:
            report.too_early.append((campaign_id, reads.first_day, allowed))
    return report

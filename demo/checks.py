"""What a sync into DuckDB should contain, and whether a second sync really was incremental.

``expected_rows`` is the sandbox's ground truth per campaign stream (one row per campaign, per
campaign and day with data, per campaign, day, channel and variation), ``expected_canvas_rows``
the same for the Canvas streams (``CanvasData``), and ``canvas_step_totals`` what the per-step,
per-channel totals read back from DuckDB must add up to. ``incremental_report`` reads the
sandbox's request log of the second sync against the state it resumed from, for campaigns or
(``CANVASES``) canvases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from braze_sandbox import BrazeData, CanvasData
from integration_tests.harness import ALL_STREAMS

STREAMS = ALL_STREAMS
DATA_SERIES = "/campaigns/data_series"
CANVAS_DATA_SERIES = "/canvas/data_series"
# The step totals the demo prints, per (step_name, channel). Braze names the same idea
# differently per channel: the first field an entry has counts (as COALESCE does in SQL).
STEP_TOTALS = {
    "sent": ("sent",),
    "delivered": ("delivered",),
    "opens": ("opens", "total_opens", "read"),
    "clicks": ("clicks", "total_clicks", "body_clicks"),
}


@dataclass(frozen=True)
class Family:
    """Campaigns or canvases: their data_series path and the request parameter naming one."""

    name: str  # plural, as printed
    one: str  # singular
    path: str
    id_key: str
    analytics_stream: str


CAMPAIGNS = Family("campaigns", "campaign", DATA_SERIES, "campaign_id", "campaigns_analytics")
CANVASES = Family("canvases", "canvas", CANVAS_DATA_SERIES, "canvas_id", "canvases_analytics")


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


def expected_canvas_rows(data: CanvasData, start: date, end: date, today: date) -> dict[str, int]:
    """Rows per Canvas stream after syncing ``start..end`` (archived canvases and deleted steps included)."""
    ids = data.canvas_ids()
    days = variants = steps = messages = variant_rows = 0
    for canvas_id in ids:
        details = data.details(canvas_id, today)
        messages += sum(len(step["messages"]) for step in details["steps"])
        variant_rows += len(details["variants"])
        for day in data.stats(canvas_id, start, end, today):
            days += 1
            variants += len(day["variant_stats"])
            steps += sum(len(entries) for step in day["step_stats"].values() for entries in step["messages"].values())
    return {
        "canvases": len(ids),
        "canvases_details": len(ids),
        "canvases_analytics": days,
        "canvases_analytics_variants": variants,
        "canvases_analytics_steps": steps,
        "canvases_message_variations": messages,
        "canvases_variants": variant_rows,
    }


def canvas_step_totals(
    data: CanvasData, start: date, end: date, today: date
) -> dict[tuple[str, str], dict[str, int | None]]:
    """(step_name, channel) -> canvases, rows and the ``STEP_TOTALS`` sums of the sandbox's step messages.

    A sum no entry has a field for is None, as SQL's SUM of NULLs is.
    """
    totals: dict[tuple[str, str], dict[str, int | None]] = {}
    canvases: dict[tuple[str, str], set[str]] = {}
    for canvas_id in data.canvas_ids():
        for day in data.stats(canvas_id, start, end, today):
            for step in day["step_stats"].values():
                for channel, entries in step["messages"].items():
                    key = (step["name"], channel)
                    sums = totals.setdefault(key, {"rows": 0, **dict.fromkeys(STEP_TOTALS)})
                    canvases.setdefault(key, set()).add(canvas_id)
                    for entry in entries:
                        sums["rows"] = (sums["rows"] or 0) + 1
                        for name, fields in STEP_TOTALS.items():
                            value = next((entry[f] for f in fields if entry.get(f) is not None), None)
                            if value is not None:
                                sums[name] = (sums[name] or 0) + value
    return {key: {"canvases": len(canvases[key]), **sums} for key, sums in totals.items()}


def request_window(query: dict[str, str]) -> tuple[date, date]:
    """First and last day of a data_series request (``length`` days ending on ``ending_at``)."""
    last = date.fromisoformat(query["ending_at"][:10])
    return last - timedelta(days=int(query["length"]) - 1), last


def repeated_windows(requests: list[dict[str, Any]], family: Family = CAMPAIGNS) -> int:
    """data_series requests that asked again for a campaign (canvas) and window already requested."""
    sent = Counter(
        (entry["query"][family.id_key], request_window(entry["query"]))
        for entry in requests
        if entry.get("path") == family.path and entry.get("status") == 200
    )
    return sum(count - 1 for count in sent.values())


@dataclass
class CampaignReads:
    """The data_series requests one sync made for one campaign (or canvas)."""

    campaign_id: str
    cursor: str | None  # the day the sync resumed from (None: no saved state)
    requests: int
    windows: set[tuple[date, date]]  # distinct (first day, last day): fewer than requests = sent twice

    @property
    def first_day(self) -> date:
        return min(first for first, _ in self.windows)


@dataclass
class IncrementalReport:
    """The data_series requests of one sync, per campaign (or canvas), against the saved cursors."""

    family: Family = CAMPAIGNS
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
    requests: list[dict[str, Any]],
    cursors: dict[str, str],
    lookback_days: int,
    start_date: date,
    family: Family = CAMPAIGNS,
) -> IncrementalReport:
    """Check every data_series request of a sync against the cursor it resumed from.

    A campaign (canvas) with a saved cursor may only be read from ``max(start_date, cursor -
    lookback_days)``; one without is read from ``start_date``.
    """
    counts: Counter[str] = Counter()
    windows: dict[str, set[tuple[date, date]]] = {}
    for entry in requests:
        if entry.get("path") != family.path or entry.get("status") != 200:
            continue
        campaign_id = entry["query"][family.id_key]
        counts[campaign_id] += 1
        windows.setdefault(campaign_id, set()).add(request_window(entry["query"]))
    report = IncrementalReport(family)
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

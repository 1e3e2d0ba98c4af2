"""Plain-text tables and summaries the demo prints (no colours, fits 100 columns)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from integration_tests.harness import CANVAS_STREAMS

from .checks import CANVASES, STREAMS, IncrementalReport


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], left: Sequence[int] = (0,), indent: str = "    "
) -> list[str]:
    """Columns padded to their widest cell: the ``left`` columns left-aligned, the others right."""
    cells = [[str(h) for h in headers], *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        padded = [value.ljust(width) if i in left else value.rjust(width) for i, (value, width) in pairs]
        return (indent + "  ".join(padded)).rstrip()

    return [line(cells[0]), indent + "  ".join("-" * w for w in widths), *[line(row) for row in cells[1:]]]


def streams_table(result: dict[str, Any], expected: dict[str, int] | None = None) -> list[str]:
    """Per stream: records the connector sent in this sync, rows now in DuckDB, primary key."""
    headers = ["stream", "sync mode", "records read", "rows in DuckDB"]
    headers += ["expected rows"] if expected else []
    headers += ["primary key"]
    rows = []
    for stream in _ordered(result["tables"]):
        info = result["tables"][stream]
        row: list[Any] = [stream, info["sync_mode"], result["records_read"].get(stream, 0), info["rows"]]
        row += [expected.get(stream, "?")] if expected else []
        row += ["(" + ", ".join(info["primary_key"]) + ")"]
        rows.append(row)
    return table(headers, rows, left=(0, 1, len(headers) - 1))


def state_lines(cursors_by_stream: dict[str, dict[str, Any]]) -> list[str]:
    """One line per incremental stream: how many campaigns (canvases) have a cursor, and its range."""
    if not cursors_by_stream:
        return ["no saved state for this source in the cache: everything is read from start_date"]
    lines = []
    for stream in _ordered(cursors_by_stream):
        state = cursors_by_stream[stream]
        days = sorted(day for day in state["cursors"].values() if day)
        owners, one = ("canvases", "canvas") if stream.startswith("canvases") else ("campaigns", "campaign")
        if not days:
            lines.append(f"{stream}: no {one} has a cursor yet")
            continue
        sync_wide = state.get("global_cursor")
        lines.append(
            f"{stream}: {len(days)} {owners} with a cursor, from {days[0]} to {days[-1]}"
            + (f"; last completed sync up to {sync_wide}" if sync_wide else "")
        )
    return lines


def incremental_lines(report: IncrementalReport, first_sync_requests: int, lookback_days: int) -> list[str]:
    """What the sandbox saw during the incremental sync, and the verdict (campaigns or canvases)."""
    owners = report.family.name
    lines = [
        f"{report.family.path} requests: {report.requests} for {len(report.campaigns)} {owners}"
        f" (first sync: {first_sync_requests})",
    ]
    if report.family == CANVASES:
        lines += _canvas_windows(report)
    else:
        lines.append(f"{len(report.single_window)} campaigns: one window each{_usual_window(report)}")
    several = report.several_windows if report.family != CANVASES else []
    if several:
        cursors = sorted(str(reads.cursor) for reads in several)
        lines += [
            f"{len(several)} campaigns: {sum(len(r.windows) for r in several)} windows; their cursor is old"
            f" ({cursors[0]} .. {cursors[-1]}),",
            f"  the last day they had data (stopped or never sent), so every sync re-reads them"
            f" from there - {lookback_days} days",
        ]
    if report.without_cursor:
        lines.append(
            f"{len(report.without_cursor)} {owners} without a cursor (new since the last sync):"
            f" {sum(r.requests for r in report.without_cursor)} requests from start_date"
        )
    if report.incremental:
        one = report.family.one
        lines.append(f"incremental: yes - no {one} was read from before its cursor - {lookback_days} days")
    else:
        lines.append(f"incremental: NO - {len(report.too_early)} {owners} were read from before their cursor")
        lines += [
            f"  {campaign_id}: from {first}, allowed from {allowed}"
            for campaign_id, first, allowed in report.too_early[:5]
        ]
    return lines


def _canvas_windows(report: IncrementalReport) -> list[str]:
    """Canvases with a cursor, grouped by the days they were read and how many 14-day windows that took."""
    spans = Counter(
        (len(reads.windows), reads.first_day, max(last for _, last in reads.windows))
        for reads in report.campaigns
        if reads.cursor
    )
    lines = []
    for (windows, first, last), count in sorted(spans.items(), key=lambda item: -item[1]):
        days = (last - first).days + 1
        lines.append(f"{count} canvases: {first} .. {last} ({days} days) in {windows} windows each (ceil({days}/14))")
    return lines


def _usual_window(report: IncrementalReport) -> str:
    windows = Counter(window for reads in report.single_window for window in reads.windows)
    if not windows:
        return ""
    (first, last), count = windows.most_common(1)[0]
    return f" ({count} of them {first} .. {last})" if count < len(report.single_window) else f" ({first} .. {last})"


def repeated_windows_warning(repeated: int) -> list[str]:
    if not repeated:
        return []
    return [
        f"WARNING: {repeated} data_series requests repeated a campaign and window already requested:",
        "  both analytics streams asked at the same time and their shared response cache served neither",
    ]


def channels_table(channels: list[dict[str, Any]]) -> list[str]:
    headers = ["channel", "campaigns", "sent", "impressions", "opens", "clicks", "conversions", "revenue"]
    rows = [
        [c["channel"], c["campaigns"], c["sent"], c["impressions"], c["opens"], c["clicks"], c["conversions"],
         _money(c["revenue"])]
        for c in channels
    ]  # fmt: skip
    return table(headers, rows)


def canvas_steps_table(steps: list[dict[str, Any]]) -> list[str]:
    headers = ["step_name", "channel", "canvases", "rows", "sent", "delivered", "opens", "clicks"]
    rows = [
        [c["step_name"], c["channel"], c["canvases"], c["rows"], c["sent"], c["delivered"], c["opens"], c["clicks"]]
        for c in steps
    ]
    return table(headers, rows, left=(0, 1))


def _ordered(names: Any) -> list[str]:
    order = (*STREAMS, *CANVAS_STREAMS)
    known = [stream for stream in order if stream in names]
    return known + sorted(name for name in names if name not in order)


def number(value: Any) -> str:
    """A count or amount as the tables show it."""
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _money(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.2f}"

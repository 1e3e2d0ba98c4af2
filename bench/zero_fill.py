"""How much volume the zero-filled days Braze returns add, for a workspace of mostly archived campaigns.

Braze's data_series returns every day of a window from the campaign's creation on, zero-filled on
days without activity (recorded responses, December 2022); the connector keeps those rows (docs/
BEHAVIOR.md). This counts the records and bytes of both analytics streams over a year, for 80
campaigns that stopped sending (most of them long ago) and 20 still sending, with the sandbox's
zero-filled days and without them (its tidy option), through the connector's own flattening.
Volume only, no timing of a sync: a few seconds. `python -m bench.zero_fill` prints the section.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import orjson

from braze_sandbox import BrazeData
from source_braze_campaigns.records import flatten_day

TODAY = date(2026, 6, 30)


@dataclass
class ZeroFill:
    campaigns: int
    stopped: int
    days: int
    daily_tidy: int
    daily_real: int
    flat_tidy: int
    flat_real: int
    bytes_tidy: int
    bytes_real: int
    seconds: float


def measure(seed: int = 11, pool: int = 400, stopped: int = 80, ongoing: int = 20, days: int = 365) -> ZeroFill:
    began = time.perf_counter()
    real = BrazeData(seed, pool, days + 60, TODAY, zero_fill=True)
    tidy = BrazeData(seed, pool, days + 60, TODAY, zero_fill=False)
    stopped_ids = [cid for cid in real.campaign_ids("stopped")][:stopped]
    ongoing_ids = [cid for cid in real.campaign_ids("ongoing")][:ongoing]
    chosen = stopped_ids + ongoing_ids
    start = TODAY - timedelta(days=days - 1)
    counts = {"daily_tidy": 0, "daily_real": 0, "flat_tidy": 0, "flat_real": 0, "bytes_tidy": 0, "bytes_real": 0}
    for name, data in (("tidy", tidy), ("real", real)):
        for cid in chosen:
            for day in data.series(cid, start, TODAY, TODAY):
                counts[f"daily_{name}"] += 1
                rows = list(flatten_day({**day, "campaign_id": cid}))
                counts[f"flat_{name}"] += len(rows)
                counts[f"bytes_{name}"] += sum(len(orjson.dumps(row)) for row in rows)
    return ZeroFill(len(chosen), len(stopped_ids), days, **counts, seconds=time.perf_counter() - began)


def section(z: ZeroFill) -> str:
    def row(label: str, tidy: int, real: int) -> str:
        return f"| {label} | {tidy:,} | {real:,} | {real / tidy:.2f}x |"

    return "\n".join(
        [
            "## 6. Zero-filled days: volume for a workspace of mostly archived campaigns",
            "",
            f"{z.campaigns} campaigns ({z.stopped} that stopped sending before the last day, "
            f"{z.campaigns - z.stopped} still sending), {z.days} days, the sandbox's data through the "
            "connector's own flattening (`bench/zero_fill.py`, volume only, "
            f"{z.seconds:.1f} s). Braze returns every day from a campaign's creation, zero-filled when "
            "nothing was sent; the tidy column is what the streams would hold if it returned only days "
            "with activity.",
            "",
            "| | only days with activity | every day, zero-filled (Braze) | ratio |",
            "|---|---|---|---|",
            row("campaigns_analytics records", z.daily_tidy, z.daily_real),
            row("campaigns_analytics_variations records", z.flat_tidy, z.flat_real),
            row("campaigns_analytics_variations bytes (JSON)", z.bytes_tidy, z.bytes_real),
        ]
    )


if __name__ == "__main__":
    print(section(measure()))

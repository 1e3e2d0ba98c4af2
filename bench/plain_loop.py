"""The CPU yardstick: a plain loop that fetches and parses the same responses as the connector
and prints the same RECORD lines, with `requests` and `json` and nothing else.

    python -m bench.plain_loop --url URL --requests FILE [--streams NAME,...] [--parse-only]

FILE is the connector's own request log (JSON list of {"path", "query"}), replayed in order on
one keep-alive session, each response parsed once. Of the streams named (default:
campaigns_analytics) it prints what the connector would: `campaigns` one line per list entry,
`campaigns_details` one per details body, `campaigns_analytics` one per data_series day with its
campaign_id, `campaigns_analytics_variations` one per day, channel and variation (the variation's
stats as columns, with campaign_id, time, channel and a variation_key unique within the day and
channel), both analytics streams from the same response. Prints to stdout; the API key comes
from BENCH_API_KEY; a JSON line with the wall time (start-up excluded) and the record count goes
to stderr. With --parse-only it fetches and parses every response the same way and stops there:
no record is made or printed (what any reader of these responses spends at least).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests


def variation_rows(day: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per channel and variation of a data_series day."""
    for channel, entries in (day.get("messages") or {}).items():
        if isinstance(entries, dict):
            entries = [entries]
        seen: set[str] = set()
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            key = str(entry.get("variation_api_id") or entry.get("variation_name") or f"#{index}")
            while key in seen:
                key += f"#{index}"
            seen.add(key)
            yield {**entry, "campaign_id": day["campaign_id"], "time": day.get("time"), "channel": channel,
                   "variation_key": key}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plain_loop", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", required=True, type=Path)
    parser.add_argument("--streams", default="campaigns_analytics", help="comma-separated stream names")
    parser.add_argument("--parse-only", action="store_true", help="fetch and parse, make and print no record")
    args = parser.parse_args(argv)
    streams = set() if args.parse_only else set(args.streams.split(","))
    log = json.loads(args.requests.read_text())
    session = requests.Session()
    session.trust_env = False
    session.headers.update({"Authorization": f"Bearer {os.environ.get('BENCH_API_KEY', 'sandbox-key')}"})
    url = args.url.rstrip("/")
    write = sys.stdout.write
    records = 0

    def emit(stream: str, data: dict[str, Any]) -> None:
        nonlocal records
        message = {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": int(time.time() * 1000)}}
        write(json.dumps(message) + "\n")
        records += 1

    def data_series(body: dict[str, Any], query: dict[str, str]) -> None:
        for day in body["data"]:
            day["campaign_id"] = query["campaign_id"]
            if "campaigns_analytics" in streams:
                emit("campaigns_analytics", day)
            if "campaigns_analytics_variations" in streams:
                for row in variation_rows(day):
                    emit("campaigns_analytics_variations", row)

    listed_ids: set[str] = set()

    def listed(body: dict[str, Any], query: dict[str, str]) -> None:
        for entry in body["campaigns"]:  # the connector reads the list twice, emits each campaign once
            if "campaigns" in streams and entry["id"] not in listed_ids:
                emit("campaigns", entry)
            listed_ids.add(entry["id"])

    def details(body: dict[str, Any], query: dict[str, str]) -> None:
        if "campaigns_details" in streams:
            emit("campaigns_details", {**body, "id": query["campaign_id"]})

    handlers: dict[str, Callable[[dict[str, Any], dict[str, str]], None]] = {
        "/campaigns/data_series": data_series,
        "/campaigns/list": listed,
        "/campaigns/details": details,
    }
    started = time.perf_counter()
    for entry in log:
        response = session.get(url + entry["path"], params=list(entry["query"].items()), timeout=60)
        response.raise_for_status()
        handler = handlers.get(entry["path"])
        if handler is not None:
            handler(json.loads(response.content), entry["query"])
    sys.stdout.flush()
    wall = time.perf_counter() - started
    sys.stderr.write(json.dumps({"wall_s": wall, "records": records, "requests": len(log)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

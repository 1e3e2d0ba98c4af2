"""The CPU yardstick: a plain loop that fetches and parses the same responses as the connector
and prints RECORD lines, with `requests` and `json` and nothing else.

    python -m bench.plain_loop --url URL --requests FILE --stream NAME

FILE is the connector's own request log (JSON list of {"path", "query"}), replayed in order on
one keep-alive session: list pages are parsed (their campaigns are not printed: the connector
run being compared selects only the analytics stream), each data_series day becomes one
RECORD line with its campaign_id. Prints to stdout; the API key comes from BENCH_API_KEY; a
JSON line with the wall time (start-up excluded) and the record count goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plain_loop", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", required=True, type=Path)
    parser.add_argument("--stream", default="campaigns_analytics")
    args = parser.parse_args(argv)
    log = json.loads(args.requests.read_text())
    session = requests.Session()
    session.trust_env = False
    session.headers.update({"Authorization": f"Bearer {os.environ.get('BENCH_API_KEY', 'sandbox-key')}"})
    url = args.url.rstrip("/")
    write = sys.stdout.write
    records = 0
    started = time.perf_counter()
    for entry in log:
        response = session.get(url + entry["path"], params=list(entry["query"].items()), timeout=60)
        response.raise_for_status()
        body = json.loads(response.content)
        if entry["path"] != "/campaigns/data_series":
            continue
        campaign_id = entry["query"]["campaign_id"]
        for day in body["data"]:
            day["campaign_id"] = campaign_id
            message = {
                "type": "RECORD",
                "record": {"stream": args.stream, "data": day, "emitted_at": int(time.time() * 1000)},
            }
            write(json.dumps(message) + "\n")
            records += 1
    sys.stdout.flush()
    wall = time.perf_counter() - started
    sys.stderr.write(json.dumps({"wall_s": wall, "records": records, "requests": len(log)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

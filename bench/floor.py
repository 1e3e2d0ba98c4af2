"""The floor: the same /campaigns/data_series requests as a connector run, doing nothing else.

    python -m bench.floor --url URL --requests FILE --workers N

FILE is a JSON list of requests, `{"path": ..., "query": {...}}`, in the order the connector
sent them (the sandbox request log gives them; the benchmark passes the data_series ones, or
for a second comparison every request of the run). A thread pool of N workers, one keep-alive
`requests.Session` per thread, reads each body and throws it away. The API key is read from
BENCH_API_KEY. Prints one JSON line: wall time (first request sent to last body read,
interpreter start-up excluded), requests, responses by status, bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests


def fetch_all(url: str, api_key: str, entries: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    local = threading.local()

    def session() -> requests.Session:
        current = getattr(local, "session", None)
        if current is None:
            current = requests.Session()
            current.trust_env = False
            current.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
            local.session = current
        return current

    def fetch(entry: dict[str, Any]) -> tuple[int, int]:
        response = session().get(url + entry["path"], params=list(entry["query"].items()), timeout=60)
        return response.status_code, len(response.content)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(fetch, entries))
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "requests": len(results),
        "workers": workers,
        "statuses": dict(Counter(str(status) for status, _ in results)),
        "bytes": sum(size for _, size in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", required=True, type=Path, help='JSON list of {"path", "query"}')
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    entries = json.loads(args.requests.read_text())
    result = fetch_all(args.url.rstrip("/"), os.environ.get("BENCH_API_KEY", "sandbox-key"), entries, args.workers)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

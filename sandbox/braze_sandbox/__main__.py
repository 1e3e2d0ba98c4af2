"""Run the sandbox as a process.

``python -m braze_sandbox --port 0 --seed 1 ...`` prints one JSON line
``{"url": "http://127.0.0.1:PORT", "pid": N}`` on stdout first, then serves until
SIGTERM or SIGINT. Logs go to stderr (``-v`` for one line per request).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from datetime import date
from types import FrameType

from .config import SandboxConfig
from .server import Sandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; defaults match ``SandboxConfig``."""
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m braze_sandbox",
        description="Local Braze campaigns API sandbox",
    )
    parser.add_argument(
        "--port", type=int, default=defaults.port, help="0 = any free port"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--campaigns", type=int, default=defaults.campaigns)
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="YYYY-MM-DD (default: the real date in the company time zone)",
    )
    parser.add_argument("--latency-ms", type=float, default=defaults.latency_ms)
    parser.add_argument("--api-key", default=defaults.api_key)
    parser.add_argument(
        "--data-series-limit", type=int, default=defaults.data_series_limit
    )
    parser.add_argument(
        "--data-series-window-s", type=float, default=defaults.data_series_window_s
    )
    parser.add_argument(
        "--list-details-limit", type=int, default=defaults.list_details_limit
    )
    parser.add_argument(
        "--list-details-window-s", type=float, default=defaults.list_details_window_s
    )
    parser.add_argument(
        "--deleted-campaign-id",
        action="append",
        default=[],
        dest="deleted_campaign_ids",
        help="listed but 400 on read; repeatable",
    )
    parser.add_argument(
        "--company-time-zone",
        default=defaults.company_time_zone,
        help="IANA name: days and ending_at are read in this zone (default UTC)",
    )
    parser.add_argument(
        "--tidy",
        action="store_true",
        help="the old tidy sandbox: only days with activity, X-RateLimit-* title case, "
        "JSON bodies on 502/503/504",
    )
    parser.add_argument("--canvases", type=int, default=defaults.canvases)
    parser.add_argument(
        "--deleted-canvas-id",
        action="append",
        default=[],
        dest="deleted_canvas_ids",
        help="listed but 400 on read; repeatable",
    )
    parser.add_argument("--port-file", help="also write the url to this file")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every request"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start, announce the url, serve until a signal arrives."""
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s braze-sandbox %(levelname)s %(message)s",
    )
    config = SandboxConfig(
        seed=args.seed,
        campaigns=args.campaigns,
        days=args.days,
        today=args.today,
        latency_ms=args.latency_ms,
        api_key=args.api_key,
        port=args.port,
        data_series_limit=args.data_series_limit,
        data_series_window_s=args.data_series_window_s,
        list_details_limit=args.list_details_limit,
        list_details_window_s=args.list_details_window_s,
        deleted_campaign_ids=args.deleted_campaign_ids,
        canvases=args.canvases,
        deleted_canvas_ids=args.deleted_canvas_ids,
        verbose=args.verbose,
        company_time_zone=args.company_time_zone,
        zero_fill=not args.tidy,
        header_case="title" if args.tidy else "lower",
        html_gateway_errors=not args.tidy,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sandbox = Sandbox(config).start()
    try:
        if args.port_file:
            tmp = args.port_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(sandbox.url + "\n")
            os.replace(tmp, args.port_file)
        sys.stdout.write(json.dumps({"url": sandbox.url, "pid": os.getpid()}) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

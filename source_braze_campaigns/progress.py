"""Progress of the analytics streams, logged at a steady pace while a sync runs.

A sync of thousands of campaigns runs for a long time; the CDK logs nothing between a stream's
start and its end. This counts what is done (campaigns reached, data_series responses, records)
against the number of campaigns the list returned, and logs one line per stream at most every
`interval_s` seconds. Rate-limit waits are logged where they happen (BrazeBackoffStrategy).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

logger = logging.getLogger("airbyte")


@dataclass
class _StreamProgress:
    campaigns: set[str] = field(default_factory=set)
    responses: int = 0
    records: int = 0


class Progress:
    def __init__(self, interval_s: float = 30.0) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._listed: set[str] = set()
        self._streams: dict[str, _StreamProgress] = {}
        self._started = time.monotonic()
        self._last_log: dict[str, float] = {}

    def campaign_listed(self, campaign_id: str) -> None:
        with self._lock:
            self._listed.add(campaign_id)

    def response_read(self, stream: str, campaign_id: str, records: int) -> None:
        with self._lock:
            done = self._streams.setdefault(stream, _StreamProgress())
            done.campaigns.add(campaign_id)
            done.responses += 1
            done.records += records
            now = time.monotonic()
            if now - self._last_log.get(stream, self._started) < self.interval_s:
                return
            self._last_log[stream] = now
            line = self.line(stream)
        logger.info(line)

    def line(self, stream: str) -> str:
        done = self._streams.get(stream, _StreamProgress())
        elapsed = max(time.monotonic() - self._started, 1e-9)
        # The canvas streams count Canvases; the list total is known for campaigns only.
        reached = (
            f"{len(done.campaigns):,} canvases reached"
            if stream.startswith("canvases")
            else f"{len(done.campaigns):,} of {len(self._listed):,} campaigns reached"
        )
        return (
            f"{stream}: {reached}, "
            f"{done.responses:,} data_series responses, {done.records:,} records "
            f"({done.responses / elapsed:.1f} responses/s)"
        )


PROGRESS = Progress()

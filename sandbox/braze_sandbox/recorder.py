"""Traffic statistics: request counts, statuses, concurrency and a bounded request log."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

ENDPOINTS: tuple[str, ...] = (
    "/campaigns/list",
    "/campaigns/details",
    "/campaigns/data_series",
    "/canvas/list",
    "/canvas/details",
    "/canvas/data_series",
)


class TrafficRecorder:
    """Counts API requests (control requests are never recorded)."""

    def __init__(self, log_size: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._log_size = log_size
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._requests: Counter[str] = Counter({path: 0 for path in ENDPOINTS})
        self._statuses: Counter[str] = Counter()
        self._log: deque[dict[str, Any]] = deque(maxlen=self._log_size)
        self._in_flight = 0
        self._max_in_flight = 0
        self._in_flight_by_path: Counter[str] = Counter()
        self._max_in_flight_by_path: Counter[str] = Counter()

    def begin(self, path: str = "") -> None:
        """An API request to ``path`` has started."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            self._in_flight_by_path[path] += 1
            self._max_in_flight_by_path[path] = max(
                self._max_in_flight_by_path[path], self._in_flight_by_path[path]
            )

    def end(self, path: str, query: dict[str, str], status: int) -> None:
        """An API request has been answered with ``status``."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._in_flight_by_path[path] = max(0, self._in_flight_by_path[path] - 1)
            if path in ENDPOINTS:
                self._requests[path] += 1
            self._statuses[str(status)] += 1
            self._log.append({"path": path, "query": query, "status": status})

    def stats(self) -> dict[str, Any]:
        """Per-endpoint counts, the peak concurrency (overall and per endpoint) and the responses by status."""
        with self._lock:
            return {
                "requests": {path: self._requests[path] for path in ENDPOINTS},
                "max_in_flight": self._max_in_flight,
                "max_in_flight_by_endpoint": {
                    path: self._max_in_flight_by_path[path] for path in ENDPOINTS
                },
                "responses_by_status": dict(sorted(self._statuses.items())),
            }

    def log(self) -> list[dict[str, Any]]:
        """Every recorded request (the last ``log_size``), oldest first."""
        with self._lock:
            return [dict(entry, query=dict(entry["query"])) for entry in self._log]

    def reset(self) -> None:
        """Forget everything (requests still in flight keep being tracked)."""
        with self._lock:
            in_flight, by_path = self._in_flight, self._in_flight_by_path
            self._reset_locked()
            self._in_flight = in_flight
            self._max_in_flight = in_flight
            self._in_flight_by_path = by_path
            self._max_in_flight_by_path = Counter(by_path)

"""Fault injection: make the next N matching API requests fail in a chosen way."""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

#: Every fault kind the sandbox can inject.
FAULT_KINDS: frozenset[str] = frozenset(
    {
        "429",
        "429_bare",
        "500",
        "502",
        "503",
        "504",
        "slow",
        "truncated",
        "non_json",
        "reset",
        "400",
        "404",
    }
)


@dataclass
class Fault:
    """One armed fault.

    ``path`` None matches every API path; ``campaign_id`` None matches any request (a
    fault with a campaign id never matches ``/campaigns/list``). ``count`` is how many
    more times it fires, -1 for ever. ``reset_in`` is for "429" (seconds until
    ``X-RateLimit-Reset``), ``delay`` for "slow" (seconds before answering normally).
    """

    id: int
    kind: str
    path: str | None = None
    count: int = 1
    reset_in: float = 1.0
    campaign_id: str | None = None
    delay: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


class FaultInjector:
    """A thread-safe, ordered list of armed faults; the oldest matching one fires first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        kind: str,
        path: str | None = None,
        count: int = 1,
        reset_in: float = 1.0,
        campaign_id: str | None = None,
        delay: float = 1.0,
    ) -> Fault:
        """Arm a fault; ValueError on an unknown kind or a count of 0 or below -1."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}"
            )
        if int(count) == 0 or int(count) < -1:
            raise ValueError("count must be positive, or -1 for ever")
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            path=path,
            count=int(count),
            reset_in=float(reset_in),
            campaign_id=campaign_id,
            delay=float(delay),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str, campaign_id: str | None) -> Fault | None:
        """The fault this request triggers (its count is used up), or None."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.path is not None and fault.path != path:
                    continue
                if fault.campaign_id is not None and fault.campaign_id != campaign_id:
                    continue
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> int:
        """Disarm every fault; returns how many were armed."""
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
            return cleared

    def list(self) -> list[dict[str, Any]]:
        """The armed faults, oldest first."""
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

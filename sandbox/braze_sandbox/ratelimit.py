"""Fixed-window rate-limit buckets, reported in Braze's ``X-RateLimit-*`` headers."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateState:
    """What the ``X-RateLimit-*`` headers of one response say."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # UTC epoch seconds when the window resets

    def headers(self, case: str = "lower") -> dict[str, str]:
        """The three Braze rate-limit headers.

        ``case`` "lower" names them as real Braze responses do (``x-ratelimit-reset``: HTTP/2
        header names are lower-case), "title" as Braze's docs write them.
        """
        names = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        if case == "lower":
            names = tuple(name.lower() for name in names)
        return dict(zip(names, (str(self.limit), str(self.remaining), str(self.reset)), strict=True))


class FixedWindowBucket:
    """``limit`` requests per window of ``window_s`` seconds, windows aligned to the epoch."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.time
    ):
        if limit < 0 or window_s <= 0:
            raise ValueError("limit must be >= 0 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = -1.0
        self._used = 0

    def _roll(self, now: float) -> None:
        start = math.floor(now / self.window_s) * self.window_s
        if start != self._window_start:
            self._window_start = start
            self._used = 0

    def _reset_epoch(self) -> int:
        return math.ceil(self._window_start + self.window_s)

    def take(self) -> RateState:
        """Consume one request if the window has room; say what remains."""
        with self._lock:
            self._roll(self._clock())
            if self._used >= self.limit:
                return RateState(False, self.limit, 0, self._reset_epoch())
            self._used += 1
            return RateState(
                True, self.limit, self.limit - self._used, self._reset_epoch()
            )

    def peek(self) -> RateState:
        """The current state without consuming (for responses that do not count)."""
        with self._lock:
            self._roll(self._clock())
            remaining = max(0, self.limit - self._used)
            return RateState(remaining > 0, self.limit, remaining, self._reset_epoch())

    def reset(self) -> None:
        """Forget what was used in the current window."""
        with self._lock:
            self._window_start = -1.0
            self._used = 0

"""How Braze's errors are waited on and reported: the backoff strategy and the error handler."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

from source_braze_campaigns import response_cache
from source_braze_campaigns.records import campaign_of

logger = logging.getLogger("airbyte")


@dataclass
class SkipMissingCampaign(DefaultErrorHandler):
    """The declared error handler, plus a warning that names the campaign a 400/404 skipped.

    Why: a campaign deleted between the list and its details or data_series answers 400
    ("Invalid Campaign ID") or 404, and the sync must go on without it. The CDK's IGNORE action
    logs only the response's message, and a response filter's message template sees the URL
    without its query, so it cannot say which campaign was skipped.
    """

    def interpret_response(self, response_or_exception: Any = None) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action != ResponseAction.IGNORE or not isinstance(
            response_or_exception, requests.Response
        ):
            return resolution
        response = response_or_exception
        message = (
            f"Skipping campaign {campaign_of(response.request) or '(unknown)'}: Braze answered "
            f"{response.status_code} on {urlsplit(response.url or '').path}; it was probably deleted "
            "after the campaign list was read. The rest of the sync goes on."
        )
        logger.warning(message)
        return replace(resolution, error_message=message)


@dataclass
class BrazeBackoffStrategy(BackoffStrategy):
    """Waits until X-RateLimit-Reset on 429, and backs off exponentially on anything else.

    Why not WaitUntilTimeFromHeader + ExponentialBackoffStrategy: the CDK uses the first
    strategy that returns a wait for every retryable error, and Braze sends X-RateLimit-Reset
    on every response, so a 503 would wait for the rate-limit window (up to an hour on
    /campaigns/list) instead of a few seconds. A 200 is retried only when its body was not the
    JSON expected; that body is dropped from the response cache first, or the retry would
    replay it instead of asking Braze again.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    factor_seconds: float = 2
    max_rate_limit_wait_seconds: float = 600

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.factor_seconds = float(self.factor_seconds)
        self.max_rate_limit_wait_seconds = float(self.max_rate_limit_wait_seconds)

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429:
            wait = self.rate_limit_wait(response_or_exception.headers.get("X-RateLimit-Reset"))
            logger.warning(
                "Braze rate limit reached on %s: waiting %.0f s for the window to reset.",
                urlsplit(response_or_exception.url or "").path,
                wait,
            )
            return wait
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 200:
            response_cache.evict(getattr(response_or_exception, "cache_key", None))
        return self.factor_seconds * 2 ** max(0, attempt_count - 1)

    def rate_limit_wait(self, reset_header: str | None, now: float | None = None) -> float:
        """Seconds until the reset epoch in the header (at least 1, at most the cap)."""
        now = time.time() if now is None else now
        try:
            wait = float(reset_header) - now + 1 if reset_header else self.factor_seconds
        except ValueError:
            wait = self.factor_seconds
        return min(max(wait, 1.0), self.max_rate_limit_wait_seconds)

"""How Braze's errors are waited on and reported: the backoff strategy and the error handler."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

from source_braze_campaigns import cdk_compat
from source_braze_campaigns.canvas_records import canvas_of
from source_braze_campaigns.records import campaign_of

logger = logging.getLogger("airbyte")


@dataclass
class BrazeErrorHandler(DefaultErrorHandler):
    """The declared error handler, plus two checks its response filters cannot make.

    - A 200 whose body is not the JSON object Braze documents, with its `body_key` (a dotted path
      for a nested key, as /canvas/data_series's `data.stats`; a truncated
      body, an HTML page from a proxy), is retried: emitting nothing would let the cursor move
      past days never received. A response filter's predicate could say so, but it decodes
      every body with the standard json module (about 5% of a read's CPU); here it is decoded
      once with orjson and kept on the response for the extractor (`cdk_compat.keep_body`). A bad body is
      never handed to another stream (shared_responses.py keeps a 200 only once it passed here).
    - A campaign deleted between the list and its details or data_series answers 400 ("Invalid
      Campaign ID") or 404, and the sync goes on without it (the IGNORE filter). The CDK then
      logs only the response's message, and a filter's message template sees the URL without
      its query: this warning names the campaign that was skipped.
    """

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._body_key = str(parameters.get("body_key") or "")
        self._endpoint = str(parameters.get("endpoint") or "")

    def interpret_response(self, response_or_exception: Any = None) -> ErrorResolution:
        response = response_or_exception if isinstance(response_or_exception, requests.Response) else None
        if response is not None and response.status_code == 200 and self._body_key:
            if not _keeps_body(response, self._body_key):
                return ErrorResolution(
                    response_action=ResponseAction.RETRY,
                    failure_type=FailureType.transient_error,
                    error_message=f"Braze returned a body without `{self._body_key}` on {self._endpoint}.",
                )
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action != ResponseAction.IGNORE or response is None:
            return resolution
        canvas = canvas_of(response.request)
        what, which = ("canvas", canvas) if canvas else ("campaign", campaign_of(response.request))
        message = (
            f"Skipping {what} {which or '(unknown)'}: Braze answered "
            f"{response.status_code} on {urlsplit(response.url or '').path}; it was probably deleted "
            f"after the {what} list was read. The rest of the sync goes on."
        )
        logger.warning(message)
        return replace(resolution, error_message=message)


def _keeps_body(response: requests.Response, key: str) -> bool:
    """Whether the body is a JSON object with `key` (a dotted path for a nested one: `data.stats`);
    if so it is kept on the response, decoded."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return False
    value = body
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    cdk_compat.keep_body(response, body)
    return True


@dataclass
class BrazeBackoffStrategy(BackoffStrategy):
    """Waits until X-RateLimit-Reset on 429, and backs off exponentially on anything else.

    Why not WaitUntilTimeFromHeader + ExponentialBackoffStrategy: the CDK uses the first
    strategy that returns a wait for every retryable error, and Braze sends X-RateLimit-Reset
    on every response, so a 503 would wait for the rate-limit window (up to an hour on
    /campaigns/list) instead of a few seconds.
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
        return float(self.factor_seconds * 2 ** max(0, attempt_count - 1))

    def rate_limit_wait(self, reset_header: str | None, now: float | None = None) -> float:
        """Seconds until the reset epoch in the header (at least 1, at most the cap)."""
        now = time.time() if now is None else now
        try:
            wait = float(reset_header) - now + 1 if reset_header else self.factor_seconds
        except ValueError:
            wait = self.factor_seconds
        return min(max(wait, 1.0), self.max_rate_limit_wait_seconds)

"""Settings of one sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The key every tool of this project (tests, demo, bench) uses against the sandbox.
SANDBOX_API_KEY = "sandbox-key"


@dataclass
class SandboxConfig:
    """Everything a sandbox needs; every field has a sensible default.

    ``today`` defaults to the real UTC date. The rate-limit fields mirror Braze's buckets
    (``/campaigns/data_series``: 50,000 a minute; ``/campaigns/list`` and
    ``/campaigns/details`` together: 250,000 an hour) and can be made small for tests.
    ``deleted_campaign_ids`` are still listed but answer 400 on details and data_series, as
    a campaign deleted between list and read does (not always with "Invalid Campaign ID").

    Real-Braze behaviours (the defaults) and the tidy alternative each option keeps:
    ``company_time_zone`` (IANA name) buckets days and reads ``ending_at`` in that zone;
    ``zero_fill`` returns every day of a window from the campaign's creation day on, zero
    counts included (False: only days with activity); ``header_case`` "lower" sends
    ``x-ratelimit-*`` as HTTP/2 does ("title": ``X-RateLimit-*``); ``html_gateway_errors``
    answers 502/503/504 faults with an HTML page (False: a JSON body).
    ``canvases`` and ``deleted_canvas_ids`` do the same for canvases (see ``canvas``); the
    canvas endpoints share the list/details bucket, as Braze's default rate limit does.
    """

    seed: int = 1
    campaigns: int = 20
    days: int = 400
    today: date | None = None
    latency_ms: float = 0.0
    api_key: str = SANDBOX_API_KEY
    port: int = 0
    data_series_limit: int = 50_000
    data_series_window_s: float = 60.0
    list_details_limit: int = 250_000
    list_details_window_s: float = 3600.0
    deleted_campaign_ids: list[str] = field(default_factory=list)
    canvases: int = 8
    deleted_canvas_ids: list[str] = field(default_factory=list)
    request_log_size: int = 200_000
    verbose: bool = False
    company_time_zone: str = "UTC"
    zero_fill: bool = True
    header_case: str = "lower"
    html_gateway_errors: bool = True

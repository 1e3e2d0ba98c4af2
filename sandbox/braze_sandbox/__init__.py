"""A local, deterministic Braze REST API sandbox for the campaigns endpoints.

It behaves like real Braze, not a tidy one, by default. Each behaviour and its source
(D: Braze's English API reference, late 2026; R: a real workspace's responses recorded in
December 2022 with the requests that produced them, kept in Airbyte's ``source-braze``
``integration_tests/expected_records.jsonl`` and its slicer; A: an assumption where both are
silent, documented in the module that makes it):

* window: the series is the ``length`` days before the ``ending_at`` instant; a bare date
  or midnight ends it the day before, ``T23:59:59`` includes that day (R:
  ``ending_at=2022-12-09&length=99`` returned 2022-09-01 .. 2022-12-08); ``data``;
* days are the company time zone's (D: the docs' example sends
  ``ending_at=2020-06-28T23:59:59-5:00``; option ``company_time_zone``); a naive
  ``ending_at`` is read in that zone (A); ``data``, ``timeutil``;
* every day from the campaign's creation is returned, zero-filled, each variation's entry
  with 0 counts, sometimes ``"sms": []`` (R; option ``zero_fill=False`` for the tidy
  sandbox); days before creation absent (A); ``data``, ``daily``;
* ``machine_open`` / ``machine_amp_open`` on email; ``variation_name``, ``revenue``,
  ``unique_recipients`` and conversions on iOS push; a control entry in the channel list
  with ``variation_api_id``, ``enrolled``, conversions and revenue, no ``sent`` (R);
  ``daily``;
* channels: the documented ones, ``in_app_message`` (left the docs' list, D), ``line``
  (undocumented, D's ``...``); ``catalog``;
* ``x-ratelimit-*`` lower-case (R, HTTP/2; option ``header_case="title"``); a proxy's 429
  without rate-limit headers (fault ``429_bare``, A); HTML bodies on 502/503/504 faults
  (A; option ``html_gateway_errors=False``); ``server``, ``ratelimit``, ``faults``;
* 403 ``Access Denied`` for a key lacking the permission, ``Forbidden`` for an inactive
  account or a plan without the endpoint (R); ``auth``;
* a deleted campaign's 400 does not always say "Invalid Campaign ID" (R; the other wording
  is made up, A); ``server``;
* details: a control group is ``{"channel", "type": "control"}`` in ``messages``;
  ``first_sent`` / ``last_sent`` date and hour; ``tags`` a list (D); ``catalog``;
* the list can move under a reader: ``Sandbox.change_campaigns`` (or ``POST
  /_sandbox/campaigns``) archives, deletes or creates a campaign now or right after list
  page N is served, and the next pages shift as Braze's position-based pages do (A).

Standard library only. ``Sandbox(SandboxConfig(...)).start()`` serves ``BrazeData`` on
127.0.0.1; ``python -m braze_sandbox`` does the same as a process.

Modules: ``config`` (SandboxConfig), ``catalog`` (campaigns, list and details),
``daily`` (one data_series day, restatement), ``data`` (BrazeData ground truth and the
window semantics), ``timeutil`` (ISO 8601), ``auth`` (keys, 401/403), ``ratelimit``
(X-RateLimit buckets), ``faults`` (fault injection), ``recorder`` (stats, request log),
``server`` (HTTP server, control API, Sandbox), ``__main__`` (CLI).

Finding campaigns for a test: ``data.campaign_ids(kind=..., channel=...)`` with a kind
from ``KINDS``; with 14 or more campaigns every kind and every documented channel exists.
``data.spec(id)`` gives first/last send day, channels, variations and control ids;
``data.active_range(id, today)`` the days that have data. Canvases: ``Sandbox.canvas``
(``canvas.CanvasData``, kinds ``CANVAS_KINDS``) serves ``/canvas/list|details|data_series``.
"""

from .canvas import CANVAS_KINDS, CANVAS_MAX_LENGTH, CanvasData, CanvasSpec, canvas_window
from .catalog import CHANNELS, KINDS, UNDOCUMENTED_CHANNEL, CampaignSpec
from .config import SANDBOX_API_KEY, SandboxConfig
from .daily import RESTATEMENT_DAYS, growth
from .data import MAX_LENGTH, PAGE_SIZE, BrazeData
from .faults import FAULT_KINDS, Fault
from .server import Sandbox
from .timeutil import parse_iso_datetime

__all__ = [
    "CANVAS_KINDS",
    "CANVAS_MAX_LENGTH",
    "CanvasData",
    "CanvasSpec",
    "canvas_window",
    "CHANNELS",
    "FAULT_KINDS",
    "KINDS",
    "MAX_LENGTH",
    "PAGE_SIZE",
    "RESTATEMENT_DAYS",
    "SANDBOX_API_KEY",
    "UNDOCUMENTED_CHANNEL",
    "BrazeData",
    "CampaignSpec",
    "Fault",
    "Sandbox",
    "SandboxConfig",
    "growth",
    "parse_iso_datetime",
]

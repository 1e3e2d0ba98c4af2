"""A local, deterministic Braze REST API sandbox for the campaigns endpoints.

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

"""API keys and their permissions.

The configured key has ``campaigns.list``, ``campaigns.details`` and
``campaigns.data_series`` (and the three ``canvas.*`` ones); ``<key>-no-list``,
``<key>-no-details`` and ``<key>-no-data-series`` each lack one of them, and
``<key>-no-canvas-list``, ``<key>-no-canvas-details``, ``<key>-no-canvas-data-series`` one
canvas permission. ``<key>-campaigns-only`` has only the campaign permissions,
``<key>-canvas-only`` only the canvas ones. Anything else is an invalid key.
"""

from __future__ import annotations

from typing import Any

PERMISSIONS: dict[str, str] = {
    "/campaigns/list": "campaigns.list",
    "/campaigns/details": "campaigns.details",
    "/campaigns/data_series": "campaigns.data_series",
    "/canvas/list": "canvas.list",
    "/canvas/details": "canvas.details",
    "/canvas/data_series": "canvas.data_series",
}
_SUFFIXES = {
    "-no-list": "campaigns.list",
    "-no-details": "campaigns.details",
    "-no-data-series": "campaigns.data_series",
    "-no-canvas-list": "canvas.list",
    "-no-canvas-details": "canvas.details",
    "-no-canvas-data-series": "canvas.data_series",
}
_FAMILIES = {"-campaigns-only": "campaigns.", "-canvas-only": "canvas."}


def key_permissions(api_key: str) -> dict[str, frozenset[str]]:
    """Every valid key and the permissions it carries."""
    everything = frozenset(PERMISSIONS.values())
    keys = {api_key: everything}
    for suffix, missing in _SUFFIXES.items():
        keys[api_key + suffix] = everything - {missing}
    for suffix, prefix in _FAMILIES.items():
        keys[api_key + suffix] = frozenset(p for p in everything if p.startswith(prefix))
    return keys


def mask(key: str) -> str:
    """A key as it may appear in an error message: never in full."""
    if len(key) >= 12:
        return key[:4] + "*" * 8
    return "*" * 8 if key else "(none)"


def check(
    authorization: str | None, keys: dict[str, frozenset[str]], path: str
) -> tuple[int, dict[str, Any]] | None:
    """None when the request may proceed, else ``(status, error body)`` (401 or 403)."""
    sent = ""
    permissions = None
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        sent = value.strip()
        if scheme.lower() == "bearer" and sent:
            permissions = keys.get(sent)
    if permissions is None:
        return 401, {"message": f"Invalid API key: {mask(sent)}"}
    needed = PERMISSIONS[path]
    if needed not in permissions:
        return 403, {
            "message": "Invalid API key or insufficient permissions for this endpoint",
            "errors": [f"This API key does not have the {needed} permission"],
        }
    return None

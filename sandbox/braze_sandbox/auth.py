"""API keys and their permissions.

The configured key has ``campaigns.list``, ``campaigns.details`` and
``campaigns.data_series`` (and the three ``canvas.*`` ones); ``<key>-no-list``,
``<key>-no-details`` and ``<key>-no-data-series`` each lack one of them, and
``<key>-no-canvas-list``, ``<key>-no-canvas-details``, ``<key>-no-canvas-data-series`` one
canvas permission; each gets 403 "Access Denied" where it lacks one. ``<key>-campaigns-only``
has only the campaign permissions, ``<key>-canvas-only`` only the canvas ones.
``<key>-inactive`` belongs to an inactive account (or a plan without these endpoints) and
gets 403 "Forbidden" everywhere. Braze answers 403 with these two messages (recorded
responses; the docs say only "plan doesn't allow it / key lacks the permission").
Anything else is an invalid key.
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


INACTIVE_SUFFIX = "-inactive"


def key_permissions(api_key: str) -> dict[str, frozenset[str]]:
    """Every valid key and the permissions it carries (an inactive account's: none)."""
    everything = frozenset(PERMISSIONS.values())
    keys = {api_key: everything, api_key + INACTIVE_SUFFIX: frozenset()}
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
    if not permissions:
        return 403, {"message": "Forbidden"}
    if PERMISSIONS[path] not in permissions:
        return 403, {"message": "Access Denied"}
    return None

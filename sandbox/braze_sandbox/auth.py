"""API keys and their permissions.

The configured key has ``campaigns.list``, ``campaigns.details`` and
``campaigns.data_series``; ``<key>-no-list``, ``<key>-no-details`` and
``<key>-no-data-series`` each lack one of them and get 403 "Access Denied" there;
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
}
_SUFFIXES = {
    "-no-list": "campaigns.list",
    "-no-details": "campaigns.details",
    "-no-data-series": "campaigns.data_series",
}


INACTIVE_SUFFIX = "-inactive"


def key_permissions(api_key: str) -> dict[str, frozenset[str]]:
    """Every valid key and the permissions it carries (an inactive account's: none)."""
    everything = frozenset(PERMISSIONS.values())
    keys = {api_key: everything, api_key + INACTIVE_SUFFIX: frozenset()}
    for suffix, missing in _SUFFIXES.items():
        keys[api_key + suffix] = everything - {missing}
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

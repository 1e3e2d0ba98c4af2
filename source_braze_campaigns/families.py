"""Which stream families a sync replicates (`replicate`), and what `check` checks for them.

A Braze key carries per-endpoint permissions: a key made for campaigns lacks the canvas.*
ones, and the other way round. The manifest's ConditionalStreams give `discover` and `read`
only the chosen families' streams; `check` must also check only those, and the CDK's
CheckStream takes a fixed list of stream names (no interpolation, and a name that is not
built fails the check), so the list is set here from the config before the CDK reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT = "campaigns"
# One page of the list, one item's details and one data_series window per family.
CHECKED = {
    "campaigns": ["campaigns", "campaigns_details", "campaigns_analytics"],
    "canvases": ["canvases", "canvases_details", "canvases_analytics"],
}


def chosen(config: Mapping[str, Any] | None) -> list[str]:
    """The families `replicate` names ("both" is both; missing or empty is campaigns)."""
    value = str((config or {}).get("replicate") or DEFAULT)
    return list(CHECKED) if value == "both" else [value] if value in CHECKED else [DEFAULT]


def apply(manifest: dict[str, Any], config: Mapping[str, Any] | None) -> None:
    """Point the manifest's CheckStream at the chosen families' streams."""
    manifest["check"]["stream_names"] = [name for family in chosen(config) for name in CHECKED[family]]

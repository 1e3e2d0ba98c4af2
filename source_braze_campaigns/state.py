"""The saved per-campaign state, made safe and cheap to resume from."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any, TypeGuard

from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration

logger = logging.getLogger("airbyte")


@dataclass
class NormalizeCampaignState(StateMigration):
    """Makes a saved per-campaign state safe and cheap to resume from, before the CDK reads it.

    Why a migration: the CDK takes the state as given, and its per-campaign cursor is the last
    day Braze returned data for, or start_date when it returned none. So:
    - `state` (the latest day on any campaign) is where the CDK starts a campaign missing from
      the state, so a campaign created after the first sync would never get its history: it
      is dropped, and new campaigns start at start_date;
    - the CDK writes `state` only once every campaign of a sync was read to its end, so every
      campaign of that sync was requested through that day: a campaign whose cursor is older
      (stopped, or never sent) resumes there, instead of re-reading from its last data day or
      from start_date on every sync (one request per campaign, not one per 100 days);
    - an entry the CDK cannot read (not an object, no partition, a cursor that is not a
      YYYY-MM-DD day) would crash the read, and a cursor after the sync's last day (a clock or
      a hand-edited state) would skip days: such an entry is dropped with a warning, and that
      campaign starts over at start_date, which loses nothing;
    - the old single-cursor format ({"time": day}) is kept when its day is valid (every
      campaign resumes there) and dropped with a warning when it is not.
    - a state with one cursor for all campaigns (`use_global_cursor`, which the CDK writes above
      10,000 campaigns and this connector no longer does, cdk_compat.CampaignCursor) would keep
      the CDK on one cursor for good: it becomes a per-campaign state without entries whose
      `state` every campaign resumes from this once, as the CDK would have, with a warning that a
      campaign first listed since then misses older days unless the streams are cleared.
    A campaign left out of a sync by a config change (campaign_ids, include_archived) keeps its
    entry; included again later, it resumes from the last completed sync, so reset the stream
    if it may have sent in between.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]] = None

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        return (
            bool(stream_state.get("use_global_cursor"))
            or "states" in stream_state
            or ("time" in stream_state and not _is_day(stream_state["time"]))
        )

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        if stream_state.get("use_global_cursor"):
            return self._per_campaign(stream_state)
        if "states" not in stream_state:
            cursor = stream_state["time"]
            logger.warning("Ignoring a saved cursor that is not a day (%r): every campaign restarts.", cursor)
            return {}
        last_day = self.config.get("end_date") or time.strftime("%Y-%m-%d", time.gmtime())
        completed = (stream_state.get("state") or {}).get("time")
        completed = min(completed, last_day) if _is_day(completed) else ""
        entries = stream_state["states"]
        if not isinstance(entries, list):
            logger.warning("Ignoring saved per-campaign cursors that are not a list: every campaign restarts.")
            entries = []
        states = []
        for entry in entries:
            problem = _unusable(entry, last_day)
            if problem:
                logger.warning("Ignoring a saved campaign cursor (%s): that campaign restarts at start_date.", problem)
                continue
            if entry["cursor"]["time"] < completed:
                entry = {**entry, "cursor": {**entry["cursor"], "time": completed}}
            states.append(entry)
        kept = {name: value for name, value in stream_state.items() if name not in ("state", "states")}
        return {**kept, "states": states}

    def _per_campaign(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        """A state of one cursor for all campaigns, as a per-campaign state every campaign resumes from."""
        last_day = self.config.get("end_date") or time.strftime("%Y-%m-%d", time.gmtime())
        saved = stream_state.get("state")
        shared = saved.get("time") if isinstance(saved, Mapping) else None
        kept = {name: value for name, value in stream_state.items() if name not in ("state", "states")}
        if not _is_day(shared):
            logger.warning(
                "Ignoring a saved cursor for all campaigns that is not a day (%r): every campaign restarts.", shared
            )
            return {**kept, "use_global_cursor": False, "states": []}
        shared = min(shared, last_day)
        logger.warning(
            "The saved state has one cursor for all campaigns (%s): every campaign resumes from it, minus the "
            "lookback, and gets a cursor of its own from this sync on. A campaign first listed since the sync that "
            "saved it is read from there too: clear the analytics streams and sync again to read its earlier days.",
            shared,
        )
        return {**kept, "use_global_cursor": False, "states": [], "state": {"time": shared}}


def _unusable(entry: Any, last_day: str) -> str:
    """Why the CDK could not resume from this entry ("" when it can)."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("partition"), Mapping):
        return "not an object with a partition"
    cursor = (entry.get("cursor") or {}).get("time") if isinstance(entry.get("cursor"), Mapping) else None
    if not _is_day(cursor):
        return f"{cursor!r} is not a day"
    if cursor > last_day:
        return f"{cursor} is after the last day to sync, {last_day}"
    return ""


def _is_day(value: Any) -> TypeGuard[str]:
    try:
        return isinstance(value, str) and len(value) == 10 and bool(time.strptime(value, "%Y-%m-%d"))
    except ValueError:
        return False

"""Canvases: ``/canvas/list``, ``/canvas/details`` and ``/canvas/data_series``, and their ground truth.

Everything derives from ``(seed, canvases, days, today)`` like the campaigns do. Pinned roles
(``_ROLES``) make every kind of ``CANVAS_KINDS`` exist from 5 canvases on: a multivariant canvas
with a deleted step and a step of several channels, an archived stopped one, one created in
the middle of the history, a draft that never had an entry, one sending from history start.

Window semantics (Braze's, as recorded for campaigns): the series is the ``length`` days
before the ``ending_at`` instant, so a bare date (midnight) excludes its own day and
``T23:59:59`` includes it; offsets are honoured (days are UTC days here). Every day of the
window comes back zero-filled, except days before the canvas was created and days after
the sandbox's today. ``length`` is 1..14 (400 otherwise); ``starting_at`` may replace it.

Daily numbers: a ``random.Random`` seeded by (canvas, day) only; every draw is made whether
the canvas had entries that day or not (then the counts are 0), so a day's numbers never
depend on the request. Entries and send counters are final once the day is over (a fraction
on the day itself); conversions and revenue grow for ``RESTATEMENT_DAYS`` as for campaigns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from .catalog import CHANNELS, braze_id
from .daily import BUILDERS, growth
from .timeutil import format_datetime

CANVAS_MAX_LENGTH = 14
CANVAS_KINDS: tuple[str, ...] = (
    "all",
    "multivariant",
    "single_variant",
    "archived",
    "draft",
    "never_entered",
    "stopped",
    "ongoing",
    "mid_range",
    "from_history_start",
    "deleted_steps",
    "multichannel_step",
)
_ROLES = ("multivariant_deleted", "archived_stopped", "mid_range", "draft", "from_history_start")
_STEP_TYPES = ("delay", "decision_split", "audience_paths")
_MESSAGE_CHANNELS = tuple(c for c in CHANNELS if c != "trigger_in_app_message")
_MIX = 0x9E3779B97F4A7C15
_ZERO_TOTAL = ("revenue", "conversions", "conversions_by_entry_time", "entries")


@dataclass(frozen=True)
class CanvasVariant:
    id: str
    name: str
    share: float
    first_step_ids: tuple[str, ...]


@dataclass(frozen=True)
class CanvasStep:
    """A step; a message step has, per channel, its message variation ids."""

    id: str
    name: str
    type: str
    reach: float
    messages: dict[str, tuple[str, ...]]
    next_step_ids: tuple[str, ...] = ()
    deleted: bool = False

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.messages)


@dataclass(frozen=True)
class CanvasSpec:
    index: int
    id: str
    name: str
    description: str
    created_at: datetime
    last_edited: datetime
    first_entry: date | None
    last_entry: date | None
    archived: bool
    draft: bool
    schedule_type: str
    variants: tuple[CanvasVariant, ...]
    steps: tuple[CanvasStep, ...]
    tags: tuple[str, ...]
    teams: tuple[str, ...]
    scale: float
    rng_key: int
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def created_day(self) -> date:
        return self.created_at.date()

    def enters_on(self, day: date) -> bool:
        if self.first_entry is None or day < self.first_entry:
            return False
        return self.last_entry is None or day <= self.last_entry

    def list_entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "last_edited": format_datetime(self.last_edited),
            "name": self.name,
            "tags": list(self.tags),
        }

    def details(self, today: date) -> dict[str, Any]:
        """The ``/canvas/details`` body without ``message`` (deleted steps are not listed)."""
        first = last = None
        if self.first_entry is not None and self.first_entry <= today:
            first = format_datetime(datetime.combine(self.first_entry, time(7), tzinfo=UTC))
            end = self.last_entry if self.last_entry is not None and self.last_entry <= today else today
            last = format_datetime(datetime.combine(end, time(21), tzinfo=UTC))
        steps = [step for step in self.steps if not step.deleted]
        return {
            "created_at": format_datetime(self.created_at),
            "updated_at": format_datetime(self.last_edited),
            "name": self.name,
            "description": self.description,
            "archived": self.archived,
            "draft": self.draft,
            "enabled": not (self.archived or self.draft or self.last_entry is not None),
            "schedule_type": self.schedule_type,
            "first_entry": first,
            "last_entry": last,
            "channels": sorted({c for step in steps for c in step.channels}),
            "tags": list(self.tags),
            "teams": list(self.teams),
            "variants": [
                {"name": v.name, "id": v.id, "first_step_ids": list(v.first_step_ids)} for v in self.variants
            ],
            "steps": [
                {
                    "name": step.name,
                    "type": step.type,
                    "id": step.id,
                    "next_step_ids": list(step.next_step_ids),
                    "next_paths": [{"name": "Everyone else", "next_step_id": n} for n in step.next_step_ids],
                    "channels": list(step.channels),
                    "messages": {
                        vid: {"channel": channel, "name": f"{step.name} {channel} {k + 1}"}
                        for channel, ids in step.messages.items()
                        for k, vid in enumerate(ids)
                    },
                }
                for step in steps
            ],
        }

    def day_stats(
        self, day: date, today: date, variants: bool, steps: bool, deleted: bool
    ) -> dict[str, Any] | None:
        """One ``stats`` entry as seen on ``today``; None before creation or after today."""
        if day > today or day < self.created_day:
            return None
        age = (today - day).days
        rng = random.Random(self.rng_key ^ ((day.toordinal() * _MIX) & 0xFFFFFFFFFFFFFFFF))
        r = rng.random
        partial = 1.0 if age > 0 else 0.25 + 0.5 * r()
        g = growth(age)
        audience = self.scale * (0.7 + 0.6 * r()) if self.enters_on(day) else 0.0
        rate = 0.004 + 0.05 * r()
        aov_cents = 1500 + int(9000 * r())

        def s(x: int) -> int:
            return x if partial == 1.0 else int(x * partial)

        def outcomes(target: dict[str, Any], people: int) -> dict[str, Any]:
            base = int(people * rate * (0.8 + 0.4 * r()))
            target["revenue"] = int(base * g) * aov_cents / 100
            target["conversions"] = int(base * g)
            target["conversions_by_entry_time"] = int(base * 0.9 * g)
            return target

        variant_stats: dict[str, Any] = {}
        for variant in self.variants:
            people = int(audience * variant.share)
            variant_stats[variant.id] = {"name": variant.name, **outcomes({}, people), "entries": s(people)}
        total = {name: 0 for name in _ZERO_TOTAL}
        for stats in variant_stats.values():
            for name in _ZERO_TOTAL:
                total[name] += stats[name]
        total["revenue"] = round(total["revenue"], 2)
        step_stats: dict[str, Any] = {}
        for step in self.steps:
            people = int(audience * step.reach)
            entry: dict[str, Any] = {"name": step.name, **outcomes({}, people), "unique_recipients": s(people)}
            messages: dict[str, list[dict[str, Any]]] = {}
            for channel, ids in step.messages.items():
                build = BUILDERS[channel]
                messages[channel] = [build(r, int(people / len(ids)), s, vid) for vid in ids]
            entry["messages"] = messages
            if deleted or not step.deleted:
                step_stats[step.id] = entry
        record: dict[str, Any] = {"time": day.isoformat(), "total_stats": total}
        if variants:
            record["variant_stats"] = variant_stats
        if steps:
            record["step_stats"] = step_stats
        return record


def canvas_window(
    length: int | None, starting_at: datetime | None, ending_at: datetime, zone: tzinfo = UTC
) -> tuple[date, date]:
    """``(first, last)`` days of the company ``zone`` a request covers: from ``starting_at`` (its day
    when it is a midnight, else the next day) or the ``length`` days before ``ending_at``, to the
    day holding the instant just before ``ending_at`` (a midnight ends the series the day before).
    Naive datetimes are in ``zone``; the same rule as campaigns' ``BrazeData.window``."""

    def local(moment: datetime) -> datetime:
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(zone)

    last = (local(ending_at) - timedelta(microseconds=1)).date()
    if starting_at is None:
        return last - timedelta(days=(length or 1) - 1), last
    start = local(starting_at)
    return (start.date() if start.time() == time(0) else start.date() + timedelta(days=1)), last


class CanvasData:
    """The canvases of a workspace and their daily stats: what the sandbox serves, and the truth tests use."""

    def __init__(self, seed: int, canvases: int, days: int, today: date, zone: tzinfo = UTC) -> None:
        self.today = today
        self.zone = zone  # the company time zone: days and ending_at are read in it
        self.history_start = today - timedelta(days=days - 1)
        self._specs = [_build(seed, i, self.history_start, today) for i in range(canvases)]
        self._by_id = {spec.id: spec for spec in self._specs}
        self._asc = sorted(self._specs, key=lambda sp: (sp.created_at, sp.id))

    def specs(self) -> list[CanvasSpec]:
        return list(self._specs)

    def spec(self, canvas_id: str) -> CanvasSpec:
        return self._by_id[canvas_id]

    def has_canvas(self, canvas_id: str) -> bool:
        return canvas_id in self._by_id

    def canvas_ids(self, kind: str = "all", include_archived: bool = True) -> list[str]:
        if kind not in CANVAS_KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(CANVAS_KINDS)}")
        return [s.id for s in self._specs if kind in s.kinds and (include_archived or not s.archived)]

    def canvases(
        self, include_archived: bool = False, sort_direction: str = "asc", edited_after: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Every ``/canvas/list`` entry (all pages) in the API's order."""
        ordered = self._asc if sort_direction != "desc" else self._asc[::-1]
        return [
            spec.list_entry()
            for spec in ordered
            if (include_archived or not spec.archived) and (edited_after is None or spec.last_edited > edited_after)
        ]

    def details(self, canvas_id: str, today: date) -> dict[str, Any]:
        return self._by_id[canvas_id].details(today)

    def expected_days(self, canvas_id: str, first: date, last: date, today: date) -> list[date]:
        """The days of ``first..last`` a data_series response carries as seen on ``today``."""
        spec = self._by_id[canvas_id]
        start, end = max(first, spec.created_day), min(last, today)
        return [start + timedelta(days=k) for k in range((end - start).days + 1)]

    def stats(
        self,
        canvas_id: str,
        first: date,
        last: date,
        today: date,
        variants: bool = True,
        steps: bool = True,
        deleted: bool = True,
    ) -> list[dict[str, Any]]:
        """The ``stats`` list of a response for ``first..last`` as seen on ``today``."""
        spec = self._by_id[canvas_id]
        days = self.expected_days(canvas_id, first, last, today)
        return [s for s in (spec.day_stats(d, today, variants, steps, deleted) for d in days) if s is not None]

    def data_series(self, canvas_id: str, first: date, last: date, today: date, **breakdowns: bool) -> dict[str, Any]:
        """The ``data`` object of a ``/canvas/data_series`` response."""
        return {"name": self._by_id[canvas_id].name, "stats": self.stats(canvas_id, first, last, today, **breakdowns)}


def _stable(*parts: object) -> int:
    return int(braze_id(*parts).replace("-", "")[:16], 16)


def _build(seed: int, index: int, history_start: date, today: date) -> CanvasSpec:
    rng = random.Random(_stable(seed, "canvas", index))
    role = _ROLES[index] if index < len(_ROLES) else None
    cid = braze_id(seed, "canvas", index)
    span = (today - history_start).days
    n_variants = 3 if role == "multivariant_deleted" else (1 if role else rng.choice((1, 1, 2, 3)))
    raw = [0.5 + rng.random() for _ in range(n_variants)]
    # Steps: each variant a message step (one or two channels), a shared non-message step,
    # and for the pinned multivariant canvas a deleted step and a step of three channels.
    steps: list[CanvasStep] = []
    variants: list[CanvasVariant] = []
    for v in range(n_variants):
        n_channels = 3 if role == "multivariant_deleted" and v == 0 else rng.choice((1, 1, 2))
        channels = rng.sample(_MESSAGE_CHANNELS, n_channels)
        n_variations = 2 if rng.random() < 0.3 else 1
        messages = {
            ch: tuple(braze_id(seed, "canvas-message", index, v, ch, k) for k in range(n_variations)) for ch in channels
        }
        step_id = braze_id(seed, "canvas-step", index, v)
        steps.append(CanvasStep(step_id, f"Message {v + 1}", "message", raw[v] / sum(raw), messages))
        variants.append(
            CanvasVariant(
                braze_id(seed, "canvas-variant", index, v),
                f"Variant {chr(ord('A') + v)}" if n_variants > 1 else "Variant 1",
                raw[v] / sum(raw),
                (step_id,),
            )
        )
    steps.append(
        CanvasStep(braze_id(seed, "canvas-step", index, "split"), "Split", rng.choice(_STEP_TYPES), 0.9, {})
    )
    if role == "multivariant_deleted" or rng.random() < 0.2:
        channel = rng.choice(_MESSAGE_CHANNELS)
        steps.append(
            CanvasStep(
                braze_id(seed, "canvas-step", index, "deleted"),
                "Old follow-up",
                "message",
                0.3,
                {channel: (braze_id(seed, "canvas-message", index, "deleted", channel),)},
                deleted=True,
            )
        )
    draft = role == "draft"
    mid_range = role == "mid_range" or (role is None and span > 0 and rng.random() < 0.4)
    if role in ("from_history_start", "multivariant_deleted"):
        mid_range = False
    if mid_range and span > 0:
        created_day = history_start + timedelta(days=rng.randint(1, span))
    else:
        created_day = history_start - timedelta(days=rng.randint(1, 60))
    delay = timedelta(days=rng.randint(0, 2) if mid_range else 0)
    first_entry = None if draft else max(created_day, history_start) + delay
    if first_entry is not None and first_entry > today:
        first_entry = today
    stopped = role == "archived_stopped" or (role is None and rng.random() < 0.25)
    last_entry = None
    if first_entry is not None and stopped:
        last_entry = first_entry + timedelta(days=rng.randint(0, max(0, (today - first_entry).days - 1)))
    archived = role == "archived_stopped"
    created_at = datetime.combine(created_day, time(6), tzinfo=UTC) + timedelta(seconds=rng.randrange(3600))
    end_of_today = datetime.combine(today, time(23, 59, 59), tzinfo=UTC)
    last_edited = min(created_at + timedelta(hours=rng.randint(1, 500)), max(end_of_today, created_at))
    kinds = {"all", "multivariant" if n_variants > 1 else "single_variant"}
    if archived:
        kinds.add("archived")
    if draft:
        kinds.update({"draft", "never_entered"})
    elif last_entry is not None:
        kinds.add("stopped")
    else:
        kinds.add("ongoing")
    kinds.add("mid_range" if mid_range else "from_history_start")
    if any(step.deleted for step in steps):
        kinds.add("deleted_steps")
    if any(len(step.messages) > 1 for step in steps):
        kinds.add("multichannel_step")
    return CanvasSpec(
        index=index,
        id=cid,
        name=f"Journey #{index + 1}",
        description=f"Sandbox canvas {index + 1} (seed {seed})",
        created_at=created_at,
        last_edited=last_edited,
        first_entry=first_entry,
        last_entry=last_entry,
        archived=archived,
        draft=draft,
        schedule_type=rng.choice(("time_based", "action_based", "api_triggered")),
        variants=tuple(variants),
        steps=tuple(steps),
        tags=tuple(sorted(rng.sample(("onboarding", "retention", "promo"), rng.randint(0, 2)))),
        teams=tuple(sorted(rng.sample(("Growth", "CRM"), rng.randint(0, 1)))),
        scale=float(int(200 * (10 ** (rng.random() * 1.5)))),
        rng_key=_stable(seed, "canvas-series", cid) >> 16,
        kinds=frozenset(kinds),
    )

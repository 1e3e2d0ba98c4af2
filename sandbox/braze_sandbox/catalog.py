"""The campaigns of a workspace: who they are, when they sent, how they are built.

Everything derives from ``(seed, campaigns, days, today)``: campaign ``i`` depends on the
seed and ``i`` (plus the history window); a few roles are then pinned on seed-chosen
campaigns so that every kind a test needs exists as soon as there are 12 campaigns
(see ``KINDS`` and ``_ROLES``).

History: sends happen on ``[history_start, ...]`` where ``history_start = today - days + 1``
for the ``today`` given at construction. "Ongoing" campaigns keep sending on every later
day (also after the sandbox's today is moved forward); "stopped" ones have a fixed last
send day before that today.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .timeutil import format_datetime

#: Documented channels (data_series table plus the docs' ``in_app_message`` type).
CHANNELS: tuple[str, ...] = (
    "email",
    "sms",
    "whats_app",
    "webhook",
    "ios_push",
    "android_push",
    "kindle_push",
    "web_push",
    "content_cards",
    "in_app_message",
    "trigger_in_app_message",
)
#: A channel Braze's docs do not list; some campaigns carry it besides a documented one.
UNDOCUMENTED_CHANNEL = "line"
PUSH_CHANNELS = ("ios_push", "android_push", "kindle_push", "web_push")

#: Kinds accepted by ``BrazeData.campaign_ids(kind=...)``.
KINDS: tuple[str, ...] = (
    "all",
    "multivariate",
    "single_variation",
    "control_group",
    "archived",
    "draft",
    "never_sent",
    "stopped",
    "ongoing",
    "mid_range",
    "from_history_start",
    "never_edited",
    "edited",
    "undocumented_channel",
    "legacy_fields",
    "dynamic_keys",
    "multichannel",
    "api_campaign",
    "no_conversion_behaviors",
    "four_conversion_behaviors",
)

_THEMES = (
    "Summer Sale",
    "Welcome Series",
    "Cart Reminder",
    "Win Back",
    "Black Friday",
    "Feature Launch",
    "Loyalty Points",
    "Price Drop",
    "Weekly Digest",
    "Onboarding Day 3",
    "Renewal Notice",
    "Flash Deal",
    "Survey Invite",
    "App Update",
    "Referral Bonus",
)
_LABELS = {
    "email": "Email",
    "sms": "SMS",
    "whats_app": "WhatsApp",
    "webhook": "Webhook",
    "ios_push": "iOS Push",
    "android_push": "Android Push",
    "kindle_push": "Kindle Push",
    "web_push": "Web Push",
    "content_cards": "Content Card",
    "in_app_message": "In-App Message",
    "trigger_in_app_message": "In-App Message (triggered)",
}
_TAGS = ("promo", "onboarding", "retention", "transactional", "seasonal", "beta", "vip")
_TEAMS = ("Growth", "CRM", "Lifecycle", "Product")
_BUTTON_TITLES = ("Buy", "Open", "Later", "Share")
_SLIDE_TITLES = ("Summer", "Sale", "New_In", "Top_Picks")
_CONVERSION_TYPES = (
    "Makes Any Purchase",
    "Performs Custom Event",
    "Opens App",
    "Makes Specific Purchase",
    "Upgrades App",
)
_WINDOWS = (3 * 86400, 86400, 7 * 86400, 30 * 86400, 2 * 86400)

# Roles pinned on seed-chosen campaigns so every kind exists in small workspaces.
_ROLES = (
    "tiam_multivariate_control",
    "archived",
    "line",
    "mid_range_stopped",
    "ios_dynamic",
    "legacy",
    "never_edited",
    "email_multivariate_control",
    "never_sent",
    "from_history_start",
    "push_multivariate_control",
    "multichannel",
)
# Roles that leave the primary channel open, in the order _cover_channels may take them.
_CHANNEL_FREE_ROLES = (
    "from_history_start",
    "never_edited",
    "multichannel",
    "mid_range_stopped",
    "archived",
)


def _stable_int(*parts: object) -> int:
    """A process-independent 64-bit integer from the given parts."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def braze_id(*parts: object) -> str:
    """A 36-character uuid-looking id (as Braze's ids are) derived from ``parts``."""
    digest = hashlib.sha256(
        ("braze-sandbox:" + ":".join(str(p) for p in parts)).encode()
    ).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


@dataclass(frozen=True)
class Variation:
    """One message variation: a name and, per channel, the message variation API id."""

    name: str
    ids: dict[str, str]
    share: float


@dataclass(frozen=True)
class CampaignSpec:
    """The static description of one campaign; daily numbers are generated from it."""

    index: int
    id: str
    name: str
    description: str
    created_at: datetime
    last_edited: datetime
    first_send: date | None
    last_send: (
        date | None
    )  # None: still sending (or never sent when first_send is None)
    first_hour: int
    last_hour: int
    archived: bool
    draft: bool
    is_api_campaign: bool
    schedule_type: str
    channels: tuple[str, ...]
    variations: tuple[Variation, ...]
    control_ids: dict[str, str]  # channel -> control message id; empty without control
    control_share: float
    conversion_behaviors: tuple[dict[str, Any], ...]
    tracks_revenue: bool
    legacy_fields: bool
    ios_dynamic_keys: tuple[str, ...]
    tags: tuple[str, ...]
    teams: tuple[str, ...]
    has_post_launch_draft: bool
    mid_range: bool
    scale: float
    channel_reach: dict[str, float]
    rng_key: int
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def never_edited(self) -> bool:
        """True when the campaign was not edited after creation."""
        return self.last_edited == self.created_at

    @property
    def multivariate(self) -> bool:
        """True with several variations (a control group comes on top)."""
        return len(self.variations) > 1

    def sends_on(self, day: date) -> bool:
        """Whether the campaign had activity on ``day`` (ignores the sandbox's today)."""
        if self.first_send is None or day < self.first_send:
            return False
        return self.last_send is None or day <= self.last_send

    def list_entry(self) -> dict[str, Any]:
        """The object ``/campaigns/list`` returns for this campaign."""
        return {
            "id": self.id,
            "last_edited": format_datetime(self.last_edited),
            "name": self.name,
            "is_api_campaign": self.is_api_campaign,
            "tags": list(self.tags),
        }

    def details(self, today: date) -> dict[str, Any]:
        """The ``/campaigns/details`` body (without ``message``) as seen on ``today``."""
        first_sent = last_sent = None
        if self.first_send is not None and self.first_send <= today:
            first_sent = _at_hour(self.first_send, self.first_hour)
            if self.last_send is not None and self.last_send <= today:
                last_sent = _at_hour(self.last_send, self.last_hour)
            else:
                last_sent = _at_hour(today, self.last_hour)
        return {
            "created_at": format_datetime(self.created_at),
            "updated_at": format_datetime(self.last_edited),
            "archived": self.archived,
            "draft": self.draft,
            "enabled": not (self.archived or self.draft or self.last_send is not None),
            "has_post_launch_draft": self.has_post_launch_draft,
            "name": self.name,
            "description": self.description,
            "schedule_type": self.schedule_type,
            "channels": list(self.channels),
            "first_sent": first_sent,
            "last_sent": last_sent,
            "tags": list(self.tags),
            "teams": list(self.teams),
            "messages": self._messages(),
            "conversion_behaviors": [dict(b) for b in self.conversion_behaviors],
        }

    def _messages(self) -> dict[str, Any]:
        messages: dict[str, Any] = {}
        for variation in self.variations:
            for channel, message_id in variation.ids.items():
                messages[message_id] = _message_body(channel, variation.name, self.name)
        for channel, message_id in self.control_ids.items():
            messages[message_id] = {"channel": channel, "type": "control"}
        return messages


def _at_hour(day: date, hour: int) -> str:
    return format_datetime(datetime.combine(day, time(hour), tzinfo=UTC))


def _message_body(
    channel: str, variation_name: str, campaign_name: str
) -> dict[str, Any]:
    """A details ``messages`` entry: ``channel``, ``name`` and a few channel fields."""
    body: dict[str, Any] = {"channel": channel, "name": variation_name}
    if channel == "email":
        body.update(
            subject=f"{campaign_name}: just for you",
            body="<html><body><p>Hello {{${first_name}}}</p></body></html>",
            **{"from": "Sandbox Shop <news@example.com>"},
            reply_to="support@example.com",
            title=variation_name,
            extras={},
        )
    elif channel in PUSH_CHANNELS:
        body.update(alert=f"{campaign_name} is here", extras={})
    elif channel == "sms":
        body.update(
            body=f"{campaign_name}! Reply STOP to opt out",
            **{"from": ["+15555550100"]},
            subscription_group_id=braze_id("subscription", channel, campaign_name),
        )
    elif channel == "whats_app":
        body.update(
            **{"from": ["+15555550101"]},
            layout="text",
            header="Hi",
            body=campaign_name,
            footer="Sandbox Shop",
            buttons=[],
        )
    elif channel == "webhook":
        body.update(
            url="https://hooks.example.com/braze",
            body="{}",
            type="POST",
            headers={},
            extras={},
        )
    elif channel == "content_cards":
        body.update(extras={})
    elif channel in ("in_app_message", "trigger_in_app_message"):
        body.update(type="modal", data={"message": campaign_name})
    else:  # undocumented channels
        body.update(extras={})
    return body


def build_campaigns(
    seed: int, count: int, days: int, today: date
) -> list[CampaignSpec]:
    """Generate ``count`` campaigns for the history ``[today - days + 1, today]``."""
    if count < 0 or days < 1:
        raise ValueError("campaigns must be >= 0 and days >= 1")
    history_start = today - timedelta(days=days - 1)
    roles = dict(zip(_roles_order(seed, count), _ROLES, strict=False))
    specs = [
        _build_one(seed, i, roles.get(i), history_start, today) for i in range(count)
    ]
    return _cover_channels(specs, roles, seed, history_start, today)


def _cover_channels(
    specs: list[CampaignSpec],
    roles: dict[int, str],
    seed: int,
    history_start: date,
    today: date,
) -> list[CampaignSpec]:
    """Make every documented channel appear in a sending campaign.

    Missing channels become the primary channel of campaigns without a role, then of
    campaigns whose role does not fix the channel; with 14 or more campaigns every
    documented channel is covered.
    """
    candidates = [s.index for s in specs if s.index not in roles]
    candidates += sorted(
        (i for i, role in roles.items() if role in _CHANNEL_FREE_ROLES),
        key=lambda i: _CHANNEL_FREE_ROLES.index(roles[i]),
    )
    for channel in CHANNELS:
        users = [s for s in specs if s.first_send is not None and channel in s.channels]
        if users:
            continue
        for slot in candidates:
            others = [s for s in specs if s.index != slot and s.first_send is not None]
            if not all(
                any(c in o.channels for o in others) for c in specs[slot].channels
            ):
                continue
            rebuilt = _build_one(
                seed, slot, roles.get(slot), history_start, today, primary=channel
            )
            if rebuilt.first_send is not None and channel in rebuilt.channels:
                specs[slot] = rebuilt
                candidates.remove(slot)
                break
    return specs


def _roles_order(seed: int, count: int) -> list[int]:
    order = list(range(count))
    random.Random(_stable_int(seed, "roles")).shuffle(order)
    return order


def _build_one(
    seed: int,
    index: int,
    role: str | None,
    history_start: date,
    today: date,
    primary: str | None = None,
) -> CampaignSpec:
    """Build campaign ``index``; ``role`` pins the traits a test relies on."""
    rng = random.Random(_stable_int(seed, "campaign", index))
    forced = primary is not None
    cid = braze_id(seed, "campaign", index)
    span = (today - history_start).days  # days after history_start up to today

    # --- channels
    if primary is None:
        primary = CHANNELS[rng.randrange(len(CHANNELS))]
    if role == "tiam_multivariate_control":
        primary = "trigger_in_app_message"
    elif role == "email_multivariate_control":
        primary = "email"
    elif role == "push_multivariate_control":
        primary = "android_push"
    elif role == "ios_dynamic":
        primary = "ios_push"
    elif role == "from_history_start" and primary == "trigger_in_app_message":
        primary = "webhook"
    elif role in ("line", "legacy") and primary in (
        "trigger_in_app_message",
        "in_app_message",
    ):
        primary = "email"
    channels = [primary]
    if primary not in ("trigger_in_app_message", "in_app_message") and (
        rng.random() < 0.3 or role == "multichannel"
    ):
        extras = [
            c for c in CHANNELS if c not in ("trigger_in_app_message", "in_app_message")
        ]
        for extra in rng.sample(extras, 2):
            if extra != primary and len(channels) < 3:
                channels.append(extra)
    if role == "multichannel" and len(channels) < 2:
        channels.append("email" if primary != "email" else "ios_push")
    if role == "line" or (
        primary != "trigger_in_app_message" and role is None and rng.random() < 0.06
    ):
        channels.append(UNDOCUMENTED_CHANNEL)

    # --- variations and control group
    n_var = 1
    roll = rng.random()
    if primary == "trigger_in_app_message" or roll < 0.3:
        n_var = rng.choice((1, 2, 2, 3))
    if role in (
        "tiam_multivariate_control",
        "email_multivariate_control",
        "push_multivariate_control",
    ):
        n_var = max(n_var, 2)
    has_control = n_var > 1 and (
        rng.random() < 0.6 or (role or "").endswith("_control")
    )
    control_share = round(0.08 + 0.12 * rng.random(), 3) if has_control else 0.0
    raw = [0.5 + rng.random() for _ in range(n_var)]
    variations = tuple(
        Variation(
            name=f"Variant {chr(ord('A') + v)}" if n_var > 1 else "Variant 1",
            ids={ch: braze_id(seed, "message", index, ch, v) for ch in channels},
            share=(1.0 - control_share) * raw[v] / sum(raw),
        )
        for v in range(n_var)
    )
    control_ids = (
        {ch: braze_id(seed, "control", index, ch) for ch in channels}
        if has_control
        else {}
    )

    # --- lifecycle
    draft = role == "never_sent" or (
        role is None and not forced and rng.random() < 0.02
    )
    mid_range = role in ("mid_range_stopped",) or (
        role not in ("from_history_start", "tiam_multivariate_control")
        and rng.random() < 0.55
    )
    if span == 0:
        mid_range = False
    if draft:
        first_send = None
    elif mid_range:
        first_send = history_start + timedelta(days=rng.randint(1, span))
    else:
        first_send = history_start
    stopped = role in ("archived", "mid_range_stopped") or (
        role is None and rng.random() < 0.25
    )
    archived = role == "archived" or (stopped and role is None and rng.random() < 0.35)
    last_send = None
    if first_send is not None and (stopped or archived):
        # stops before today (or on it when it only started today)
        last_send = first_send + timedelta(
            days=rng.randint(0, max(0, (today - first_send).days - 1))
        )

    anchor = first_send or (history_start + timedelta(days=rng.randint(0, span)))
    created_day = anchor - timedelta(
        days=rng.randint(0 if mid_range else 1, 20 if mid_range else 200)
    )
    created_at = datetime.combine(created_day, time(), tzinfo=UTC) + timedelta(
        seconds=rng.randrange(8 * 3600, 20 * 3600)
    )
    if first_send is not None and first_send == created_day:
        created_at = created_at.replace(hour=min(created_at.hour, 5))
    end_of_today = datetime.combine(today, time(23, 59, 59), tzinfo=UTC)
    never_edited = role == "never_edited" or (role is None and rng.random() < 0.25)
    if archived:
        never_edited = False
    if never_edited:
        last_edited = created_at
    else:
        latest = end_of_today
        earliest = created_at + timedelta(minutes=5)
        if archived and last_send is not None:
            earliest = datetime.combine(
                last_send + timedelta(days=1), time(9), tzinfo=UTC
            )
        room = max(0, int((latest - earliest).total_seconds()))
        last_edited = earliest + timedelta(seconds=rng.randint(0, room))
        last_edited = min(last_edited, end_of_today)

    # --- conversions and extras
    n_behaviors = rng.choice((1, 1, 2, 2, 3, 4))
    behaviors = tuple(_behavior(rng, seed, index, k) for k in range(n_behaviors))
    behaviors = tuple(  # a repeated type gets a custom event instead: one meaning per slot
        b
        if all(b["type"] != o["type"] for o in behaviors[:k])
        or b["type"] == "Performs Custom Event"
        else {
            "type": "Performs Custom Event",
            "window": b["window"],
            "custom_event_name": f"sandbox_event_{k}",
        }
        for k, b in enumerate(behaviors)
    )
    behaviors = _pinned_behaviors(behaviors, role, seed, index)
    tracks_revenue = rng.random() < 0.75 or any(
        "Purchase" in b["type"] for b in behaviors
    )
    legacy = role == "legacy" or (role is None and rng.random() < 0.1)
    dynamic: tuple[str, ...] = ()
    if "ios_push" in channels and (role == "ios_dynamic" or rng.random() < 0.4):
        n_buttons, n_slides = rng.randint(1, 2), rng.randint(0, 3)
        dynamic = tuple(
            [
                f"carousel_slide_{k + 1}_{_SLIDE_TITLES[k]}_click"
                for k in range(n_slides)
            ]
            + [
                f"notif_button_{k + 1}_{_BUTTON_TITLES[k]}_click"
                for k in range(n_buttons)
            ]
        )
        if role == "ios_dynamic":
            dynamic = (
                "carousel_slide_1_Summer_click",
                "carousel_slide_2_Sale_click",
                "notif_button_1_Open_click",
                "notif_button_2_Buy_click",
            )

    is_api = (rng.random() < 0.15 or role == "from_history_start") and (
        primary != "trigger_in_app_message"
    )
    if primary == "trigger_in_app_message":
        schedule_type = "action_based"
    elif is_api:
        schedule_type = "api_triggered"
    else:
        schedule_type = rng.choice(("time_based", "time_based", "action_based"))
    theme = _THEMES[rng.randrange(len(_THEMES))]
    name = f"{theme} - {_LABELS.get(primary, primary)} #{index + 1}"
    tags = tuple(sorted(rng.sample(_TAGS, rng.randint(0, 3))))
    teams = tuple(sorted(rng.sample(_TEAMS, rng.randint(0, 2))))
    scale = float(int(300 * (10 ** (rng.random() * 2.2))))  # ~300 .. ~48,000 a day
    reach = {
        ch: (1.0 if k == 0 else round(0.3 + 0.6 * rng.random(), 3))
        for k, ch in enumerate(channels)
    }

    spec = CampaignSpec(
        index=index,
        id=cid,
        name=name,
        description=f"{theme} campaign (sandbox seed {seed})"
        if rng.random() < 0.7
        else "",
        created_at=created_at,
        last_edited=last_edited,
        first_send=first_send,
        last_send=last_send,
        first_hour=rng.randint(6, 12),
        last_hour=rng.randint(13, 22),
        archived=archived,
        draft=draft,
        is_api_campaign=is_api,
        schedule_type=schedule_type,
        channels=tuple(channels),
        variations=variations,
        control_ids=control_ids,
        control_share=control_share,
        conversion_behaviors=behaviors,
        tracks_revenue=tracks_revenue,
        legacy_fields=legacy,
        ios_dynamic_keys=dynamic,
        tags=tags,
        teams=teams,
        has_post_launch_draft=rng.random() < 0.08 and not archived,
        mid_range=mid_range and first_send is not None,
        scale=scale,
        channel_reach=reach,
        rng_key=_stable_int(seed, "series", cid) >> 16,
    )
    return _with_kinds(spec)


def _behavior(rng: random.Random, seed: int, index: int, k: int) -> dict[str, Any]:
    kind = (
        _CONVERSION_TYPES[rng.randrange(len(_CONVERSION_TYPES))]
        if k
        else rng.choice(("Makes Any Purchase", "Performs Custom Event", "Opens App"))
    )
    behavior: dict[str, Any] = {
        "type": kind,
        "window": _WINDOWS[rng.randrange(len(_WINDOWS))],
    }
    if kind == "Performs Custom Event":
        behavior["custom_event_name"] = rng.choice(
            ("added_to_cart", "viewed_product", "signup")
        )
    elif kind == "Makes Specific Purchase":
        behavior["product"] = rng.choice(("premium_plan", "gift_card", "sneakers"))
    elif kind in ("Opens App", "Upgrades App"):
        behavior["app_ids"] = [braze_id(seed, "app", index % 3)]
    return behavior


def _pinned_behaviors(
    behaviors: tuple[dict[str, Any], ...], role: str | None, seed: int, index: int
) -> tuple[dict[str, Any], ...]:
    """No conversion events on the ``never_edited`` campaign, all four (A..D) on the
    ``multichannel`` one; the extra events come from a generator of their own, so the
    campaign's other traits and numbers stay as they were."""
    if role == "never_edited":
        return ()
    if role != "multichannel" or len(behaviors) == 4:
        return behaviors
    extra = random.Random(_stable_int(seed, "behaviors", index))
    taken = {b["type"] for b in behaviors if b["type"] != "Performs Custom Event"}
    added: list[dict[str, Any]] = []
    for k in range(len(behaviors), 4):
        behavior = _behavior(extra, seed, index, k)
        if behavior["type"] in taken or behavior["type"] == "Performs Custom Event":
            behavior = {
                "type": "Performs Custom Event",
                "window": behavior["window"],
                "custom_event_name": f"sandbox_event_{k}",
            }
        taken.add(behavior["type"])
        added.append(behavior)
    return behaviors + tuple(added)


def _with_kinds(spec: CampaignSpec) -> CampaignSpec:
    kinds = {"all"}
    kinds.add("multivariate" if spec.multivariate else "single_variation")
    if spec.control_ids:
        kinds.add("control_group")
    if spec.archived:
        kinds.add("archived")
    if spec.draft:
        kinds.add("draft")
    if spec.first_send is None:
        kinds.add("never_sent")
    elif spec.last_send is not None:
        kinds.add("stopped")
    else:
        kinds.add("ongoing")
    if spec.mid_range:
        kinds.add("mid_range")
    elif spec.first_send is not None:
        kinds.add("from_history_start")
    kinds.add("never_edited" if spec.never_edited else "edited")
    if UNDOCUMENTED_CHANNEL in spec.channels:
        kinds.add("undocumented_channel")
    if spec.legacy_fields:
        kinds.add("legacy_fields")
    if spec.ios_dynamic_keys:
        kinds.add("dynamic_keys")
    if len(spec.channels) > 1:
        kinds.add("multichannel")
    if spec.is_api_campaign:
        kinds.add("api_campaign")
    if not spec.conversion_behaviors:
        kinds.add("no_conversion_behaviors")
    elif len(spec.conversion_behaviors) == 4:
        kinds.add("four_conversion_behaviors")
    return replace(spec, kinds=frozenset(kinds))

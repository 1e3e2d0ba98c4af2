"""One ``/campaigns/data_series`` day object for one campaign, as seen on a given today.

Numbers come from a ``random.Random`` seeded by (campaign, day) only, and every draw is
made whatever the age, so a day's "final" numbers never depend on when it is looked at.
What the age (``today - day`` in days) changes:

* send/engagement counters (``sent``, ``opens``, ``enrolled``, ``unique_recipients``, ...)
  are final once the day is over; on the day itself (age 0) they are
  ``int(final * f)`` with a per-(campaign, day) fraction ``f`` in [0.25, 0.75);
* every ``conversions*`` field and ``revenue`` is ``int(final * g(age))`` (revenue in
  cents, then divided by 100) with ``g(age) = sqrt((age + 1) / 31)`` below 30 days and 1
  from ``RESTATEMENT_DAYS`` = 30 on: they grow for 30 days, then stay put.

Field presence is fixed per (campaign, day): ``conversions1..3`` (and their
``_by_send_time``) only for campaigns with that many conversion behaviors, and then
absent on ~15% of days each; ``revenue`` only for campaigns that track it, absent on ~20%
of days. ``in_app_message`` entries (no field list in Braze's docs) are assumed to look
like ``trigger_in_app_message`` send stats with a ``variation_api_id``.

What real responses show beyond the docs (recorded in December 2022, Airbyte's
``source-braze`` ``integration_tests/expected_records.jsonl``), modelled here:

* days without activity are returned zero-filled (``zero_fill``): every variation's entry
  is there with 0 counts, and a channel's list is sometimes empty (``"sms": []``);
* email entries carry ``machine_open`` and ``machine_amp_open`` (Apple Mail privacy opens);
* iOS push entries carry ``variation_name``, ``revenue``, ``unique_recipients`` and the
  conversion fields;
* a control entry inside a channel's list carries ``variation_api_id``, ``enrolled``,
  conversions and revenue, and no ``sent``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date
from typing import Any

from .catalog import PUSH_CHANNELS, CampaignSpec

RESTATEMENT_DAYS = 30
_WEEKDAY = (1.0, 1.06, 1.1, 1.04, 0.95, 0.72, 0.66)
_GROWTH = tuple(
    math.sqrt((age + 1) / (RESTATEMENT_DAYS + 1)) for age in range(RESTATEMENT_DAYS)
)
_MIX = 0x9E3779B97F4A7C15


def growth(age: int) -> float:
    """Fraction of a day's final conversions/revenue visible ``age`` days later."""
    return 1.0 if age >= RESTATEMENT_DAYS else _GROWTH[age]


def day_record(
    spec: CampaignSpec, day: date, today: date, zero_fill: bool = False
) -> dict[str, Any] | None:
    """The data_series object of ``spec`` for ``day`` as seen on ``today``, or None.

    A day without activity is None, or with ``zero_fill`` a zero-filled object.
    """
    if day > today:
        return None
    active = spec.sends_on(day)
    if not active and not zero_fill:
        return None
    age = (today - day).days
    ordinal = day.toordinal()
    rng = random.Random(spec.rng_key ^ ((ordinal * _MIX) & 0xFFFFFFFFFFFFFFFF))
    r = rng.random

    frac = 0.25 + 0.5 * r()
    partial = 1.0 if age > 0 else frac
    g = growth(age)

    def s(x: int) -> int:
        return x if partial == 1.0 else int(x * partial)

    def c(x: int) -> int:
        return x if g == 1.0 else int(x * g)

    quiet = (r() < 0.03 and spec.schedule_type != "time_based") or not active
    audience = (
        0.0 if quiet else spec.scale * _WEEKDAY[day.weekday()] * (0.7 + 0.6 * r())
    )
    n_behaviors = len(spec.conversion_behaviors)
    extra = [k for k in (1, 2, 3) if (r() < 0.85) and k < n_behaviors]
    with_revenue = (r() < 0.8) and spec.tracks_revenue
    conv_rate = 0.004 + 0.05 * r()
    bst_ratio = 0.75 + 0.4 * r()
    ratios = (1.0, 0.3 + 0.5 * r(), 0.1 + 0.4 * r(), 0.05 + 0.3 * r())
    aov_cents = 1500 + int(9000 * r())

    def conversions(
        target: dict[str, Any], recipients: int, rate: float, revenue: bool
    ) -> None:
        base = int(recipients * rate)
        spread = 0.85 + 0.3 * r()
        if revenue:
            target["revenue"] = c(int(base * aov_cents * spread)) / 100
        target["unique_recipients"] = s(recipients)
        target["conversions"] = c(base)
        target["conversions_by_send_time"] = c(int(base * bst_ratio))
        for k in extra:
            value = int(base * ratios[k])
            target[f"conversions{k}"] = c(value)
            target[f"conversions{k}_by_send_time"] = c(int(value * bst_ratio))

    messages: dict[str, list[dict[str, Any]]] = {}
    for channel in spec.channels:
        reach = audience * spec.channel_reach[channel]
        entries: list[dict[str, Any]] = []
        tiam = channel == "trigger_in_app_message"
        for variation in spec.variations:
            sent = int(reach * variation.share)
            build = _BUILDERS.get(channel, _other)
            entry = build(r, sent, s, variation.ids[channel])
            if tiam:
                entry = {"variation_name": variation.name, **entry}
                conversions(
                    entry,
                    int(entry["impressions"] * 0.9),
                    conv_rate * (0.7 + 0.6 * r()),
                    True,
                )
            elif spec.legacy_fields or channel == "ios_push":
                entry["variation_name"] = variation.name
                conversions(
                    entry, int(sent * 0.97), conv_rate * (0.7 + 0.6 * r()), with_revenue
                )
            if channel == "ios_push" and spec.ios_dynamic_keys:
                clicks = entry["body_clicks"]
                for key in spec.ios_dynamic_keys:
                    entry[key] = int(clicks * 0.3 * r())
            entries.append(entry)
        if spec.control_ids:
            enrolled = int(reach * spec.control_share)
            rate = conv_rate * (0.5 + 0.4 * r())
            if tiam:
                control: dict[str, Any] = {"variation_name": "Control Group"}
                conversions(control, enrolled, rate, True)
            else:
                control = {"variation_api_id": spec.control_ids[channel]}
                if spec.legacy_fields:
                    control["variation_name"] = "Control Group"
                conversions(control, enrolled, rate, with_revenue)
            control["enrolled"] = s(enrolled)
            entries.append(control)
        # a channel without activity that day is sometimes an empty list
        messages[channel] = [] if not active and r() < 0.25 else entries

    recipients = int(audience)
    top_base = int(recipients * conv_rate)
    record: dict[str, Any] = {"time": day.isoformat()}
    record["conversions_by_send_time"] = c(int(top_base * bst_ratio))
    for k in extra:
        record[f"conversions{k}_by_send_time"] = c(
            int(top_base * ratios[k] * bst_ratio)
        )
    record["conversions"] = c(top_base)
    for k in extra:
        record[f"conversions{k}"] = c(int(top_base * ratios[k]))
    record["unique_recipients"] = s(recipients)
    if with_revenue:
        record["revenue"] = c(top_base * aov_cents) / 100
    record["messages"] = messages
    return record


Scale = Callable[[int], int]
Draw = Callable[[], float]


def _push(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    direct = int(sent * (0.01 + 0.06 * r()))
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "direct_opens": s(direct),
        "total_opens": s(direct + int(sent * 0.04 * r())),
        "bounces": s(int(sent * 0.02 * r())),
        "body_clicks": s(int(sent * (0.005 + 0.03 * r()))),
    }


def _email(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    bounces = int(sent * 0.03 * r())
    delivered = sent - bounces
    unique_opens = int(delivered * (0.1 + 0.35 * r()))
    unique_clicks = int(unique_opens * (0.05 + 0.2 * r()))
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "opens": s(unique_opens + int(unique_opens * 0.5 * r())),
        "unique_opens": s(unique_opens),
        "clicks": s(unique_clicks + int(unique_clicks * 0.4 * r())),
        "unique_clicks": s(unique_clicks),
        "unsubscribes": s(int(delivered * 0.004 * r())),
        "bounces": s(bounces),
        "delivered": s(delivered),
        "reported_spam": s(int(delivered * 0.0008 * r())),
        "machine_open": s(int(unique_opens * (0.2 + 0.4 * r()))),
        "machine_amp_open": s(int(unique_opens * 0.02 * r())),
    }


def _sms(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    to_carrier = sent - int(sent * 0.01 * r())
    rejected = int(to_carrier * 0.01 * r())
    failed = int(to_carrier * 0.02 * r())
    delivered = to_carrier - rejected - failed
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "sent_to_carrier": s(to_carrier),
        "delivered": s(delivered),
        "rejected": s(rejected),
        "delivery_failed": s(failed),
        "clicks": s(int(delivered * 0.05 * r())),
        "opt_out": s(int(delivered * 0.005 * r())),
        "help": s(int(delivered * 0.001 * r())),
    }


def _whats_app(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    failed = int(sent * 0.02 * r())
    delivered = sent - failed
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "delivered": s(delivered),
        "failed": s(failed),
        "read": s(int(delivered * (0.4 + 0.5 * r()))),
    }


def _webhook(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "errors": s(int(sent * 0.01 * r())),
    }


def _content_cards(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    unique_impressions = int(sent * (0.2 + 0.5 * r()))
    unique_clicks = int(unique_impressions * 0.1 * r())
    unique_dismissals = int(unique_impressions * 0.15 * r())
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "total_clicks": s(unique_clicks + int(unique_clicks * 0.3 * r())),
        "total_dismissals": s(unique_dismissals + int(unique_dismissals * 0.1 * r())),
        "total_impressions": s(
            unique_impressions + int(unique_impressions * 0.6 * r())
        ),
        "unique_clicks": s(unique_clicks),
        "unique_dismissals": s(unique_dismissals),
        "unique_impressions": s(unique_impressions),
    }


def _in_app(r: Draw, eligible: int, s: Scale, vid: str) -> dict[str, Any]:
    impressions = int(eligible * (0.3 + 0.6 * r()))
    clicks = int(impressions * 0.15 * r())
    return {
        "variation_api_id": vid,
        "impressions": s(impressions),
        "clicks": s(clicks),
        "first_button_clicks": s(int(clicks * 0.6 * r())),
        "second_button_clicks": s(int(clicks * 0.3 * r())),
    }


def _trigger_in_app(r: Draw, eligible: int, s: Scale, vid: str) -> dict[str, Any]:
    entry = _in_app(r, eligible, s, vid)
    del entry["variation_api_id"]  # documented without it; variation_name identifies it
    return entry


def _other(r: Draw, sent: int, s: Scale, vid: str) -> dict[str, Any]:
    """An undocumented channel (``line``): what such an entry might carry."""
    delivered = sent - int(sent * 0.02 * r())
    return {
        "variation_api_id": vid,
        "sent": s(sent),
        "delivered": s(delivered),
        "friend_adds": s(int(delivered * 0.01 * r())),
    }


_BUILDERS: dict[str, Callable[[Draw, int, Scale, str], dict[str, Any]]] = {
    **{channel: _push for channel in PUSH_CHANNELS},
    "email": _email,
    "sms": _sms,
    "whats_app": _whats_app,
    "webhook": _webhook,
    "content_cards": _content_cards,
    "in_app_message": _in_app,
    "trigger_in_app_message": _trigger_in_app,
}

#: The per-variation entry builders by channel (canvas steps use them too).
BUILDERS = _BUILDERS

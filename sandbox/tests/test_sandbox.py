"""Tests of the Braze API sandbox itself: it must behave as Braze is documented to, and as
real responses recorded in December 2022 show it behaves beyond its docs.

Every request goes to 127.0.0.1 through an opener with proxies disabled.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from braze_sandbox import (
    CHANNELS,
    FAULT_KINDS,
    KINDS,
    RESTATEMENT_DAYS,
    SANDBOX_API_KEY,
    UNDOCUMENTED_CHANNEL,
    BrazeData,
    Sandbox,
    SandboxConfig,
    parse_iso_datetime,
)

TODAY = date(2026, 6, 30)
KEY = SANDBOX_API_KEY
ROOT = Path(__file__).resolve().parents[2]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

DOCUMENTED_FIELDS = {
    **{
        ch: {"variation_api_id", "sent", "direct_opens", "total_opens", "bounces", "body_clicks"}
        for ch in ("ios_push", "android_push", "kindle_push", "web_push")
    },
    "webhook": {"variation_api_id", "sent", "errors"},
    "email": {
        "variation_api_id", "sent", "opens", "unique_opens", "clicks", "unique_clicks",
        "unsubscribes", "bounces", "delivered", "reported_spam",
    },
    "sms": {
        "variation_api_id", "sent", "sent_to_carrier", "delivered", "rejected",
        "delivery_failed", "clicks", "opt_out", "help",
    },
    "whats_app": {"variation_api_id", "sent", "delivered", "failed", "read"},
    "content_cards": {
        "variation_api_id", "sent", "total_clicks", "total_dismissals", "total_impressions",
        "unique_clicks", "unique_dismissals", "unique_impressions",
    },
    "trigger_in_app_message": {
        "variation_name", "impressions", "clicks", "first_button_clicks",
        "second_button_clicks", "revenue", "unique_recipients", "conversions",
        "conversions_by_send_time",
    },
    "in_app_message": {
        "variation_api_id", "impressions", "clicks", "first_button_clicks",
        "second_button_clicks",
    },
    UNDOCUMENTED_CHANNEL: {"variation_api_id", "sent", "delivered", "friend_adds"},
}
CONVERSION_EXTRAS = {
    f"conversions{k}{suffix}" for k in (1, 2, 3) for suffix in ("", "_by_send_time")
}
LEGACY_FIELDS = {"variation_name", "revenue", "unique_recipients", "conversions",
                 "conversions_by_send_time"} | CONVERSION_EXTRAS
# Fields real responses carry beyond the docs on documented channels (recorded, Dec 2022).
RECORDED_EXTRAS = {
    "email": {"machine_open", "machine_amp_open"},
    "ios_push": {"variation_name", "unique_recipients", "conversions", "conversions_by_send_time"},
}
DYNAMIC_KEY = re.compile(r"^(carousel_slide|notif_button)_\d+_\w+_click$")
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@dataclass
class Reply:
    status: int
    headers: Any
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


def call(
    base: str,
    path: str,
    params: dict[str, Any] | None = None,
    key: str | None = KEY,
    method: str = "GET",
    payload: Any = None,
) -> Reply:
    """One request with urllib; HTTP errors are returned, not raised."""
    url = base + path + ("?" + urlencode(params) if params else "")
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def series(sb: Sandbox, cid: str, length: int | str, ending_at: str | None = None) -> Reply:
    params: dict[str, Any] = {"campaign_id": cid, "length": length}
    if ending_at is not None:
        params["ending_at"] = ending_at
    return call(sb.url, "/campaigns/data_series", params)


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    """250 campaigns, read-only use (paging)."""
    with Sandbox(SandboxConfig(seed=7, campaigns=250, days=400, today=TODAY)) as sb:
        yield sb


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh 30-campaign sandbox per test (tests may move today or add faults)."""
    with Sandbox(SandboxConfig(seed=1, campaigns=30, days=400, today=TODAY)) as sandbox:
        yield sandbox


def a_busy_campaign(data: BrazeData, kind: str = "from_history_start") -> str:
    """The ongoing campaign of ``kind`` with the most volume (robust growth checks)."""
    ids = [c for c in data.campaign_ids(kind) if c in data.campaign_ids("ongoing")]
    return max(ids, key=lambda c: data.spec(c).scale)


# ---------------------------------------------------------------- auth
def test_given_no_or_wrong_key_when_calling_any_endpoint_then_401_without_echoing_key(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    secret = "a-very-secret-wrong-key-123456"
    for path, params in (
        ("/campaigns/list", None),
        ("/campaigns/details", {"campaign_id": cid}),
        ("/campaigns/data_series", {"campaign_id": cid, "length": 3}),
    ):
        missing = call(sb.url, path, params, key=None)
        assert missing.status == 401
        assert missing.body["message"].startswith("Invalid API key")
        wrong = call(sb.url, path, params, key=secret)
        assert wrong.status == 401
        assert secret not in wrong.raw.decode()
    quoted = call(sb.url, "/campaigns/list", key=f'"{KEY}"')
    assert quoted.status == 401
    basic = urllib.request.Request(sb.url + "/campaigns/list", headers={"Authorization": KEY})
    with pytest.raises(urllib.error.HTTPError) as err:
        _OPENER.open(basic, timeout=5)
    assert err.value.code == 401


@pytest.mark.parametrize(
    ("suffix", "denied"),
    [
        ("-no-list", "/campaigns/list"),
        ("-no-details", "/campaigns/details"),
        ("-no-data-series", "/campaigns/data_series"),
    ],
)
def test_given_key_missing_one_permission_then_403_on_that_endpoint_only(sb, suffix, denied):
    cid = sb.data.campaign_ids("ongoing")[0]
    calls = {
        "/campaigns/list": None,
        "/campaigns/details": {"campaign_id": cid},
        "/campaigns/data_series": {"campaign_id": cid, "length": 3},
    }
    for path, params in calls.items():
        reply = call(sb.url, path, params, key=KEY + suffix)
        if path == denied:
            assert (reply.status, reply.body["message"]) == (403, "Access Denied")
        else:
            assert reply.status == 200, path


def test_given_an_inactive_account_key_then_403_forbidden_on_every_endpoint(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    for path, params in (("/campaigns/list", None), ("/campaigns/details", {"campaign_id": cid}),
                         ("/campaigns/data_series", {"campaign_id": cid, "length": 3})):
        reply = call(sb.url, path, params, key=KEY + "-inactive")
        assert (reply.status, reply.body["message"]) == (403, "Forbidden"), path


def test_unknown_path_is_404_with_message(sb):
    reply = call(sb.url, "/campaigns/nope")
    assert reply.status == 404
    assert reply.body["message"]
    assert all(h in reply.headers for h in RATE_HEADERS)


# ---------------------------------------------------------------- list
def test_list_pages_hold_100_then_a_short_page_then_an_empty_one(big):
    def pages(**params: Any) -> list[list[dict[str, Any]]]:
        out = []
        for page in range(10):
            body = call(big.url, "/campaigns/list", {"page": page, **params}).body
            assert body["message"] == "success"
            out.append(body["campaigns"])
            if not body["campaigns"]:
                break
        return out

    default = pages()
    sizes = [len(p) for p in default]
    assert sizes[:2] == [100, 100] and 0 < sizes[2] < 100 and sizes[3] == 0
    listed = [c for p in default for c in p]
    assert listed == big.data.campaigns(include_archived=False)
    archived = set(big.data.campaign_ids("archived"))
    assert archived and not archived & {c["id"] for c in listed}

    everything = [c for p in pages(include_archived="true") for c in p]
    assert len(everything) == 250
    assert archived <= {c["id"] for c in everything}
    assert set(everything[0]) == {"id", "last_edited", "name", "is_api_campaign", "tags"}
    assert len({c["id"] for c in everything}) == 250
    assert all(len(c["id"]) == 36 for c in everything)

    desc = [c for p in pages(include_archived="true", sort_direction="desc") for c in p]
    assert desc == everything[::-1]
    created = [big.data.spec(c["id"]).created_at for c in everything]
    assert created == sorted(created)


def test_list_last_edit_filter_keeps_only_campaigns_edited_after(big):
    cutoff = "2026-05-01T00:00:00"
    body = call(big.url, "/campaigns/list",
                {"include_archived": "true", "last_edit.time[gt]": cutoff}).body
    moment = datetime(2026, 5, 1, tzinfo=UTC)
    assert body["campaigns"] == big.data.campaigns(True, edited_after=moment)[:100]
    assert all(parse_iso_datetime(c["last_edited"]) > moment for c in body["campaigns"])
    assert 0 < len(body["campaigns"]) < 250
    assert call(big.url, "/campaigns/list", {"last_edit.time[gt]": "May 1"}).status == 400


# ---------------------------------------------------------------- details
def test_details_body_has_documented_fields_and_control_messages(sb):
    cid = sb.data.campaign_ids("control_group")[0]
    body = call(sb.url, "/campaigns/details", {"campaign_id": cid}).body
    assert body == {"message": "success", **sb.data.details(cid, TODAY)}
    assert {
        "message", "created_at", "updated_at", "archived", "draft", "enabled",
        "has_post_launch_draft", "name", "description", "schedule_type", "channels",
        "first_sent", "last_sent", "tags", "teams", "messages", "conversion_behaviors",
    } <= set(body)
    controls = [m for m in body["messages"].values() if m.get("type") == "control"]
    assert controls and all(set(m) == {"channel", "type"} for m in controls)
    assert len(body["conversion_behaviors"]) <= 4
    for missing in ({}, {"campaign_id": "nope"}, {"campaign_id": ""}):
        reply = call(sb.url, "/campaigns/details", missing or None)
        assert reply.status == 400 and reply.body == {"message": "Invalid Campaign ID"}


def test_never_edited_campaigns_have_updated_at_equal_to_created_at(sb):
    for cid in sb.data.campaign_ids("never_edited"):
        details = sb.data.details(cid)
        assert details["updated_at"] == details["created_at"]


# ---------------------------------------------------------------- data_series params
@pytest.mark.parametrize("length", [0, 101, "abc", "7.0", "-1", ""])
def test_given_bad_length_then_400(sb, length):
    cid = sb.data.campaign_ids("ongoing")[0]
    reply = series(sb, cid, length)
    assert reply.status == 400 and reply.body["message"]


def test_given_missing_length_or_bad_campaign_or_bad_ending_at_then_400(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    no_length = call(sb.url, "/campaigns/data_series", {"campaign_id": cid})
    assert no_length.status == 400
    for params in ({"length": 3}, {"campaign_id": "x" * 36, "length": 3}):
        reply = call(sb.url, "/campaigns/data_series", params)
        assert reply.status == 400 and reply.body == {"message": "Invalid Campaign ID"}
    assert series(sb, cid, 3, "yesterday").status == 400
    assert series(sb, cid, 1).status == 200 and series(sb, cid, 100).status == 200


def days_of(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.raw
    return [d["time"] for d in reply.body["data"]]


def test_window_is_the_length_days_before_the_ending_at_instant(sb):
    cid = a_busy_campaign(sb.data)
    june = lambda first, last: [f"2026-06-{d}" for d in range(first, last + 1)]  # noqa: E731
    assert days_of(series(sb, cid, 7, "2026-06-28T23:59:59+00:00")) == june(22, 28)
    # midnight, or a bare date (read as midnight), ends the series the day before
    assert days_of(series(sb, cid, 7, "2026-06-28T00:00:00Z")) == june(21, 27)
    assert days_of(series(sb, cid, 7, "2026-06-28")) == june(21, 27)
    assert days_of(series(sb, cid, 7, "2026-06-28T00:00:01Z")) == june(22, 28)
    # 23:59:59-05:00 is 04:59:59Z the next day, in a UTC company zone
    assert days_of(series(sb, cid, 7, "2026-06-28T23:59:59-05:00")) == june(23, 29)
    assert days_of(series(sb, cid, 7, "2026-06-28T23:59:59-5:00")) == june(23, 29)
    assert days_of(series(sb, cid, 7, "2026-06-28T01:00:00+05:00")) == june(21, 27)
    assert days_of(series(sb, cid, 1)) == ["2026-06-30"]  # default ending_at: now (today)
    # days after today are never returned
    assert days_of(series(sb, cid, 5, "2026-07-02T12:00:00Z")) == ["2026-06-28", "2026-06-29",
                                                                   "2026-06-30"]
    assert days_of(series(sb, cid, 3, "2026-08-01T00:00:00Z")) == []
    assert len(days_of(series(sb, cid, 100, "2026-06-30T23:59:59Z"))) == 100


def test_window_rule_reproduces_the_recorded_request():
    """ending_at=2022-12-09&length=99 returned 2022-09-01 .. 2022-12-08 (recorded, Dec 2022)."""
    first, last = BrazeData.window(99, parse_iso_datetime("2022-12-09"), date(2022, 12, 9))
    assert (first, last) == (date(2022, 9, 1), date(2022, 12, 8))


@pytest.mark.parametrize(
    ("zone", "ending_at", "last_day"),
    [
        # west of UTC (UTC-7 in June): the local day ends at 06:59:59Z the next day
        ("America/Los_Angeles", "2026-06-28T23:59:59-07:00", "2026-06-28"),
        ("America/Los_Angeles", "2026-06-28T23:59:59+00:00", "2026-06-28"),
        ("America/Los_Angeles", "2026-06-29T07:00:00Z", "2026-06-28"),
        ("America/Los_Angeles", "2026-06-29T07:00:01Z", "2026-06-29"),
        # east of UTC (UTC+9): 23:59:59Z is already the next local day
        ("Asia/Tokyo", "2026-06-28T23:59:59+09:00", "2026-06-28"),
        ("Asia/Tokyo", "2026-06-28T23:59:59+00:00", "2026-06-29"),
        ("Asia/Tokyo", "2026-06-28T15:00:00Z", "2026-06-28"),
        # a naive ending_at, or a bare date, is read in the company zone
        ("Asia/Tokyo", "2026-06-28T23:59:59", "2026-06-28"),
        ("Asia/Tokyo", "2026-06-29", "2026-06-28"),
        # across the US DST change of 2026-03-08: that day's offset is -04:00 at its end
        ("America/New_York", "2026-03-08T23:59:59-04:00", "2026-03-08"),
        ("America/New_York", "2026-03-08T23:59:59-05:00", "2026-03-09"),
        ("America/New_York", "2026-03-07T23:59:59-05:00", "2026-03-07"),
    ],
)
def test_days_are_the_company_time_zone_days(zone, ending_at, last_day):
    today = date(2026, 6, 30)
    with Sandbox(SandboxConfig(seed=1, campaigns=12, days=400, today=today,
                               company_time_zone=zone)) as zoned:
        cid = a_busy_campaign(zoned.data)
        got = days_of(series(zoned, cid, 3, ending_at))
    end = date.fromisoformat(last_day)
    assert got == [(end - timedelta(days=k)).isoformat() for k in (2, 1, 0)]


def test_every_day_from_the_campaigns_creation_is_returned_zero_filled_when_inactive(sb):
    data = sb.data
    stopped = next(c for c in data.campaign_ids("stopped")
                   if data.spec(c).last_send <= TODAY - timedelta(days=5))
    last = data.spec(stopped).last_send
    after = [last + timedelta(days=k) for k in range(1, 5)]
    got = series(sb, stopped, 4, f"{after[-1].isoformat()}T23:59:59Z").body["data"]
    assert [d["time"] for d in got] == [d.isoformat() for d in after]
    spec = data.spec(stopped)
    for day in got:
        assert day["conversions"] == 0 and day["unique_recipients"] == 0
        assert set(day["messages"]) == set(spec.channels)
        for entries in day["messages"].values():
            assert entries == [] or len(entries) == len(spec.variations) + bool(spec.control_ids)
            for entry in entries:
                assert all(v == 0 for k, v in entry.items() if k not in ("variation_api_id",
                                                                            "variation_name"))
    created = spec.created_at.date()
    before = series(sb, stopped, 3, f"{created.isoformat()}T23:59:59Z").body["data"]
    assert [d["time"] for d in before] == [created.isoformat()]  # nothing before creation
    never = data.campaign_ids("never_sent")[0]
    assert days_of(series(sb, never, 2, "2026-06-30T23:59:59Z")) == ["2026-06-29", "2026-06-30"]


def test_some_inactive_days_have_an_empty_channel_list():
    data = BrazeData(seed=1, campaigns=30, days=200, today=TODAY)
    empty = [
        channel
        for cid in data.campaign_ids("stopped")
        for day in data.series(cid, data.history_start, TODAY, TODAY)
        for channel, entries in day["messages"].items()
        if entries == []
    ]
    assert empty


def test_tidy_option_returns_only_days_with_activity():
    with Sandbox(SandboxConfig(seed=1, campaigns=30, days=400, today=TODAY,
                               zero_fill=False)) as tidy:
        self_check_tidy(tidy)


def self_check_tidy(sb):
    mid = next(c for c in sb.data.campaign_ids("mid_range")
               if sb.data.spec(c).first_send <= TODAY - timedelta(days=5))
    first = sb.data.spec(mid).first_send
    ending = (first + timedelta(days=4)).isoformat() + "T23:59:59Z"
    assert days_of(series(sb, mid, 10, ending)) == [
        (first + timedelta(days=k)).isoformat() for k in range(5)
    ]
    stopped = sb.data.campaign_ids("stopped")[0]
    last = sb.data.spec(stopped).last_send
    got = days_of(series(sb, stopped, 10, (last + timedelta(days=5)).isoformat()))
    assert got[-1] == last.isoformat() and len(got) <= 6
    never = sb.data.campaign_ids("never_sent")[0]
    assert days_of(series(sb, never, 100)) == []


# ---------------------------------------------------------------- data shapes
def test_every_channel_appears_with_exactly_the_documented_fields():
    data = BrazeData(seed=1, campaigns=40, days=60, today=TODAY)
    seen_channels: set[str] = set()
    optional_seen: dict[str, set[bool]] = {"revenue": set(), "conversions1": set()}
    for cid in data.campaign_ids("all"):
        spec = data.spec(cid)
        message_ids = set(data.details(cid)["messages"])
        for day in data.series(cid, data.history_start, TODAY, TODAY):
            if not spec.sends_on(date.fromisoformat(day["time"])):
                continue  # zero-filled days: their own test
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day["time"])
            assert isinstance(day["unique_recipients"], int)
            assert isinstance(day.get("revenue", 0.0), float)
            optional_seen["revenue"].add("revenue" in day)
            if len(spec.conversion_behaviors) > 1:
                optional_seen["conversions1"].add("conversions1" in day)
            for channel, entries in day["messages"].items():
                seen_channels.add(channel)
                assert channel in spec.channels
                check_entries(channel, entries, spec, message_ids)
    assert seen_channels == set(CHANNELS) | {UNDOCUMENTED_CHANNEL}
    assert optional_seen == {"revenue": {True, False}, "conversions1": {True, False}}


def check_entries(channel: str, entries: list[dict[str, Any]], spec: Any, ids: set[str]) -> None:
    documented = DOCUMENTED_FIELDS[channel] | RECORDED_EXTRAS.get(channel, set())
    variations = entries[:-1] if spec.control_ids else entries
    assert len(variations) == len(spec.variations)
    for entry in variations:
        keys = set(entry)
        assert documented <= keys, (channel, documented - keys)
        extra = keys - documented
        legacy = spec.legacy_fields or channel == "ios_push"  # revenue when tracked
        allowed = CONVERSION_EXTRAS | (LEGACY_FIELDS if legacy else set())
        assert all(k in allowed or DYNAMIC_KEY.match(k) for k in extra), (channel, extra)
        if "variation_api_id" in entry:
            assert entry["variation_api_id"] in ids
        for key, value in entry.items():
            if key == "revenue":
                assert isinstance(value, float)
            elif key not in ("variation_api_id", "variation_name"):
                assert isinstance(value, int) and value >= 0, (key, value)
    if spec.control_ids:
        control = entries[-1]
        assert "enrolled" in control and "sent" not in control and "impressions" not in control
        if channel == "trigger_in_app_message":
            assert control["variation_name"] == "Control Group"
            assert {"revenue", "unique_recipients", "conversions"} <= set(control)
        else:  # recorded: variation_api_id, enrolled, conversions and revenue, no sent
            assert control["variation_api_id"] in ids
            assert {"conversions", "unique_recipients"} <= set(control)


def test_campaign_kinds_helper_finds_every_kind_in_a_small_workspace():
    data = BrazeData(seed=5, campaigns=14, days=400, today=TODAY)
    for kind in KINDS:
        assert data.campaign_ids(kind), kind
    with pytest.raises(ValueError):
        data.campaign_ids("nonsense")
    tiam = data.campaign_ids("multivariate", channel="trigger_in_app_message")
    assert tiam and set(tiam) & set(data.campaign_ids("control_group"))
    dynamic = data.campaign_ids("dynamic_keys")[0]
    day = data.day(dynamic, data.active_range(dynamic, TODAY)[1], TODAY)
    assert any(DYNAMIC_KEY.match(k) for k in day["messages"]["ios_push"][0])


def test_conversion_behaviors_are_absent_on_some_campaigns_and_fill_all_four_slots_on_others():
    data = BrazeData(seed=5, campaigns=12, days=60, today=TODAY)
    (none,) = data.campaign_ids("no_conversion_behaviors")
    assert data.details(none)["conversion_behaviors"] == []
    assert data.spec(none).first_send is not None  # it sends: its analytics have conversions nobody defined
    full = data.campaign_ids("four_conversion_behaviors")
    assert full
    for cid in full:
        behaviors = data.details(cid)["conversion_behaviors"]
        meanings = [(b["type"], b.get("custom_event_name"), b.get("product")) for b in behaviors]
        assert len(behaviors) == 4 and len(set(meanings)) == 4  # one meaning per slot
        assert all(isinstance(b["window"], int) for b in behaviors)


# ---------------------------------------------------------------- restatement
def conversion_total(record: dict[str, Any]) -> float:
    return sum(v for k, v in record.items() if k.startswith("conversions") or k == "revenue")


def without_conversions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_conversions(v) for k, v in value.items()
                if not (k.startswith("conversions") or k == "revenue")}
    if isinstance(value, list):
        return [without_conversions(v) for v in value]
    return value


def test_conversions_grow_for_30_days_then_stay_put_while_sends_stay_put():
    data = BrazeData(seed=1, campaigns=30, days=400, today=TODAY)
    cid = a_busy_campaign(data)
    day = date(2026, 5, 1)
    views = [data.day(cid, day, day + timedelta(days=age)) for age in range(45)]
    totals = [conversion_total(v) for v in views]
    assert totals == sorted(totals)
    assert totals[0] < totals[10] < totals[RESTATEMENT_DAYS]
    assert all(v == views[RESTATEMENT_DAYS] for v in views[RESTATEMENT_DAYS:])
    assert all(without_conversions(v) == without_conversions(views[1]) for v in views[1:])
    # the day itself is partial: sends grow once it is over
    assert views[0]["unique_recipients"] < views[1]["unique_recipients"]
    assert data.day(cid, day, day - timedelta(days=1)) is None


def test_moving_today_restates_recent_days_over_http(sb):
    cid = a_busy_campaign(sb.data)
    before = series(sb, cid, 40, "2026-06-30T23:59:59Z").body["data"]
    assert call(sb.url, "/_sandbox/today", method="POST",
                payload={"today": "2026-07-10"}).body == {"today": "2026-07-10"}
    after = series(sb, cid, 40, "2026-06-30T23:59:59Z").body["data"]
    assert [d["time"] for d in before] == [d["time"] for d in after]
    old, recent, today = 0, -2, -1
    assert before[old] == after[old]  # 2026-05-22: 39 days old already, stable
    assert conversion_total(after[recent]) > conversion_total(before[recent])
    assert without_conversions(after[recent]) == without_conversions(before[recent])
    assert after[today]["unique_recipients"] > before[today]["unique_recipients"]
    assert after == sb.data.series(cid, date(2026, 5, 22), TODAY, date(2026, 7, 10))
    assert days_of(series(sb, cid, 3))[-1] == "2026-07-10"  # ongoing campaigns keep sending


# ---------------------------------------------------------------- ground truth, determinism
def test_served_data_equals_ground_truth(sb):
    listed = []
    for page in range(3):
        listed += call(sb.url, "/campaigns/list", {"page": page, "include_archived": "true"}
                       ).body["campaigns"]
    assert listed == sb.data.campaigns(include_archived=True)
    for cid in sb.data.campaign_ids("all"):
        details = call(sb.url, "/campaigns/details", {"campaign_id": cid}).body
        assert details == {"message": "success", **sb.data.details(cid, TODAY)}
        body = series(sb, cid, 100, "2026-06-30T23:59:59Z").body
        assert body == {
            "message": "success",
            "data": sb.data.series(cid, TODAY - timedelta(days=99), TODAY, TODAY),
        }
        assert body["data"] == sb.data.data_series(
            cid, 100, datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC), TODAY
        )
        times = [d["time"] for d in body["data"]]
        assert times == sorted(times)


def test_same_seed_gives_identical_bodies_and_another_seed_differs():
    config = {"campaigns": 15, "days": 120, "today": TODAY}
    with Sandbox(SandboxConfig(seed=3, **config)) as one, \
            Sandbox(SandboxConfig(seed=3, **config)) as two, \
            Sandbox(SandboxConfig(seed=4, **config)) as other:
        for params in ({"include_archived": "true"}, {"sort_direction": "desc"}):
            assert call(one.url, "/campaigns/list", params).raw == \
                call(two.url, "/campaigns/list", params).raw
        for cid in one.data.campaign_ids("all"):
            assert call(one.url, "/campaigns/details", {"campaign_id": cid}).raw == \
                call(two.url, "/campaigns/details", {"campaign_id": cid}).raw
            assert series(one, cid, 100).raw == series(two, cid, 100).raw
        assert set(one.data.campaign_ids()).isdisjoint(other.data.campaign_ids())


# ---------------------------------------------------------------- rate limits
def test_every_response_carries_rate_limit_headers(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    sb.add_fault(path="/campaigns/details", kind="503", count=1, campaign_id=cid)
    replies = [
        call(sb.url, "/campaigns/list"),
        call(sb.url, "/campaigns/list", key=None),
        call(sb.url, "/campaigns/list", key=KEY + "-no-list"),
        call(sb.url, "/campaigns/details", {"campaign_id": "nope"}),
        call(sb.url, "/campaigns/details", {"campaign_id": cid}),
        series(sb, cid, 0),
        series(sb, cid, 7),
        call(sb.url, "/nowhere"),
    ]
    assert [r.status for r in replies] == [200, 401, 403, 400, 503, 400, 200, 404]
    now = time.time()
    for reply in replies:
        # lower-case names, as real responses over HTTP/2 have them
        assert {h.lower() for h in RATE_HEADERS} <= set(reply.headers.keys())
        values = [int(reply.headers[h]) for h in RATE_HEADERS]
        assert values[0] >= values[1] >= 0
        assert now - 1 <= values[2] <= now + 3600 + 1
    assert replies[-2].headers["X-RateLimit-Limit"] == "50000"
    assert replies[0].headers["X-RateLimit-Limit"] == "250000"


def test_buckets_are_enforced_and_list_details_share_one():
    config = SandboxConfig(seed=1, campaigns=15, days=30, today=TODAY, data_series_limit=3,
                           data_series_window_s=3600, list_details_limit=2,
                           list_details_window_s=3600)
    with Sandbox(config) as sb:
        cid = sb.data.campaign_ids("ongoing")[0]
        replies = [series(sb, cid, 5) for _ in range(4)]
        assert [r.status for r in replies] == [200, 200, 200, 429]
        assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["2", "1", "0", "0"]
        assert int(replies[-1].headers["X-RateLimit-Reset"]) > time.time()
        assert "message" in replies[-1].body
        shared = [call(sb.url, "/campaigns/list"),
                  call(sb.url, "/campaigns/details", {"campaign_id": cid}),
                  call(sb.url, "/campaigns/list")]
        assert [r.status for r in shared] == [200, 200, 429]
        sb.reset_stats()  # also starts fresh rate-limit windows
        assert series(sb, cid, 5).status == 200


# ---------------------------------------------------------------- faults
@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_server_error_fault_fires_count_times_then_is_gone(sb, kind):
    cid = sb.data.campaign_ids("ongoing")[0]
    sb.add_fault(path="/campaigns/data_series", kind=kind, count=2)
    statuses = [series(sb, cid, 3).status for _ in range(3)]
    assert statuses == [int(kind), int(kind), 200]
    assert call(sb.url, "/campaigns/list").status == 200


def test_429_fault_says_remaining_0_and_reset_in_the_future(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    sb.add_fault(path="/campaigns/data_series", kind="429", count=1, reset_in=5)
    reply = series(sb, cid, 3)
    assert reply.status == 429 and reply.body == {"message": "rate limited"}
    assert reply.headers["X-RateLimit-Remaining"] == "0"
    assert time.time() + 3.5 <= int(reply.headers["X-RateLimit-Reset"]) <= time.time() + 6.5
    assert series(sb, cid, 3).status == 200


def test_fault_scoped_to_one_campaign_only_hits_that_campaign(sb):
    one, other = sb.data.campaign_ids("ongoing")[:2]
    sb.add_fault(path="/campaigns/data_series", kind="400", count=-1, campaign_id=one)
    for _ in range(3):
        reply = series(sb, one, 3)
        assert reply.status == 400 and reply.body == {"message": "Invalid Campaign ID"}
        assert series(sb, other, 3).status == 200
    assert call(sb.url, "/campaigns/list").status == 200
    assert sb.clear_faults() == 1
    assert series(sb, one, 3).status == 200


def test_404_fault_and_fault_on_any_path(sb):
    sb.add_fault(kind="404", count=1)
    reply = call(sb.url, "/campaigns/list")
    assert reply.status == 404 and reply.body == {"message": "Not Found"}
    assert call(sb.url, "/campaigns/list").status == 200


def test_slow_fault_delays_then_answers_normally(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    sb.add_fault(path="/campaigns/data_series", kind="slow", delay=0.4)
    start = time.monotonic()
    reply = series(sb, cid, 3)
    assert time.monotonic() - start >= 0.4
    assert reply.status == 200 and reply.body["message"] == "success"


def test_truncated_fault_sends_half_a_json_body_with_matching_length(sb):
    cid = a_busy_campaign(sb.data)
    full = series(sb, cid, 10, "2026-06-20").raw
    sb.add_fault(path="/campaigns/data_series", kind="truncated")
    reply = series(sb, cid, 10, "2026-06-20")
    assert reply.status == 200
    assert int(reply.headers["Content-Length"]) == len(reply.raw) == len(full) // 2
    assert full.startswith(reply.raw)
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.raw)


def test_non_json_fault_sends_html_with_200(sb):
    sb.add_fault(path="/campaigns/list", kind="non_json")
    reply = call(sb.url, "/campaigns/list")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.raw.lstrip().startswith(b"<")
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.raw)


def test_reset_fault_drops_the_connection_mid_body(sb):
    cid = a_busy_campaign(sb.data)
    sb.add_fault(path="/campaigns/data_series", kind="reset")
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=5)
    conn.request("GET", f"/campaigns/data_series?campaign_id={cid}&length=30",
                 headers={"Authorization": f"Bearer {KEY}"})
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        response.read()
    conn.close()
    assert series(sb, cid, 30).status == 200


def test_deleted_campaigns_are_listed_but_400_on_read_not_always_saying_invalid_campaign_id():
    data = BrazeData(seed=1, campaigns=15, days=30, today=TODAY)
    gone, other = data.campaign_ids("ongoing")[:2]
    config = SandboxConfig(seed=1, campaigns=15, days=30, today=TODAY,
                           deleted_campaign_ids=[gone, other])
    with Sandbox(config) as sb:
        listed = call(sb.url, "/campaigns/list", {"include_archived": "true"}).body["campaigns"]
        assert {gone, other} <= {c["id"] for c in listed}
        for cid, message in ((gone, "Invalid Campaign ID"), (other, "Bad Request")):
            for path, params in (("/campaigns/details", {"campaign_id": cid}),
                                 ("/campaigns/data_series", {"campaign_id": cid, "length": 5})):
                reply = call(sb.url, path, params)
                assert (reply.status, reply.body["message"]) == (400, message)


def list_ids(sb: Sandbox, page: int, **params: Any) -> list[str]:
    body = call(sb.url, "/campaigns/list", {"page": page, **params}).body
    return [c["id"] for c in body["campaigns"]]


def test_deleting_a_campaign_between_two_list_pages_shifts_the_next_page_left():
    with Sandbox(SandboxConfig(seed=7, campaigns=250, days=60, today=TODAY)) as sb:
        before = [list_ids(sb, page, include_archived="true") for page in (0, 1)]
        victim = before[0][10]
        assert call(sb.url, "/_sandbox/campaigns", method="POST",
                    payload={"action": "delete", "campaign_id": victim,
                             "after_list_page": 0}).status == 200
        first = list_ids(sb, 0, include_archived="true")
        second = list_ids(sb, 1, include_archived="true")
        assert first == before[0]
        assert second[0] == before[1][1]  # the first campaign of page 1 moved to page 0
        assert series(sb, victim, 3).status == 400


def test_archiving_shifts_a_list_without_archived_and_creating_appends_to_the_oldest_first():
    with Sandbox(SandboxConfig(seed=7, campaigns=250, days=60, today=TODAY)) as sb:
        before = list_ids(sb, 1)
        sb.change_campaigns("archive", list_ids(sb, 0)[0])
        assert list_ids(sb, 1)[0] == before[1]
        everything = list_ids(sb, 0, include_archived="true") + list_ids(
            sb, 1, include_archived="true") + list_ids(sb, 2, include_archived="true")
        new = sb.change_campaigns("create")
        assert list_ids(sb, 2, include_archived="true")[-1] == new
        assert list_ids(sb, 2, include_archived="true")[:-1] == everything[200:]
        assert list_ids(sb, 0, sort_direction="desc", include_archived="true")[0] == new


def test_gateway_errors_are_html_and_a_proxys_429_has_no_rate_limit_headers(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    for kind in ("502", "503"):
        sb.add_fault(path="/campaigns/data_series", kind=kind)
        reply = series(sb, cid, 3)
        assert reply.status == int(kind)
        assert reply.headers["Content-Type"].startswith("text/html")
        assert reply.raw.lstrip().startswith(b"<")
    sb.add_fault(path="/campaigns/data_series", kind="429_bare")
    reply = series(sb, cid, 3)
    assert reply.status == 429
    assert not {h.lower() for h in reply.headers.keys()} & {h.lower() for h in RATE_HEADERS}


def test_tidy_options_give_title_case_headers_and_json_gateway_errors():
    config = SandboxConfig(seed=1, campaigns=12, days=30, today=TODAY, header_case="title",
                           html_gateway_errors=False)
    with Sandbox(config) as sb:
        sb.add_fault(path="/campaigns/list", kind="502")
        reply = call(sb.url, "/campaigns/list")
        assert reply.body == {"message": "Bad Gateway"}
        assert set(RATE_HEADERS) <= set(reply.headers.keys())


def test_fault_kinds_are_validated(sb):
    assert {"429", "429_bare", "500", "502", "503", "504", "slow", "truncated", "non_json",
            "reset", "400", "404"} == FAULT_KINDS
    with pytest.raises(ValueError):
        sb.add_fault(kind="teapot")
    bad = call(sb.url, "/_sandbox/faults", method="POST", payload={"kind": "teapot"})
    assert bad.status == 400


# ---------------------------------------------------------------- stats, control, transport
def test_stats_count_requests_statuses_and_peak_concurrency():
    config = SandboxConfig(seed=1, campaigns=15, days=30, today=TODAY, latency_ms=300)
    with Sandbox(config) as sb:
        cid = sb.data.campaign_ids("ongoing")[0]
        threads = [threading.Thread(target=series, args=(sb, cid, 3)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        call(sb.url, "/campaigns/list", key=None)
        call(sb.url, "/_sandbox/stats")  # control requests are not counted
        stats = sb.stats()
        assert stats["requests"] == {"/campaigns/list": 1, "/campaigns/details": 0,
                                     "/campaigns/data_series": 6, "/canvas/list": 0,
                                     "/canvas/details": 0, "/canvas/data_series": 0}
        assert stats["responses_by_status"] == {"200": 6, "401": 1}
        assert 4 <= stats["max_in_flight"] <= 6
        log = sb.request_log()
        assert len(log) == 7 and set(log[0]) == {"path", "query", "status"}
        assert log[0]["query"] == {"campaign_id": cid, "length": "3"}
        assert log[-1] == {"path": "/campaigns/list", "query": {}, "status": 401}
        sb.reset_stats()
        assert sb.stats()["requests"]["/campaigns/data_series"] == 0
        assert sb.request_log() == []


def test_control_api_drives_the_sandbox_over_http(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    added = call(sb.url, "/_sandbox/faults", method="POST",
                 payload={"path": "/campaigns/data_series", "kind": "502", "count": 1,
                          "campaign_id": cid})
    assert added.status == 200 and added.body["fault"]["kind"] == "502"
    assert series(sb, cid, 3).status == 502
    call(sb.url, "/_sandbox/faults", method="POST", payload={"kind": "500", "count": -1})
    assert call(sb.url, "/_sandbox/faults", method="DELETE").body == {"cleared": 1}
    assert series(sb, cid, 3).status == 200
    stats = call(sb.url, "/_sandbox/stats").body
    assert stats["requests"]["/campaigns/data_series"] == 2
    assert stats["responses_by_status"] == {"200": 1, "502": 1}
    requests = call(sb.url, "/_sandbox/requests").body
    assert [r["status"] for r in requests] == [502, 200]
    assert call(sb.url, "/_sandbox/reset", method="POST").status == 200
    assert call(sb.url, "/_sandbox/requests").body == []
    assert call(sb.url, "/_sandbox/today", method="POST", payload={"today": "bad"}).status == 400
    assert call(sb.url, "/_sandbox/info").body["seed"] == 1
    assert sb.stats()["requests"]["/campaigns/data_series"] == 0


def test_keep_alive_serves_many_requests_on_one_connection(sb):
    cid = sb.data.campaign_ids("ongoing")[0]
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=5)
    sockets = set()
    for _ in range(5):
        conn.request("GET", f"/campaigns/data_series?campaign_id={cid}&length=100",
                     headers={"Authorization": f"Bearer {KEY}"})
        response = conn.getresponse()
        assert response.version == 11 and response.status == 200
        assert int(response.getheader("Content-Length")) == len(response.read())
        sockets.add(id(conn.sock))
    conn.close()
    assert len(sockets) == 1


def test_iso_parsing_accepts_braze_style_offsets():
    expect = datetime(2026, 6, 29, 4, 59, 59, tzinfo=UTC)
    assert parse_iso_datetime("2026-06-28T23:59:59-05:00") == expect
    assert parse_iso_datetime("2026-06-28T23:59:59-5:00") == expect
    assert parse_iso_datetime("2026-06-29T04:59:59Z") == expect
    assert parse_iso_datetime("2026-06-29T04:59:59.000+00:00") == expect
    assert parse_iso_datetime("2026-06-29T04:59:59 00:00") == expect  # unencoded "+"
    assert parse_iso_datetime("2026-06-29") == datetime(2026, 6, 29, tzinfo=UTC)
    for bad in ("2026-06-29T25:00:00Z", "29.06.2026", "2026-06-29T04:59:59+25:00", ""):
        with pytest.raises(ValueError):
            parse_iso_datetime(bad)


# ---------------------------------------------------------------- CLI
def test_cli_prints_url_first_serves_and_stops_on_sigterm(tmp_path):
    port_file = tmp_path / "url.txt"
    command = [sys.executable, "-m", "braze_sandbox", "--port", "0", "--seed", "1",
               "--campaigns", "20", "--days", "400", "--today", "2026-06-30",
               "--latency-ms", "0", "--api-key", KEY, "--port-file", str(port_file)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, "no first line from the CLI"
        first = json.loads(proc.stdout.readline())
        assert first["pid"] == proc.pid
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first["url"])
        assert port_file.read_text().strip() == first["url"]
        reply = call(first["url"], "/campaigns/list", {"include_archived": "true"})
        truth = BrazeData(seed=1, campaigns=20, days=400, today=TODAY)
        assert reply.body["campaigns"] == truth.campaigns(include_archived=True)
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()

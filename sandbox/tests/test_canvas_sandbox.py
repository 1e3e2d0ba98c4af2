"""Tests of the sandbox's canvas endpoints: they must behave as Braze documents /canvas/*.

Every request goes to 127.0.0.1 through an opener with proxies disabled.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from braze_sandbox import (
    CANVAS_KINDS,
    CANVAS_MAX_LENGTH,
    RESTATEMENT_DAYS,
    SANDBOX_API_KEY,
    Sandbox,
    SandboxConfig,
    auth,
)

TODAY = date(2026, 6, 30)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(sb: Sandbox, path: str, key: str = SANDBOX_API_KEY, **params: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{sb.url}{path}?{urlencode(params)}", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def series(sb: Sandbox, canvas_id: str, ending_at: str, length: int = 14, **flags: str) -> tuple[int, Any]:
    return get(sb, "/canvas/data_series", canvas_id=canvas_id, ending_at=ending_at, length=length, **flags)


ALL_BREAKDOWNS = {
    "include_variant_breakdown": "true",
    "include_step_breakdown": "true",
    "include_deleted_step_data": "true",
}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=1, campaigns=2, canvases=12, days=200, today=TODAY)) as sandbox:
        yield sandbox


def the(sb: Sandbox, kind: str) -> str:
    return sb.canvas.canvas_ids(kind)[0]


def test_given_five_or_more_canvases_then_every_canvas_kind_exists(sb: Sandbox) -> None:
    assert all(sb.canvas.canvas_ids(kind) for kind in CANVAS_KINDS)


def test_given_the_list_then_archived_canvases_are_listed_only_when_asked_and_entries_are_as_documented(
    sb: Sandbox,
) -> None:
    _, without = get(sb, "/canvas/list")
    _, with_archived = get(sb, "/canvas/list", include_archived="true")
    archived = set(sb.canvas.canvas_ids("archived"))
    assert {entry["id"] for entry in with_archived["canvases"]} == set(sb.canvas.canvas_ids())
    assert not archived & {entry["id"] for entry in without["canvases"]}
    assert all(set(entry) == {"id", "name", "last_edited", "tags"} for entry in with_archived["canvases"])
    _, later_page = get(sb, "/canvas/list", page=1, include_archived="true")
    assert later_page["canvases"] == []


def test_given_any_canvas_then_it_was_created_and_last_edited_no_later_than_today(sb: Sandbox) -> None:
    for spec in sb.canvas.specs():
        assert spec.created_at <= spec.last_edited
        assert spec.last_edited.date() <= TODAY


def test_given_details_then_variants_and_steps_are_listed_without_deleted_steps(sb: Sandbox) -> None:
    canvas_id = the(sb, "deleted_steps")
    status, body = get(sb, "/canvas/details", canvas_id=canvas_id)
    assert status == 200 and body["message"] == "success"
    spec = sb.canvas.spec(canvas_id)
    assert [step["id"] for step in body["steps"]] == [step.id for step in spec.steps if not step.deleted]
    assert {v["id"] for v in body["variants"]} == {v.id for v in spec.variants}
    assert get(sb, "/canvas/details", canvas_id="no-such-canvas")[0] == 400


@pytest.mark.parametrize("length", [0, CANVAS_MAX_LENGTH + 1, 100])
def test_given_a_length_outside_1_to_14_then_400(sb: Sandbox, length: int) -> None:
    status, body = series(sb, the(sb, "ongoing"), "2026-06-30T23:59:59+00:00", length)
    assert status == 400 and "length" in body["message"].lower()


def test_given_no_ending_at_then_400(sb: Sandbox) -> None:
    status, _ = get(sb, "/canvas/data_series", canvas_id=the(sb, "ongoing"), length=3)
    assert status == 400


@pytest.mark.parametrize(
    ("ending_at", "first", "last"),
    [
        ("2026-06-20T23:59:59+00:00", "2026-06-07", "2026-06-20"),  # the last second includes its day
        ("2026-06-20", "2026-06-06", "2026-06-19"),  # a bare date is midnight: its day is excluded
        ("2026-06-20T00:00:00Z", "2026-06-06", "2026-06-19"),
        ("2026-06-20T20:59:59-03:00", "2026-06-07", "2026-06-20"),  # 23:59:59 UTC
    ],
)
def test_given_an_ending_at_then_the_series_is_the_length_days_before_that_instant_zero_filled(
    sb: Sandbox, ending_at: str, first: str, last: str
) -> None:
    status, body = series(sb, the(sb, "from_history_start"), ending_at)
    assert status == 200
    times = [day["time"] for day in body["data"]["stats"]]
    assert times[0] == first and times[-1] == last and len(times) == CANVAS_MAX_LENGTH


def test_given_a_stopped_canvas_then_days_after_its_last_entry_come_back_with_zeros(sb: Sandbox) -> None:
    canvas_id = the(sb, "stopped")
    last_entry = sb.canvas.spec(canvas_id).last_entry
    assert last_entry is not None and last_entry < TODAY - timedelta(days=5)
    end = (last_entry + timedelta(days=5)).isoformat()
    _, body = series(sb, canvas_id, f"{end}T23:59:59Z", 5, **ALL_BREAKDOWNS)
    stats = body["data"]["stats"]
    assert len(stats) == 5
    assert all(day["total_stats"]["entries"] == 0 for day in stats)
    assert all(v["entries"] == 0 for day in stats for v in day["variant_stats"].values())


def test_given_a_canvas_created_mid_range_then_days_before_its_creation_are_absent(sb: Sandbox) -> None:
    canvas_id = the(sb, "mid_range")
    created = sb.canvas.spec(canvas_id).created_at.date()
    end = created + timedelta(days=3)
    _, body = series(sb, canvas_id, f"{end}T23:59:59Z", 10)
    assert [day["time"] for day in body["data"]["stats"]] == [
        (created + timedelta(days=k)).isoformat() for k in range(4)
    ]


def test_given_no_breakdown_flags_then_only_total_stats_come_back(sb: Sandbox) -> None:
    _, body = series(sb, the(sb, "multivariant"), "2026-06-30T23:59:59Z", 3)
    assert all(set(day) == {"time", "total_stats"} for day in body["data"]["stats"])
    assert body["data"]["name"] == sb.canvas.spec(the(sb, "multivariant")).name


def test_given_breakdowns_then_deleted_steps_come_back_only_with_include_deleted_step_data(sb: Sandbox) -> None:
    canvas_id = the(sb, "deleted_steps")
    deleted = {step.id for step in sb.canvas.spec(canvas_id).steps if step.deleted}
    flags = {**ALL_BREAKDOWNS, "include_deleted_step_data": "false"}
    _, without = series(sb, canvas_id, "2026-06-30T23:59:59Z", 2, **flags)
    _, with_deleted = series(sb, canvas_id, "2026-06-30T23:59:59Z", 2, **ALL_BREAKDOWNS)
    assert not deleted & set(without["data"]["stats"][0]["step_stats"])
    assert deleted <= set(with_deleted["data"]["stats"][0]["step_stats"])


def test_given_breakdowns_then_total_stats_are_the_sums_of_the_variants(sb: Sandbox) -> None:
    _, body = series(sb, the(sb, "multivariant"), "2026-06-30T23:59:59Z", 14, **ALL_BREAKDOWNS)
    for day in body["data"]["stats"]:
        variants = day["variant_stats"].values()
        assert len(variants) > 1
        for name in ("entries", "conversions", "conversions_by_entry_time"):
            assert day["total_stats"][name] == sum(v[name] for v in variants)


def test_given_today_moves_on_then_recent_days_are_restated_and_old_ones_are_not(sb: Sandbox) -> None:
    canvas_id = max(sb.canvas.canvas_ids("ongoing"), key=lambda c: sb.canvas.spec(c).scale)
    first, last = TODAY - timedelta(days=RESTATEMENT_DAYS + 13), TODAY
    before = {d["time"]: d for d in sb.canvas.stats(canvas_id, first, last, TODAY)}
    after = {d["time"]: d for d in sb.canvas.stats(canvas_id, first, last, TODAY + timedelta(days=10))}
    old = (TODAY - timedelta(days=RESTATEMENT_DAYS + 1)).isoformat()
    assert after[old] == before[old]
    recent = [day for day in before if day > (TODAY - timedelta(days=10)).isoformat()]
    assert any(after[day]["total_stats"]["conversions"] > before[day]["total_stats"]["conversions"] for day in recent)


def test_given_the_server_then_it_serves_exactly_the_ground_truth(sb: Sandbox) -> None:
    canvas_id = the(sb, "multichannel_step")
    _, body = series(sb, canvas_id, "2026-06-30T23:59:59Z", 14, **ALL_BREAKDOWNS)
    assert body["data"] == sb.canvas.data_series(canvas_id, TODAY - timedelta(days=13), TODAY, TODAY)


@pytest.mark.parametrize(
    ("suffix", "path", "permission"),
    [
        ("-no-canvas-list", "/canvas/list", "canvas.list"),
        ("-no-canvas-details", "/canvas/details", "canvas.details"),
        ("-no-canvas-data-series", "/canvas/data_series", "canvas.data_series"),
        ("-campaigns-only", "/canvas/list", "canvas.list"),
        ("-canvas-only", "/campaigns/list", "campaigns.list"),
    ],
)
def test_given_a_key_lacking_a_permission_then_that_endpoint_answers_403_access_denied(
    sb: Sandbox, suffix: str, path: str, permission: str
) -> None:
    # Braze's 403 for a missing permission says "Access Denied" and does not name it.
    params = {"canvas_id": the(sb, "ongoing"), "ending_at": "2026-06-30T23:59:59Z", "length": 1}
    status, body = get(sb, path, key=SANDBOX_API_KEY + suffix, **params)
    assert (status, body) == (403, {"message": "Access Denied"})
    assert permission not in auth.key_permissions(SANDBOX_API_KEY)[SANDBOX_API_KEY + suffix]


def test_given_canvas_requests_then_they_are_counted_and_logged_like_campaign_ones(sb: Sandbox) -> None:
    sb.reset_stats()
    get(sb, "/canvas/list")
    series(sb, the(sb, "ongoing"), "2026-06-30T23:59:59Z", 2)
    requests = sb.stats()["requests"]
    assert requests["/canvas/list"] == 1 and requests["/canvas/data_series"] == 1
    assert [entry["path"] for entry in sb.request_log()] == ["/canvas/list", "/canvas/data_series"]

"""The HTTP answers of the three canvas endpoints, from ``CanvasData``.

``respond`` is the server's one hook: it validates the query as Braze documents it and returns
the status and JSON body; auth, rate limits, faults and the request log stay the server's.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from .canvas import CANVAS_MAX_LENGTH, CanvasData, canvas_window
from .timeutil import parse_iso_datetime

PAGE_SIZE = 100
PATHS = ("/canvas/list", "/canvas/details", "/canvas/data_series")
_INT_RE = re.compile(r"^[0-9]+$")
_INVALID_CANVAS = {"message": "Invalid Canvas ID"}


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _bad(message: str, error: str) -> tuple[int, bytes]:
    return 400, _json({"message": message, "errors": [error]})


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "").lower() == "true"


def respond(
    data: CanvasData, path: str, query: dict[str, str], today: date, deleted: frozenset[str]
) -> tuple[int, bytes]:
    """Status and body of an authorised, admitted request to one of ``PATHS``."""
    if path == "/canvas/list":
        page = query.get("page", "0") or "0"
        if not _INT_RE.match(page):
            return _bad("Invalid page", "page must be an integer >= 0")
        edited_after = None
        if "last_edit.time[gt]" in query:
            try:
                edited_after = parse_iso_datetime(query["last_edit.time[gt]"])
            except ValueError:
                return _bad("Invalid last_edit.time[gt]", "expected yyyy-MM-DDTHH:mm:ss")
        entries = data.canvases(
            include_archived=_flag(query, "include_archived"),
            sort_direction="desc" if query.get("sort_direction", "").lower() == "desc" else "asc",
            edited_after=edited_after,
        )
        start = int(page) * PAGE_SIZE
        return 200, _json({"message": "success", "canvases": entries[start : start + PAGE_SIZE]})
    canvas_id = query.get("canvas_id", "")
    if not canvas_id or canvas_id in deleted or not data.has_canvas(canvas_id):
        return 400, _json(_INVALID_CANVAS)
    if path == "/canvas/details":
        return 200, _json({"message": "success", **data.details(canvas_id, today)})
    return _data_series(data, canvas_id, query, today)


def _data_series(data: CanvasData, canvas_id: str, query: dict[str, str], today: date) -> tuple[int, bytes]:
    try:
        ending_at = parse_iso_datetime(query["ending_at"])
    except KeyError:
        return _bad("Missing ending_at", "ending_at is required")
    except ValueError:
        return _bad("Invalid ending_at", "expected an ISO 8601 datetime")
    length = starting_at = None
    if query.get("starting_at"):
        try:
            starting_at = parse_iso_datetime(query["starting_at"])
        except ValueError:
            return _bad("Invalid starting_at", "expected an ISO 8601 datetime")
    else:
        text = query.get("length", "")
        if not _INT_RE.match(text) or not 1 <= int(text) <= CANVAS_MAX_LENGTH:
            return _bad("Invalid length", f"length must be an integer between 1 and {CANVAS_MAX_LENGTH}")
        length = int(text)
    first, last = canvas_window(length, starting_at, ending_at, data.zone)
    if starting_at is not None and not 1 <= (last - first).days + 1 <= CANVAS_MAX_LENGTH:
        return _bad("Invalid starting_at", f"the series may cover 1 to {CANVAS_MAX_LENGTH} days")
    body = data.data_series(
        canvas_id,
        first,
        last,
        today,
        variants=_flag(query, "include_variant_breakdown"),
        steps=_flag(query, "include_step_breakdown"),
        deleted=_flag(query, "include_deleted_step_data"),
    )
    return 200, _json({"data": body, "message": "success"})

"""One PyAirbyte sync of the connector into a DuckDB file. Runs inside ``.venv-pyairbyte``.

Not importable from the project venv (it imports ``airbyte``): the project drives it with
``demo.sync.run_sync``, as

    .venv-pyairbyte/bin/python -I demo/pyairbyte_sync.py REQUEST.json RESULT.json

REQUEST: ``{"source_name", "executable", "config", "cache_path", "cache_dir", "streams"}``.
The connector runs as PyAirbyte's ``local_executable`` (the project's console script), with
the state PyAirbyte keeps per source name in the cache, so a second run is incremental.

RESULT: ``{"ok": true, "pyairbyte_version", "state_before", "state_after", "records_read",
"tables", "channels", "totals", "canvas_steps"}`` or ``{"ok": false, "error", "error_type",
"connector_errors"}``. ``state_*`` map an incremental stream to its per-campaign (per-canvas)
cursors; ``tables`` map a stream to its table, row count, declared primary key and how many
key values appear more than once.

Progress: ``@@progress {"records": {stream: n}}`` lines on stderr, at most every 2 s.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Offline: no registry download, no telemetry, plain (non-live) progress output.
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("NO_LIVE_PROGRESS", "1")

import airbyte as ab  # noqa: E402
from airbyte.caches import DuckDBCache  # noqa: E402
from airbyte.progress import ProgressTracker  # noqa: E402
from sqlalchemy import text  # noqa: E402

PROGRESS_PREFIX = "@@progress "
PROGRESS_EVERY_S = 2.0

# Per channel, from the campaigns_analytics_variations table. Braze names the same idea
# differently per channel (email `opens`, push `total_opens`, WhatsApp `read`, ...).
CHANNEL_SUMMARY_SQL = """
SELECT channel,
       COUNT(DISTINCT campaign_id) AS campaigns,
       COUNT(*) AS rows,
       SUM(sent) AS sent,
       SUM(COALESCE(impressions, total_impressions)) AS impressions,
       SUM(COALESCE(opens, total_opens, "read")) AS opens,
       SUM(COALESCE(clicks, total_clicks, body_clicks)) AS clicks,
       SUM(conversions) AS conversions,
       SUM(revenue) AS revenue
FROM {table}
GROUP BY channel
ORDER BY sent DESC NULLS LAST, impressions DESC NULLS LAST, channel
"""

# Per step name and channel, from the canvases_analytics_steps table (the same column choices).
CANVAS_STEPS_SQL = """
SELECT step_name,
       channel,
       COUNT(DISTINCT canvas_id) AS canvases,
       COUNT(*) AS rows,
       SUM(sent) AS sent,
       SUM(delivered) AS delivered,
       SUM(COALESCE(opens, total_opens, "read")) AS opens,
       SUM(COALESCE(clicks, total_clicks, body_clicks)) AS clicks
FROM {table}
GROUP BY step_name, channel
ORDER BY step_name, sent DESC NULLS LAST, channel
"""


def main(request_path: str, result_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    try:
        result = sync(request)
    except Exception as error:  # noqa: BLE001 - everything is reported to the caller as JSON
        traceback.print_exc()
        result = {
            "ok": False,
            "error": str(error) or repr(error),
            "error_type": type(error).__name__,
            "connector_errors": connector_errors(getattr(error, "log_file", None)),
        }
    Path(result_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0 if result["ok"] else 1


def sync(request: dict[str, Any]) -> dict[str, Any]:
    _report_progress()
    name = request["source_name"]
    cache = DuckDBCache(db_path=request["cache_path"], cache_dir=Path(request["cache_dir"]))
    source = ab.get_source(
        name,
        config=request["config"],
        local_executable=request["executable"],
        streams=request.get("streams", "*"),
    )
    state_before = cursors_by_stream(cache, name)
    result = source.read(cache)
    tracker = result._progress_tracker  # noqa: SLF001 - the per-stream counts are only kept there
    declared = {stream.name: stream for stream in source.discovered_catalog.streams}
    tables = {stream: describe_table(cache, stream, declared[stream]) for stream in result}
    variations, analytics, steps = "campaigns_analytics_variations", "campaigns_analytics", "canvases_analytics_steps"
    return {
        "ok": True,
        "pyairbyte_version": version("airbyte"),
        "state_before": state_before,
        "state_after": cursors_by_stream(cache, name),
        "records_read": {stream: tracker.stream_read_counts.get(stream, 0) for stream in result},
        "tables": tables,
        "channels": summary(cache, CHANNEL_SUMMARY_SQL, tables[variations]["table"]) if variations in tables else [],
        "canvas_steps": summary(cache, CANVAS_STEPS_SQL, tables[steps]["table"]) if steps in tables else [],
        "totals": totals(cache, tables[analytics]["table"]) if analytics in tables else {},
    }


def connector_errors(log_file: Path | str | None) -> list[str]:
    """The connector's own error messages (TRACE ERROR), from the log PyAirbyte keeps of it.

    PyAirbyte's exception only says "Connector failed"; the reason (a 401, a 403 naming the
    missing permission, ...) is in the connector's trace messages.
    """
    if not log_file or not Path(log_file).exists():
        return []
    messages: list[str] = []
    for line in Path(log_file).read_text(encoding="utf-8", errors="replace").splitlines():
        start = line.find('{"type":"TRACE"')
        if start < 0:
            continue
        try:
            trace = json.loads(line[start:])["trace"]
        except (ValueError, KeyError):
            continue
        message = ((trace.get("error") or {}).get("message") or "").strip()
        if message and message not in messages:
            messages.append(message)
    # The CDK closes with a summary repeating every stream's exception: the others say it better.
    specific = [m for m in messages if not m.startswith("During the sync")]
    return (specific or messages)[:3]


def cursors_by_stream(cache: DuckDBCache, source_name: str) -> dict[str, dict[str, Any]]:
    """The state PyAirbyte keeps for ``source_name``: per stream, campaign (canvas) id -> cursor day."""
    provider = cache.get_state_provider(source_name=source_name)
    summary: dict[str, dict[str, Any]] = {}
    for message in provider.state_message_artifacts or []:
        stream_state = json.loads(message.model_dump_json()).get("stream") or {}
        name = (stream_state.get("stream_descriptor") or {}).get("name")
        blob = stream_state.get("stream_state") or {}
        if not name or "states" not in blob:
            continue  # full-refresh streams keep only a marker
        summary[name] = {
            "cursors": {
                _owner(entry["partition"]): entry["cursor"].get("time")
                for entry in blob["states"]
                if entry.get("cursor")
            },
            "global_cursor": (blob.get("state") or {}).get("time"),
            "lookback_window": blob.get("lookback_window"),
        }
    return summary


def _owner(partition: dict[str, Any]) -> str:
    """The campaign_id or canvas_id a per-partition state entry is for."""
    return str(partition.get("campaign_id") or partition.get("canvas_id"))


def describe_table(cache: DuckDBCache, stream: str, declared: Any) -> dict[str, Any]:
    """Table name, rows, the primary key the connector declares, and how many key values repeat.

    ``declared`` is the stream in the connector's discovered catalog. (PyAirbyte asks for
    incremental on every stream; the connector's own modes say what really happens.)
    """
    table = cache.processor.get_sql_table_name(stream)
    primary_key = [path[0] for path in declared.source_defined_primary_key or []]
    qualified = f'{cache.schema_name}."{table}"'
    rows = _scalar(cache, f"SELECT COUNT(*) FROM {qualified}")
    duplicates = nulls = 0
    if primary_key:
        columns = ", ".join(f'"{column}"' for column in primary_key)
        duplicates = _scalar(
            cache, f"SELECT COUNT(*) FROM (SELECT 1 FROM {qualified} GROUP BY {columns} HAVING COUNT(*) > 1)"
        )
        any_null = " OR ".join(f'"{column}" IS NULL' for column in primary_key)
        nulls = _scalar(cache, f"SELECT COUNT(*) FROM {qualified} WHERE {any_null}")
    return {
        "table": qualified,
        "rows": rows,
        "primary_key": primary_key,
        "sync_mode": "incremental" if "incremental" in _modes(declared) else "full refresh",
        "cursor_field": declared.default_cursor_field or [],
        "duplicate_keys": duplicates,
        "null_keys": nulls,
    }


def summary(cache: DuckDBCache, sql: str, table: str) -> list[dict[str, Any]]:
    """The rows of a GROUP BY query (``sql`` with ``{table}``), amounts as floats."""
    with cache.processor.get_sql_connection() as connection:
        rows = connection.execute(text(sql.format(table=table)))
        return [
            {key: float(value) if isinstance(value, Decimal) else value for key, value in row._mapping.items()}
            for row in rows
        ]


def totals(cache: DuckDBCache, table: str) -> dict[str, Any]:
    """Campaign-level totals from campaigns_analytics (conversions live there, per day)."""
    sql = f"SELECT SUM(conversions) AS conversions, SUM(revenue) AS revenue, COUNT(*) AS days FROM {table}"
    with cache.processor.get_sql_connection() as connection:
        row = connection.execute(text(sql)).mappings().one()
    return {key: float(value) if isinstance(value, Decimal) else value for key, value in row.items()}


def _modes(stream: Any) -> list[str]:
    return [getattr(mode, "value", str(mode)) for mode in stream.supported_sync_modes or []]


def _scalar(cache: DuckDBCache, sql: str) -> int:
    with cache.processor.get_sql_connection() as connection:
        return int(connection.execute(text(sql)).scalar() or 0)


def _report_progress() -> None:
    """Make PyAirbyte's tracker print a machine-readable progress line every few seconds.

    PyAirbyte's own live view needs a terminal and its output is piped here; its tracker
    already counts records per stream, so this wraps the method it calls as records arrive.
    """
    update = getattr(ProgressTracker, "_update_display", None)
    if update is None:
        return
    last = [0.0]

    def update_and_report(self: ProgressTracker, *args: Any, **kwargs: Any) -> None:
        update(self, *args, **kwargs)
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            counts = dict(getattr(self, "stream_read_counts", {}))
            print(PROGRESS_PREFIX + json.dumps({"records": counts}), file=sys.stderr, flush=True)

    ProgressTracker._update_display = update_and_report  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

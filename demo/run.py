"""`make demo`: check, a full sync and an incremental sync through PyAirbyte into DuckDB.

Runs in the project venv (``python -m demo``):

1. creates ``.venv-pyairbyte`` with PyAirbyte once (reused afterwards);
2. with ``BRAZE_URL`` and ``BRAZE_API_KEY`` set, syncs that Braze workspace (the key is never
   shown; ``BRAZE_START_DATE`` optionally bounds the history; ``BRAZE_REPLICATE`` is the
   connector's ``replicate``, default ``campaigns`` as the connector's, since a key with only the
   campaign permissions fails ``check`` with ``both``); otherwise starts the bundled sandbox on
   a free port with campaigns and canvases (``replicate: both``), its clock pinned to a fixed
   day so every run prints the same;
3. ``source-braze-campaigns check`` with the project's console script;
4. a full sync of every stream with PyAirbyte (``local_executable``, offline) into a
   fresh ``.demo/braze.duckdb``; then the sandbox's clock (and the config's end_date) moves
   one day forward and a second sync resumes from the state PyAirbyte kept in that cache;
5. rows per stream (against the sandbox's ground truth), the state resumed from, what the
   sandbox saw (one data_series request per recent campaign, ceil(days / 14) per canvas), and
   totals read back from DuckDB: per channel for campaigns, per step and channel for canvases
   (checked against the sandbox's).

Exits 1 with the reason when anything fails, 130 when interrupted; the sandbox is always
stopped.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from braze_sandbox import SANDBOX_API_KEY, BrazeData, CanvasData
from braze_sandbox.process import SandboxError, SandboxProcess
from demo import report
from demo.checks import (
    CAMPAIGNS,
    CANVASES,
    Family,
    canvas_step_totals,
    expected_canvas_rows,
    expected_rows,
    incremental_report,
    repeated_windows,
)
from demo.sync import (
    Redactor,
    SyncFailed,
    check,
    connector_executable,
    run_sync,
)
from demo.venv import ROOT, VENV_DIR, VenvError, ensure_venv

DEMO_DIR = ROOT / ".demo"
SANDBOX_TODAY = date(2026, 6, 30)
SANDBOX_KEY = SANDBOX_API_KEY
LOOKBACK_DAYS = 30
STEPS = 7
REPLICATE_CHOICES = ("campaigns", "canvases", "both")
# A real workspace: the connector's default, which a key with the campaign permissions passes.
DEFAULT_REPLICATE = "campaigns"


class DemoFailed(RuntimeError):
    """A result the demo checks for is wrong."""


@dataclass
class Demo:
    """What the steps share."""

    args: argparse.Namespace
    python: Path = Path()
    executable: Path = Path()
    config: dict[str, Any] = field(default_factory=dict)
    cache: Path = Path()
    sandbox: SandboxProcess | None = None
    data: BrazeData | None = None
    canvas: CanvasData | None = None
    redact: Redactor = field(default_factory=lambda: Redactor([]))


def say(line: str = "") -> None:
    print(line, flush=True)


def step(number: int, title: str) -> None:
    say()
    say(f"[{number}/{STEPS}] {title}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=40, help="sandbox campaigns (default 40)")
    parser.add_argument("--days", type=int, default=400, help="sandbox days of history (default 400)")
    parser.add_argument("--canvases", type=int, default=8, help="sandbox canvases (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="sandbox seed (default 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    demo = Demo(parse_args(argv))
    started = time.monotonic()
    _stop_on_termination()
    say("Braze campaigns and Canvas connector demo: check, a full sync and an incremental sync through PyAirbyte")
    try:
        run(demo)
    except (SyncFailed, SandboxError, VenvError, DemoFailed) as error:
        say()
        say(f"demo FAILED: {demo.redact(str(error))}")
        return 1
    except KeyboardInterrupt:
        say()
        say("demo interrupted")
        return 130
    except Exception:  # noqa: BLE001 - an unexpected error still gets a clear, redacted report
        say()
        say("demo FAILED with an unexpected error:")
        say(demo.redact(traceback.format_exc()))
        return 1
    finally:
        if demo.sandbox is not None:
            demo.sandbox.stop()
            say("sandbox stopped")
    say()
    say(f"Done in {time.monotonic() - started:.0f} s. The synced data stays in {_shown(demo.cache)}; try:")
    query = "SELECT channel, SUM(sent) FROM campaigns_analytics_variations GROUP BY 1"
    say(
        f"  {_shown(demo.python)} -c \"import duckdb; db = duckdb.connect('{_shown(demo.cache)}', read_only=True);"
        f" db.sql('{query}').show()\""
    )
    return 0


def run(demo: Demo) -> None:
    step(1, f"PyAirbyte in its own venv ({_shown(VENV_DIR)})")
    demo.python = ensure_venv(say=lambda line: say("    " + line))
    say(f"    ready: {_shown(demo.python)}")
    demo.executable = connector_executable()

    step(2, "Braze")
    connect(demo)

    step(3, f"check ({_shown(demo.executable)} check)")
    verdict = check(demo.executable, demo.config)
    if not verdict.succeeded:
        hint = ""
        if demo.sandbox is None and demo.config.get("replicate") != "campaigns" and "canvas" in verdict.message:
            hint = "\n    (a key with only the campaign permissions: run again with BRAZE_REPLICATE=campaigns)"
        raise DemoFailed(f"check failed: {verdict.message}{hint}")
    names = " and ".join(family.name for family in families(demo))
    say(f"    SUCCEEDED: the key can list {names} and read their details and data_series")

    for path in DEMO_DIR.glob(demo.cache.name + "*"):
        path.unlink()
    step(4, f"sync 1: full, every stream, into a new DuckDB cache {_shown(demo.cache)}")
    sync(demo, "sync-1")
    first_requests = demo.sandbox.stats()["requests"] if demo.sandbox else {}

    step(5, "sync 2: incremental, from the state PyAirbyte saved in the cache")
    if demo.sandbox is not None:
        next_day = demo.sandbox.today + timedelta(days=1)
        demo.sandbox.set_today(next_day)
        demo.config["end_date"] = next_day.isoformat()
        say(f"    a day passes: the sandbox's today and the config's end_date move to {next_day}")
    else:
        say(f"    right away: each campaign is read again from its cursor - {LOOKBACK_DAYS} days (the lookback)")
    second = sync(demo, "sync-2")
    if demo.sandbox is not None:
        log = demo.sandbox.request_log()
        start = date.fromisoformat(demo.config["start_date"])
        say("    what the sandbox saw:")
        for family in families(demo):
            cursors = second["state_before"].get(family.analytics_stream, {}).get("cursors", {})
            verdict_2 = incremental_report(log, cursors, LOOKBACK_DAYS, start, family)
            for line in report.incremental_lines(verdict_2, first_requests[family.path], LOOKBACK_DAYS):
                say("      " + line)
            if not verdict_2.incremental or verdict_2.requests >= first_requests[family.path]:
                raise DemoFailed(f"the second sync was not incremental for {family.name} (see above)")

    step(6, "per-channel totals, read back from DuckDB (campaigns_analytics_variations)")
    if "campaigns_analytics_variations" in second["tables"]:
        campaign_totals(second)
    else:
        say("    not synced (replicate: canvases)")

    step(7, "per-step, per-channel Canvas totals, read back from DuckDB (canvases_analytics_steps)")
    if "canvases_analytics_steps" in second["tables"]:
        canvas_totals(demo, second)
    else:
        say("    not synced (replicate: campaigns; BRAZE_REPLICATE=both adds the Canvas streams)")


def families(demo: Demo) -> list[Family]:
    """The families the config replicates."""
    replicate = demo.config.get("replicate") or DEFAULT_REPLICATE
    return [family for family in (CAMPAIGNS, CANVASES) if replicate in (family.name, "both")]


def campaign_totals(result: dict[str, Any]) -> None:
    for line in report.channels_table(result["channels"]):
        say(line)
    say("    opens: email opens, push total_opens, WhatsApp read; clicks: clicks, total_clicks or body_clicks;")
    say("    Braze gives conversions per variation only for some messages (in-app); per campaign and day")
    totals = result.get("totals") or {}
    say(
        f"    they are in campaigns_analytics: {report.number(totals.get('conversions'))} conversions,"
        f" revenue {report.number(totals.get('revenue'))} over {report.number(totals.get('days'))} campaign-days"
    )


def canvas_totals(demo: Demo, result: dict[str, Any]) -> None:
    """The steps table from DuckDB; against the sandbox, every (step_name, channel) row must be its truth."""
    for line in report.canvas_steps_table(result["canvas_steps"]):
        say(line)
    say("    a step's messages, one row per day and message variation; the same opens and clicks columns as above;")
    say("    steps of every variant, deleted steps included (Braze's include_deleted_step_data)")
    if demo.canvas is None or demo.sandbox is None:
        return
    first, last = date.fromisoformat(demo.config["start_date"]), date.fromisoformat(demo.config["end_date"])
    truth = canvas_step_totals(demo.canvas, first, last, demo.sandbox.today)
    synced = {(row["step_name"], row["channel"]): row for row in result["canvas_steps"]}
    wrong = [
        f"{name} / {channel}: {column} {report.number(synced.get((name, channel), {}).get(column))},"
        f" the sandbox holds {report.number(value)}"
        for (name, channel), expected in sorted(truth.items())
        for column, value in expected.items()
        if (synced.get((name, channel)) or {}).get(column) != value
    ]
    wrong += [f"{name} / {channel}: not in the sandbox" for name, channel in sorted(set(synced) - set(truth))]
    if wrong:
        raise DemoFailed("the Canvas step totals differ from the sandbox's:\n    " + "\n    ".join(wrong[:10]))
    say("    checked: every row above = the sandbox's ground truth (sent, delivered, opens, clicks)")


def connect(demo: Demo) -> None:
    """Point the config at the real workspace from the environment, or start the sandbox."""
    url, key = os.environ.get("BRAZE_URL"), os.environ.get("BRAZE_API_KEY")
    if url and key:
        replicate = os.environ.get("BRAZE_REPLICATE") or DEFAULT_REPLICATE
        if replicate not in REPLICATE_CHOICES:
            raise DemoFailed(f"BRAZE_REPLICATE must be one of {', '.join(REPLICATE_CHOICES)}, not {replicate!r}")
        demo.redact = Redactor([key])
        demo.config = {"url": url, "api_key": key, "lookback_window_days": LOOKBACK_DAYS, "replicate": replicate}
        if os.environ.get("BRAZE_START_DATE"):
            demo.config["start_date"] = os.environ["BRAZE_START_DATE"]
        demo.cache = DEMO_DIR / "braze-live.duckdb"
        since = demo.config.get("start_date", "365 days ago (set BRAZE_START_DATE to change)")
        say(f"    your workspace: {url} (key from BRAZE_API_KEY, not shown); history since {since}")
        say(f"    replicate: {replicate} (BRAZE_REPLICATE: campaigns, canvases or both; the key needs its permissions)")
        return
    args = demo.args
    demo.sandbox = SandboxProcess(
        today=SANDBOX_TODAY, seed=args.seed, campaigns=args.campaigns, days=args.days, canvases=args.canvases,
        api_key=SANDBOX_KEY, log_path=DEMO_DIR / "sandbox.log",
    )  # fmt: skip
    DEMO_DIR.mkdir(exist_ok=True)
    demo.sandbox.start()
    demo.data = BrazeData(args.seed, args.campaigns, args.days, SANDBOX_TODAY)
    demo.canvas = CanvasData(args.seed, args.canvases, args.days, SANDBOX_TODAY)
    start = SANDBOX_TODAY - timedelta(days=args.days - 1)
    demo.config = {
        "url": demo.sandbox.url,
        "api_key": SANDBOX_KEY,
        "start_date": start.isoformat(),
        "end_date": SANDBOX_TODAY.isoformat(),
        "lookback_window_days": LOOKBACK_DAYS,
        "replicate": "both",
    }
    demo.cache = DEMO_DIR / "braze.duckdb"
    say("    BRAZE_URL / BRAZE_API_KEY not set: using the bundled sandbox, a fake Braze on this machine")
    say(
        f"    {demo.sandbox.url}: {args.campaigns} campaigns, {args.canvases} canvases, {args.days} days of history"
        f" ({start} .. {SANDBOX_TODAY}); replicate: both"
    )
    say(f"    its clock is pinned to {SANDBOX_TODAY} so every run prints the same numbers;")
    say("    the config's end_date follows it (the connector's own default is the real today)")


def sync(demo: Demo, name: str) -> dict[str, Any]:
    """One PyAirbyte sync with progress lines, then its tables, checked against the sandbox."""
    if demo.sandbox is not None:
        demo.sandbox.reset()
    began = time.monotonic()
    result = run_sync(
        demo.python, demo.executable, demo.config, demo.cache,
        log_path=DEMO_DIR / f"{name}.log", on_progress=lambda s, r: _progress(demo, s, r),
    )  # fmt: skip
    say(f"    done in {time.monotonic() - began:.1f} s (PyAirbyte {result['pyairbyte_version']}); it started from:")
    for line in report.state_lines(result["state_before"]):
        say("      " + line)
    expected = None
    if demo.data is not None and demo.canvas is not None and demo.sandbox is not None:
        config = demo.config
        first, last = date.fromisoformat(config["start_date"]), date.fromisoformat(config["end_date"])
        expected = expected_rows(demo.data, first, last, demo.sandbox.today)
        expected.update(expected_canvas_rows(demo.canvas, first, last, demo.sandbox.today))
    for line in report.streams_table(result, expected):
        say(line)
    if demo.sandbox is not None:
        counts = demo.sandbox.stats()["requests"]
        say("    sandbox requests: " + ", ".join(f"{path} {n:,}" for path, n in counts.items() if n))
        log = demo.sandbox.request_log()
        for family in families(demo):
            for line in report.repeated_windows_warning(repeated_windows(log, family)):
                say("    " + line)
    _verify(result, expected)
    return result


def _verify(result: dict[str, Any], expected: dict[str, int] | None) -> None:
    problems = []
    for stream, info in result["tables"].items():
        if info["duplicate_keys"] or info["null_keys"]:
            problems.append(f"{stream}: {info['duplicate_keys']} duplicated and {info['null_keys']} empty primary keys")
        if expected is not None and info["rows"] != expected.get(stream):
            problems.append(f"{stream}: {info['rows']:,} rows in DuckDB, the sandbox holds {expected.get(stream)}")
    if problems:
        raise DemoFailed("the synced tables are wrong:\n    " + "\n    ".join(problems))
    say("    checked: no duplicate primary keys" + (", rows = the sandbox's ground truth" if expected else ""))


def _progress(demo: Demo, elapsed: float, records: dict[str, int] | None) -> None:
    parts = [f"    ... {elapsed:4.0f} s"]
    if records:
        parts.append(f"{sum(records.values()):,} records in {len(records)} streams")
    else:
        parts.append("no records yet (PyAirbyte starts: import, spec, discover)")
    if demo.sandbox is not None:
        try:
            counts = demo.sandbox.stats()["requests"]
        except OSError:
            counts = None
        if counts is not None:
            answered = sum(counts[family.path] for family in families(demo))
            parts.append(f"sandbox: {answered:,} data_series requests")
    say("  ".join(parts))


def _stop_on_termination() -> None:
    """SIGTERM/SIGHUP end the demo like Ctrl-C does, so the sandbox and the sync are stopped."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark of issue 5: `make bench` (= `.venv/bin/python -m bench`).

Measured in one run, against the Braze sandbox started as a separate process (so its CPU is
not the connector's), with the data of `--days` days:
1. this connector (the installed console script, full catalog, analytics streams incremental)
   at each num_workers and campaign count: a first sync, then an incremental sync a day later
   (the sandbox's today and end_date move on, the state of the first sync is passed);
2. the floor: the same data_series requests, at the same concurrency, doing nothing else
   (`bench/floor.py`), for the whole sync and for a data_series-only run;
3. CPU cost at zero latency: campaigns_analytics only, against a plain requests + json loop
   (`bench/plain_loop.py`) fetching the same responses;
4. Airbyte's `airbyte-source-braze` from PyPI in `.venv-bench-braze`, on the same data;
5. `spec` start-up time;
6. canvases: a first and an incremental sync of `Plan.canvases` canvases with the Canvas
   streams (`replicate: canvases`), data_series requests per canvas against ceil(days / 14)
   and wall time against the floor of the same /canvas/data_series requests;
8. the targets of issue 13 (`Plan.targets13`): the full catalog, first and incremental, and
   campaigns_analytics alone, at the plan's latency against the floor of all their own requests
   at the same concurrency, then the CPU of each at zero latency against the plain loop printing
   the same records (`--streams`: both analytics streams from each data_series response), the
   plain loop fetching and parsing only (`--parse-only`) and the CDK's record path alone on the
   connector's own records (`bench/cdk_floor.py`);
then a py-spy profile of the connector at zero latency. Everything goes to docs/benchmarks.md
(`--out`), raw numbers to .bench/results.json. `--quick` runs tiny sizes (the smoke test);
`--full` adds 1,000 campaigns at num_workers 1 (about 12 more minutes); `--only canvas` runs
`spec` and part 6 alone and writes its section into the existing report, the other sections
left as they are; `--only targets13` the same for part 8.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import machine, their_connector, zero_fill
from bench.measure import Output, ProcessRun, run_measured, summarize
from bench.profile import analyse, py_spy, thread_states
from bench.report import keep_hand_written, part_page, render
from braze_sandbox import CANVAS_MAX_LENGTH, SANDBOX_API_KEY, BrazeData, CanvasData, canvas_window, parse_iso_datetime
from braze_sandbox.process import SandboxProcess
from integration_tests.harness import CANVAS_STREAMS, configured_catalog

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".bench"
OURS = Path(sys.executable).parent / "source-braze-campaigns"
API_KEY = SANDBOX_API_KEY
DATA_SERIES = "/campaigns/data_series"
CANVAS_DATA_SERIES = "/canvas/data_series"
ALL_STREAMS = ("campaigns", "campaigns_details", "campaigns_analytics", "campaigns_analytics_variations")
Pair = tuple[str, str]


# ---------------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class Plan:
    name: str
    campaigns: tuple[int, ...]
    workers: tuple[int, ...]
    days: int
    latency_ms: float
    skip: tuple[tuple[int, int], ...]  # (campaigns, workers) not run
    data_series_only: tuple[tuple[int, int], ...]
    all_request_floors: tuple[int, ...]  # campaign counts with a floor of every request too
    cpu_campaigns: int
    cpu_workers: tuple[int, ...]
    theirs_campaigns: int | None
    spec_runs: int
    best_of: int
    profile: bool
    thread_profile: tuple[int, int] | None = None  # (campaigns, workers) of the latency thread profile
    canvases: int = 0  # canvases of part 6 (0: not run)
    canvas_workers: tuple[int, ...] = ()
    targets13: tuple[int, int] = (0, 0)  # (campaigns, num_workers) of part 8, the targets of issue 13 (0: not run)


FULL = Plan(
    name="standard",
    campaigns=(100, 1000),
    workers=(1, 4, 16),
    days=365,
    latency_ms=100,
    skip=((1000, 1),),
    data_series_only=((100, 1), (100, 4), (100, 16), (1000, 16)),
    all_request_floors=(100,),
    cpu_campaigns=300,
    cpu_workers=(1, 2),
    theirs_campaigns=100,
    spec_runs=5,
    best_of=2,
    profile=True,
    thread_profile=(100, 4),
    canvases=100,
    canvas_workers=(4, 16),
    targets13=(300, 8),
)
QUICK = Plan(
    name="quick",
    campaigns=(6,),
    workers=(1, 4),
    days=40,
    latency_ms=20,
    skip=(),
    data_series_only=((6, 4),),
    all_request_floors=(6,),
    cpu_campaigns=6,
    cpu_workers=(1,),
    theirs_campaigns=None,
    spec_runs=2,
    best_of=1,
    profile=False,
    canvases=4,
    canvas_workers=(4,),
    targets13=(6, 4),
)


# ---------------------------------------------------------------------------------- results
@dataclass
class Floor:
    workers: int
    requests: int
    wall_s: float
    process_wall_s: float
    max_in_flight: int
    statuses: dict[str, int]
    reused: bool = False  # the same requests were timed already (same sandbox day, same pool size)


@dataclass
class Sync:
    """One connector process against the sandbox."""

    connector: str  # "ours" | "theirs"
    kind: str  # "first" | "incremental" | "data_series only" | "cpu" | "canvas first" | "canvas incremental"
    campaigns: int
    workers: int
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    returncode: int
    requests: dict[str, int]
    max_in_flight: int
    statuses: dict[str, int]
    records: dict[str, int]
    errors: list[str]
    floor: Floor | None = None
    floor_all: Floor | None = None
    canvases: int = 0  # the canvas runs: canvases in the sandbox
    windows: dict[str, Any] | None = None  # the canvas runs: `canvas_windows` of the request log
    truth_days: int | None = None  # the canvas first syncs: (canvas, day) rows of the ground truth

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


@dataclass
class PlainLoop:
    campaigns: int
    wall_s: float
    process_wall_s: float
    records: int
    requests: int
    runs: list[float] = field(default_factory=list)
    cpu_s: float = 0.0  # user + system seconds of the best run's process, start-up included
    streams: tuple[str, ...] = ("campaigns_analytics",)
    parse_only: bool = False  # fetched and parsed every response, printed nothing


@dataclass
class CdkPath:
    """`bench/cdk_floor.py`: the connector's own records read through the CDK from memory."""

    records: int
    cpu_s: float  # the read's CPU, best run: start-up and loading excluded
    runs: list[float] = field(default_factory=list)


@dataclass
class Coverage:
    """(campaign, day) pairs of campaigns_analytics against the sandbox's ground truth."""

    truth: int
    ours: int
    theirs: int
    ours_missing: int
    ours_extra: int
    ours_duplicates: int
    theirs_missing: int
    theirs_extra: int
    theirs_duplicates: int
    theirs_missing_campaigns: int  # campaigns with data of which theirs has no day at all
    theirs_unlisted_campaigns: int  # ... of which its campaigns stream did not list
    theirs_missing_not_requested: int  # missed days that no request of theirs covered
    theirs_missing_requested: int  # missed days inside a window it requested
    only_ours: int
    only_theirs: int
    truth_campaigns: int


@dataclass
class Results:
    plan: dict[str, Any]
    started_at: str
    today: str
    start_date: str
    machine: dict[str, str]
    spec_s: dict[str, list[float]] = field(default_factory=dict)
    syncs: list[Sync] = field(default_factory=list)
    plain_loop: PlainLoop | None = None
    cpu_same_requests: bool | None = None
    theirs_setup: dict[str, Any] | None = None
    theirs_note: str = ""
    coverage: Coverage | None = None
    profiles: dict[str, Any] = field(default_factory=dict)
    thread_profile: dict[str, Any] | None = None
    profile_note: str = ""
    phases: list[tuple[str, float]] = field(default_factory=list)
    duration_s: float = 0.0
    load_after: str = ""
    skipped: list[str] = field(default_factory=list)
    zero_fill: dict[str, Any] | None = None
    plain_loops13: dict[str, PlainLoop] = field(default_factory=dict)  # part 8: by stream set ("daily", "full")
    # part 8, by stream set: the plain loop fetching and parsing only, and the CDK's record path alone
    parse_only13: dict[str, PlainLoop] = field(default_factory=dict)
    cdk_paths13: dict[str, CdkPath] = field(default_factory=dict)
    spec_cpu_s: dict[str, list[float]] = field(default_factory=dict)  # user + system seconds of each `spec`

    def spec_median(self, connector: str) -> float:
        runs = self.spec_s.get(connector) or [0.0]
        return statistics.median(runs)

    def spec_cpu_median(self, connector: str) -> float | None:
        runs = self.spec_cpu_s.get(connector)
        return statistics.median(runs) if runs else None

    @classmethod
    def load(cls, path: Path) -> Results:
        """Results saved by a run (`.bench/<plan>/results.json`), to render the report again."""
        raw = json.loads(path.read_text())

        def floor(value: dict[str, Any] | None) -> Floor | None:
            return None if value is None else Floor(**value)

        raw["syncs"] = [
            Sync(**{**sync, "floor": floor(sync["floor"]), "floor_all": floor(sync["floor_all"])})
            for sync in raw["syncs"]
        ]
        raw["plain_loop"] = PlainLoop(**raw["plain_loop"]) if raw["plain_loop"] else None
        raw["plain_loops13"] = {name: PlainLoop(**loop) for name, loop in raw.get("plain_loops13", {}).items()}
        raw["parse_only13"] = {name: PlainLoop(**loop) for name, loop in raw.get("parse_only13", {}).items()}
        raw["cdk_paths13"] = {name: CdkPath(**path) for name, path in raw.get("cdk_paths13", {}).items()}
        raw["coverage"] = Coverage(**raw["coverage"]) if raw["coverage"] else None
        raw["phases"] = [tuple(phase) for phase in raw["phases"]]
        return cls(**raw)


# ---------------------------------------------------------------------------------- helpers
class Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def log(self, message: str) -> None:
        sys.stderr.write(f"[bench {self.elapsed():7.1f}s] {message}\n")
        sys.stderr.flush()


def write_json(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return path


def ours_config(
    sandbox: SandboxProcess, start: date, end: date, workers: int, replicate: str = "campaigns"
) -> dict[str, Any]:
    return {
        "url": sandbox.url,
        "api_key": API_KEY,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "num_workers": workers,
        "replicate": replicate,
    }


def canvas_windows(log: list[dict[str, Any]]) -> dict[str, Any]:
    """Per canvas, the /canvas/data_series requests of a run and the days they covered (as the sandbox
    reads them): the spread over canvases, and how many canvases sent other than ceil(days / 14)."""
    requests: Counter[str] = Counter()
    covered: dict[str, Counter[date]] = {}
    for entry in log:
        if entry["path"] != CANVAS_DATA_SERIES:
            continue
        query = entry["query"]
        starting = parse_iso_datetime(query["starting_at"]) if query.get("starting_at") else None
        length = int(query["length"]) if query.get("length") else None
        first, last = canvas_window(length, starting, parse_iso_datetime(query["ending_at"]))
        requests[query["canvas_id"]] += 1
        days = covered.setdefault(query["canvas_id"], Counter())
        for offset in range((last - first).days + 1):
            days[first + timedelta(days=offset)] += 1
    if not requests:
        return {"canvases": 0}
    span = {canvas: len(days) for canvas, days in covered.items()}
    planned = {canvas: -(-span[canvas] // CANVAS_MAX_LENGTH) for canvas in requests}
    return {
        "canvases": len(requests),
        "requests": [min(requests.values()), max(requests.values())],
        "days": [min(span.values()), max(span.values())],
        "planned": [min(planned.values()), max(planned.values())],
        "off_plan": sum(1 for canvas in requests if requests[canvas] != planned[canvas]),
        "days_read_twice": sum(n - 1 for days in covered.values() for n in days.values()),
    }


def discovered_catalog(script: Path, config: dict[str, Any], folder: Path) -> dict[str, Any]:
    run = run_measured(
        [str(script), "discover", "--config", str(write_json(folder / "config.json", config))],
        folder / "discover.jsonl",
        folder / "discover.err",
        cwd=folder,
    )
    for line in run.stdout_path.read_text().splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("type") == "CATALOG":
            return dict(message["catalog"])
    raise RuntimeError(f"discover printed no catalog: {run.stderr_tail()}")


def data_series_entries(log: list[dict[str, Any]], path: str = DATA_SERIES) -> list[dict[str, Any]]:
    return [{"path": e["path"], "query": e["query"]} for e in log if e["path"] == path]


def api_entries(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"path": e["path"], "query": e["query"]} for e in log]


def warm_up_entries(data: BrazeData, start: date, end: date) -> list[dict[str, Any]]:
    """100-day windows over every campaign: fills the sandbox's per-day cache before timing."""
    entries = []
    for campaign_id in data.campaign_ids():
        last = end
        while last >= start:
            length = min(100, (last - start).days + 1)
            query = {"campaign_id": campaign_id, "length": str(length), "ending_at": f"{last}T23:59:59+00:00"}
            entries.append({"path": DATA_SERIES, "query": query})
            last -= timedelta(days=length)
    return entries


# ---------------------------------------------------------------------------------- the bench
class Bench:
    def __init__(self, plan: Plan, out: Path, with_theirs: bool, work: Path = WORK) -> None:
        self.plan = plan
        self.out = out
        self.with_theirs = with_theirs
        self.clock = Clock()
        self.today = datetime.now(UTC).date()
        self.start = self.today - timedelta(days=plan.days - 1)
        self.work = work / plan.name
        self.results = Results(
            plan=asdict(plan),
            started_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            today=self.today.isoformat(),
            start_date=self.start.isoformat(),
            machine={
                "nproc": str(os.cpu_count()),
                "cpu": machine.cpu_model(),
                "memory": machine.memory_gib(),
                "load_before": machine.load_average(),
                "python": sys.version.split()[0],
                "airbyte-cdk": machine.version("airbyte-cdk"),
                "source-braze-campaigns": machine.version("source-braze-campaigns"),
                "requests": machine.version("requests"),
                "orjson": machine.version("orjson"),
                "py-spy": machine.version("py-spy"),
                "commit": machine.git_commit(),
            },
        )
        self._ours_catalog: dict[str, Any] | None = None
        self._ours_pairs: tuple[set[Pair], int] | None = None
        self._run_number = 0
        self._floors: dict[tuple[str, str, int, tuple[str, ...]], Floor] = {}

    # -------------------------------------------------------------- plumbing
    def phase(self, name: str, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        self.clock.log(f"{name} ...")
        action()
        took = time.perf_counter() - started
        self.results.phases.append((name, took))
        self.clock.log(f"{name}: {took:.1f} s")

    def folder(self, tag: str) -> Path:
        self._run_number += 1
        path = self.work / f"{self._run_number:02d}-{tag}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def sandbox(self, campaigns: int, latency_ms: float) -> SandboxProcess:
        log_path = self.work / f"sandbox-{campaigns}-{latency_ms:g}ms.log"
        return SandboxProcess(
            today=self.today, campaigns=campaigns, days=self.plan.days, latency_ms=latency_ms, log_path=log_path
        ).start()

    def catalog(self, sandbox: SandboxProcess, streams: Iterable[str]) -> dict[str, Any]:
        if self._ours_catalog is None:
            config = ours_config(sandbox, self.start, self.today, 1)
            self._ours_catalog = discovered_catalog(OURS, config, self.folder("ours-discover"))
        return configured_catalog(self._ours_catalog, streams)

    def read(
        self,
        connector: str,
        kind: str,
        sandbox: SandboxProcess,
        config: dict[str, Any],
        catalog: dict[str, Any],
        state: list[dict[str, Any]] | None = None,
        pairs_of: str | None = None,
        ids_of: str | None = None,
        script: Path = OURS,
        profile_to: Path | None = None,
        profile_threads: bool = False,
        data_series: str = DATA_SERIES,
        keep_stdout: Path | None = None,
    ) -> tuple[Sync, Output, list[dict[str, Any]]]:
        folder = self.folder(
            f"{connector}-{kind.replace(' ', '-')}-{sandbox.campaigns}-w{config.get('num_workers', 1)}"
        )
        args = [
            str(script), "read",
            "--config", str(write_json(folder / "config.json", config)),
            "--catalog", str(write_json(folder / "catalog.json", catalog)),
        ]  # fmt: skip
        if state is not None:
            args += ["--state", str(write_json(folder / "state.json", state))]
        if profile_to is not None:
            spy = py_spy()
            assert spy is not None
            mode = ["--idle", "--threads"] if profile_threads else ["--gil"]
            args = [spy, "record", *mode, "-f", "raw", "-r", "100", "-o", str(profile_to), "--", *args]
        sandbox.reset()
        run = run_measured(args, folder / "stdout.jsonl", folder / "stderr.log", cwd=folder)
        stats = sandbox.stats()
        log = sandbox.request_log()
        output = summarize(run.stdout_path, pairs_of=pairs_of, ids_of=ids_of)
        if keep_stdout is None:
            run.stdout_path.unlink()  # up to hundreds of MB; the summary is what is kept
        else:
            run.stdout_path.replace(keep_stdout)
        if run.returncode != 0 or output.errors:
            self.clock.log(
                f"  {connector} {kind} exited {run.returncode}; errors {output.errors[:2]}; {run.stderr_tail()}"
            )
        sync = Sync(
            connector=connector,
            kind=kind,
            campaigns=sandbox.campaigns,
            workers=int(config.get("num_workers", 1)),
            wall_s=run.wall_s,
            cpu_s=run.cpu_user_s + run.cpu_sys_s,
            max_rss_mb=run.max_rss_mb,
            returncode=run.returncode,
            requests=dict(stats["requests"]),
            max_in_flight=int(stats["max_in_flight_by_endpoint"][data_series]),
            statuses=dict(stats["responses_by_status"]),
            records=dict(sorted(output.records.items())),
            errors=output.errors[:3],
        )
        self.clock.log(
            f"  {connector} {kind} {sync.campaigns} campaigns w{sync.workers}: {sync.wall_s:.1f} s, "
            f"{sync.total_records:,} records, requests {sync.requests}"
        )
        return sync, output, log

    def floor(
        self,
        sandbox: SandboxProcess,
        entries: list[dict[str, Any]],
        workers: int,
        tag: str,
        data_series: str = DATA_SERIES,
    ) -> Floor:
        """The floor of `entries` at `workers`; timed once per set of requests and sandbox day."""
        key = (
            sandbox.url,
            sandbox.today.isoformat(),
            workers,
            tuple(sorted(json.dumps(e, sort_keys=True) for e in entries)),
        )
        if key in self._floors:
            return replace(self._floors[key], reused=True)
        folder = self.folder(f"floor-{tag}")
        path = write_json(folder / "requests.json", entries)
        sandbox.reset()
        run = run_measured(
            [sys.executable, "-m", "bench.floor", "--url", sandbox.url, "--requests", str(path),
             "--workers", str(workers)],
            folder / "stdout.json", folder / "stderr.log", cwd=ROOT, env={"BENCH_API_KEY": API_KEY},
        )  # fmt: skip
        if run.returncode != 0:
            raise RuntimeError(f"floor failed: {run.stderr_tail()}")
        result = json.loads(run.stdout_path.read_text())
        stats = sandbox.stats()
        self._floors[key] = Floor(
            workers=workers,
            requests=int(result["requests"]),
            wall_s=float(result["wall_s"]),
            process_wall_s=run.wall_s,
            max_in_flight=int(stats["max_in_flight_by_endpoint"][data_series]),
            statuses=dict(result["statuses"]),
        )
        return self._floors[key]

    def spec_times(self, connector: str, script: Path) -> None:
        times: list[float] = []
        cpu: list[float] = []
        for _ in range(self.plan.spec_runs):
            folder = self.folder(f"{connector}-spec")
            run = run_measured([str(script), "spec"], folder / "stdout.jsonl", folder / "stderr.log", cwd=folder)
            if run.returncode != 0:
                raise RuntimeError(f"{connector} spec failed: {run.stderr_tail()}")
            times.append(run.wall_s)
            cpu.append(run.cpu_user_s + run.cpu_sys_s)
        self.results.spec_s[connector] = times
        self.results.spec_cpu_s[connector] = cpu

    # -------------------------------------------------------------- 1 + 2: syncs and floors
    def latency_runs(self, campaigns: int) -> None:
        plan = self.plan
        sandbox = self.sandbox(campaigns, plan.latency_ms)
        try:
            data = BrazeData(seed=1, campaigns=campaigns, days=plan.days, today=self.today)
            warm = self.floor(sandbox, warm_up_entries(data, self.start, self.today), 32, f"warm-up-{campaigns}")
            self.clock.log(f"  sandbox {campaigns} warmed up: {warm.requests} requests in {warm.wall_s:.1f} s")
            full = self.catalog(sandbox, ALL_STREAMS)
            for workers in plan.workers:
                if (campaigns, workers) in plan.skip:
                    self.results.skipped.append(f"{campaigns:,} campaigns at num_workers {workers}")
                    continue
                self.sync_pair(sandbox, campaigns, workers, full)
            for count, workers in plan.data_series_only:
                if count == campaigns:
                    self.data_series_only(sandbox, campaigns, workers)
            if plan.profile and plan.thread_profile and plan.thread_profile[0] == campaigns:
                self.thread_profile(sandbox, plan.thread_profile[1])
            if plan.theirs_campaigns == campaigns and self.with_theirs:
                self.theirs(sandbox, data)
        finally:
            sandbox.stop()

    def sync_pair(self, sandbox: SandboxProcess, campaigns: int, workers: int, catalog: dict[str, Any]) -> None:
        config = ours_config(sandbox, self.start, self.today, workers)
        pairs_of = "campaigns_analytics" if campaigns == self.plan.theirs_campaigns else None
        first, output, log = self.read("ours", "first", sandbox, config, catalog, pairs_of=pairs_of)
        if pairs_of and self._ours_pairs is None:
            self._ours_pairs = (output.pairs, output.duplicate_pairs)
        first.floor = self.floor(sandbox, data_series_entries(log), workers, f"first-{campaigns}-w{workers}")
        if campaigns in self.plan.all_request_floors:
            first.floor_all = self.floor(sandbox, api_entries(log), workers, f"first-all-{campaigns}-w{workers}")
        self.results.syncs.append(first)
        state = list(output.states.values())
        tomorrow = self.today + timedelta(days=1)
        sandbox.set_today(tomorrow)
        try:
            config = ours_config(sandbox, self.start, tomorrow, workers)
            incremental, _, log = self.read("ours", "incremental", sandbox, config, catalog, state=state)
            incremental.floor = self.floor(sandbox, data_series_entries(log), workers, f"incr-{campaigns}-w{workers}")
        finally:
            sandbox.set_today(self.today)
        self.results.syncs.append(incremental)

    def data_series_only(self, sandbox: SandboxProcess, campaigns: int, workers: int) -> None:
        config = ours_config(sandbox, self.start, self.today, workers)
        catalog = self.catalog(sandbox, ["campaigns_analytics"])
        sync, _, log = self.read("ours", "data_series only", sandbox, config, catalog)
        sync.floor = self.floor(sandbox, data_series_entries(log), workers, f"ds-{campaigns}-w{workers}")
        self.results.syncs.append(sync)

    # -------------------------------------------------------------- 3: CPU at zero latency
    def cpu_runs(self) -> None:
        plan = self.plan
        sandbox = self.sandbox(plan.cpu_campaigns, 0)
        try:
            data = BrazeData(seed=1, campaigns=plan.cpu_campaigns, days=plan.days, today=self.today)
            self.floor(sandbox, warm_up_entries(data, self.start, self.today), 4, "warm-up-cpu")
            catalog = self.catalog(sandbox, ["campaigns_analytics"])
            requested: list[Counter[tuple[str, ...]]] = []
            for workers in plan.cpu_workers:
                best: Sync | None = None
                for _ in range(plan.best_of):
                    config = ours_config(sandbox, self.start, self.today, workers)
                    sync, _, log = self.read("ours", "cpu", sandbox, config, catalog)
                    requested.append(Counter(tuple(sorted(e["query"].items())) for e in data_series_entries(log)))  # type: ignore[misc]
                    if best is None or sync.wall_s < best.wall_s:
                        best = sync
                    if self.results.plain_loop is None:
                        self.results.plain_loop = self.plain_loop(sandbox, api_entries(log))
                assert best is not None
                self.results.syncs.append(best)
            self.results.cpu_same_requests = all(counter == requested[0] for counter in requested)
            if plan.profile:
                self.profiles(sandbox)
        finally:
            sandbox.stop()

    def plain_loop(
        self,
        sandbox: SandboxProcess,
        entries: list[dict[str, Any]],
        streams: Iterable[str] = ("campaigns_analytics",),
        parse_only: bool = False,
    ) -> PlainLoop:
        runs: list[tuple[float, float, int, float]] = []
        for _ in range(self.plan.best_of):
            folder = self.folder("plain-loop-parse-only" if parse_only else "plain-loop")
            path = write_json(folder / "requests.json", entries)
            run, inner, records = self.script(
                folder, ["bench.plain_loop", "--url", sandbox.url, "--requests", str(path),
                         "--streams", ",".join(streams), *(["--parse-only"] if parse_only else [])],
            )  # fmt: skip
            runs.append((float(inner["wall_s"]), run.wall_s, records, run.cpu_user_s + run.cpu_sys_s))
        inner_best, process_best, records, cpu = min(runs)
        what = "parsed only" if parse_only else f"{records:,} records"
        timing = f"{inner_best:.2f} s ({process_best:.2f} s with start-up; CPU {cpu:.2f} s)"
        self.clock.log(f"  plain loop: {what} in {timing}")
        return PlainLoop(
            campaigns=self.plan.cpu_campaigns,
            wall_s=inner_best,
            process_wall_s=process_best,
            records=records,
            requests=len(entries),
            runs=[wall for wall, _, _, _ in runs],
            cpu_s=cpu,
            streams=tuple(streams),
            parse_only=parse_only,
        )

    def script(self, folder: Path, args: list[str]) -> tuple[ProcessRun, dict[str, Any], int]:
        """`python -m *args` (a bench script, run in the project): the run, the JSON line its stderr ends
        with, and how many records it printed (its stdout is not kept)."""
        run = run_measured(
            [sys.executable, "-m", *args], folder / "stdout.jsonl", folder / "stderr.log", cwd=ROOT,
            env={"BENCH_API_KEY": API_KEY},
        )  # fmt: skip
        if run.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {run.stderr_tail()}")
        inner = json.loads(run.stderr_path.read_text().strip().splitlines()[-1])
        printed = summarize(run.stdout_path).total_records
        run.stdout_path.unlink()
        return run, inner, printed

    def cdk_path(self, records: Path, streams: Iterable[str]) -> CdkPath:
        """`bench/cdk_floor.py` on a connector's output, best of the plan's runs by CPU."""
        runs: list[tuple[float, int]] = []
        for _ in range(self.plan.best_of):
            args = ["bench.cdk_floor", "--records", str(records), "--streams", ",".join(streams)]
            _, inner, printed = self.script(self.folder("cdk-path"), args)
            if printed != inner["records"]:
                raise RuntimeError(f"cdk_floor printed {printed} of {inner['records']} records")
            runs.append((float(inner["cpu_s"]), printed))
        cpu, count = min(runs)
        self.clock.log(f"  the CDK's record path: {count:,} records, CPU {cpu:.2f} s")
        return CdkPath(records=count, cpu_s=cpu, runs=[run_cpu for run_cpu, _ in runs])

    def profiles(self, sandbox: SandboxProcess) -> None:
        """CPU profiles (`py-spy --gil`) at zero latency, num_workers 1."""
        if py_spy() is None:
            self.results.profile_note = "py-spy is not installed in this environment: no profile taken."
            return
        for name, streams in (("campaigns_analytics only", ["campaigns_analytics"]), ("full catalog", ALL_STREAMS)):
            target = self.work / f"profile-{name.replace(' ', '-')}.txt"
            config = ours_config(sandbox, self.start, self.today, 1)
            sync, _, _ = self.read(
                "ours", "profiled", sandbox, config, self.catalog(sandbox, streams), profile_to=target
            )
            if not target.exists():
                self.results.profile_note = f"py-spy wrote no profile ({name})."
                continue
            profile = analyse(target)
            self.results.profiles[name] = {
                "campaigns": sandbox.campaigns,
                "workers": 1,
                "records": sync.total_records,
                "wall_s": sync.wall_s,
                "samples": profile.samples,
                "by_activity": profile.by_activity,
                "top_ours": profile.top_ours,
                "hotspots": profile.hotspots,
                "raw": str(target.relative_to(ROOT)),
            }

    def thread_profile(self, sandbox: SandboxProcess, workers: int) -> None:
        """Where the threads of a full-catalog first sync wait, at the bench's latency (`py-spy --idle --threads`)."""
        if py_spy() is None:
            return
        target = self.work / f"profile-threads-{sandbox.campaigns}-w{workers}.txt"
        config = ours_config(sandbox, self.start, self.today, workers)
        catalog = self.catalog(sandbox, ALL_STREAMS)
        sync, _, _ = self.read("ours", "profiled", sandbox, config, catalog, profile_to=target, profile_threads=True)
        if not target.exists():
            return
        self.results.thread_profile = {
            "campaigns": sandbox.campaigns,
            "workers": workers,
            "wall_s": sync.wall_s,
            "states": {group: states.most_common() for group, states in thread_states(target).items()},
            "raw": str(target.relative_to(ROOT)),
        }

    # -------------------------------------------------------------- 8: the targets of issue 13
    def targets13_runs(self) -> None:
        """Full catalog and campaigns_analytics alone at the plan's latency against the floor of their own
        requests, then their CPU at zero latency against the plain loop printing the same records."""
        campaigns, workers = self.plan.targets13
        stream_sets = (("full", ALL_STREAMS), ("daily", ("campaigns_analytics",)))
        sandbox = self.sandbox(campaigns, self.plan.latency_ms)
        try:
            data = BrazeData(seed=1, campaigns=campaigns, days=self.plan.days, today=self.today)
            self.floor(sandbox, warm_up_entries(data, self.start, self.today), 32, f"warm-up-13-{campaigns}")
            for label, streams in stream_sets:
                catalog = self.catalog(sandbox, streams)
                config = ours_config(sandbox, self.start, self.today, workers)
                first, output, log = self.read("ours", f"13 first {label}", sandbox, config, catalog)
                first.floor = self.floor(sandbox, data_series_entries(log), workers, f"13-first-{label}")
                first.floor_all = self.floor(sandbox, api_entries(log), workers, f"13-first-all-{label}")
                self.results.syncs.append(first)
                if label != "full":
                    continue
                tomorrow = self.today + timedelta(days=1)
                sandbox.set_today(tomorrow)
                try:
                    config = ours_config(sandbox, self.start, tomorrow, workers)
                    state = list(output.states.values())
                    incremental, _, log = self.read(
                        "ours", "13 incremental full", sandbox, config, catalog, state=state
                    )
                    incremental.floor = self.floor(sandbox, data_series_entries(log), workers, "13-incr")
                    incremental.floor_all = self.floor(sandbox, api_entries(log), workers, "13-incr-all")
                finally:
                    sandbox.set_today(self.today)
                self.results.syncs.append(incremental)
        finally:
            sandbox.stop()
        sandbox = self.sandbox(campaigns, 0)
        try:
            data = BrazeData(seed=1, campaigns=campaigns, days=self.plan.days, today=self.today)
            self.floor(sandbox, warm_up_entries(data, self.start, self.today), 4, "warm-up-13-cpu")
            for label, streams in stream_sets:
                best: Sync | None = None
                records_file = self.work / f"records-13-{label}.jsonl"  # the same records each run
                for _ in range(self.plan.best_of):
                    config = ours_config(sandbox, self.start, self.today, 1)
                    catalog = self.catalog(sandbox, streams)
                    sync, _, log = self.read(
                        "ours", f"13 cpu {label}", sandbox, config, catalog, keep_stdout=records_file
                    )
                    if best is None or sync.cpu_s < best.cpu_s:
                        best = sync
                assert best is not None
                self.results.syncs.append(best)
                self.results.plain_loops13[label] = self.plain_loop(sandbox, api_entries(log), streams)
                self.results.parse_only13[label] = self.plain_loop(sandbox, api_entries(log), streams, parse_only=True)
                self.results.cdk_paths13[label] = self.cdk_path(records_file, streams)
                records_file.unlink()
        finally:
            sandbox.stop()

    # -------------------------------------------------------------- 6: canvases
    def canvas_runs(self) -> None:
        """First and incremental syncs of the Canvas streams at each of `canvas_workers`, with their floors."""
        plan = self.plan
        sandbox = SandboxProcess(
            today=self.today, campaigns=1, canvases=plan.canvases, days=plan.days, latency_ms=plan.latency_ms,
            log_path=self.work / f"sandbox-canvases-{plan.canvases}-{plan.latency_ms:g}ms.log",
        ).start()  # fmt: skip
        try:
            config = ours_config(sandbox, self.start, self.today, 1, replicate="canvases")
            discovered = discovered_catalog(OURS, config, self.folder("canvas-discover"))
            catalog = configured_catalog(discovered, CANVAS_STREAMS)
            data = CanvasData(seed=1, canvases=plan.canvases, days=plan.days, today=self.today)
            truth = sum(len(data.expected_days(c, self.start, self.today, self.today)) for c in data.canvas_ids())
            for workers in plan.canvas_workers:
                self.canvas_pair(sandbox, workers, catalog, truth)
        finally:
            sandbox.stop()

    def canvas_pair(self, sandbox: SandboxProcess, workers: int, catalog: dict[str, Any], truth: int) -> None:
        config = ours_config(sandbox, self.start, self.today, workers, replicate="canvases")
        first, output, log = self.read("ours", "canvas first", sandbox, config, catalog, data_series=CANVAS_DATA_SERIES)
        first.canvases, first.truth_days, first.windows = sandbox.canvases, truth, canvas_windows(log)
        entries = data_series_entries(log, CANVAS_DATA_SERIES)
        first.floor = self.floor(sandbox, entries, workers, f"canvas-first-w{workers}", CANVAS_DATA_SERIES)
        self.results.syncs.append(first)
        tomorrow = self.today + timedelta(days=1)
        sandbox.set_today(tomorrow)
        try:
            config = ours_config(sandbox, self.start, tomorrow, workers, replicate="canvases")
            state = list(output.states.values())
            incremental, _, log = self.read(
                "ours", "canvas incremental", sandbox, config, catalog, state=state, data_series=CANVAS_DATA_SERIES
            )
            incremental.canvases, incremental.windows = sandbox.canvases, canvas_windows(log)
            entries = data_series_entries(log, CANVAS_DATA_SERIES)
            incremental.floor = self.floor(sandbox, entries, workers, f"canvas-incr-w{workers}", CANVAS_DATA_SERIES)
        finally:
            sandbox.set_today(self.today)
        self.results.syncs.append(incremental)

    # -------------------------------------------------------------- 4: Airbyte's connector
    def theirs(self, sandbox: SandboxProcess, data: BrazeData) -> None:
        setup = self.results.theirs_setup
        if not setup or not setup.get("chosen"):
            self.results.theirs_note = "Airbyte's connector could not be set up: not run."
            return
        script = their_connector.console_script()
        config = {"url": sandbox.url, "api_key": API_KEY, "start_date": self.start.isoformat()}
        discovered = discovered_catalog(script, config, self.folder("theirs-discover"))
        catalog = their_connector.configured_catalog(discovered)
        sync, output, log = self.read(
            "theirs",
            "first",
            sandbox,
            config,
            catalog,
            pairs_of="campaigns_analytics",
            ids_of="campaigns",
            script=script,
        )
        sync.floor = self.floor(sandbox, data_series_entries(log), 1, "theirs")
        self.results.syncs.append(sync)
        self.spec_times("theirs", script)
        ours_pairs, ours_duplicates = self._ours_pairs or (set(), 0)
        self.results.coverage = coverage(data, self.start, self.today, ours_pairs, ours_duplicates, output, log)

    # -------------------------------------------------------------- all
    def run(self) -> Results:
        plan = self.plan
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        if self.with_theirs and plan.theirs_campaigns:
            self.phase("set up Airbyte's connector", self.setup_theirs)
        self.clock = Clock()  # the bench proper starts here; set-up is reported apart
        self.results.machine["load_before"] = machine.load_average()
        self.phase("spec start-up", lambda: self.spec_times("ours", OURS))
        for campaigns in plan.campaigns:
            self.phase(
                f"{campaigns:,} campaigns, latency {plan.latency_ms:g} ms", lambda c=campaigns: self.latency_runs(c)
            )
        self.phase(f"CPU at zero latency ({plan.cpu_campaigns} campaigns)", self.cpu_runs)
        self.phase("zero-filled days volume", self.zero_fill_volume)
        self.canvas_phase()
        self.targets13_phase()
        self.results.duration_s = self.clock.elapsed()
        self.results.load_after = machine.load_average()
        return self.results

    def run_canvases(self) -> Results:
        """`--only canvas`: `spec` start-up (for the w/o start-up figures) and part 6."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.phase("spec start-up", lambda: self.spec_times("ours", OURS))
        self.canvas_phase()
        self.results.duration_s = self.clock.elapsed()
        self.results.load_after = machine.load_average()
        return self.results

    def run_targets13(self) -> Results:
        """`--only targets13`: `spec` start-up and part 8."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.phase("spec start-up", lambda: self.spec_times("ours", OURS))
        self.targets13_phase()
        self.results.duration_s = self.clock.elapsed()
        self.results.load_after = machine.load_average()
        return self.results

    def targets13_phase(self) -> None:
        campaigns, workers = self.plan.targets13
        if campaigns:
            self.phase(f"issue 13 targets ({campaigns:,} campaigns, num_workers {workers})", self.targets13_runs)

    def canvas_phase(self) -> None:
        plan = self.plan
        if plan.canvases and plan.canvas_workers:
            self.phase(f"{plan.canvases:,} canvases, latency {plan.latency_ms:g} ms", self.canvas_runs)

    def zero_fill_volume(self) -> None:
        self.results.zero_fill = asdict(zero_fill.measure())

    def setup_theirs(self) -> None:
        self.results.theirs_setup = their_connector.ensure(log=self.clock.log)


def coverage(
    data: BrazeData,
    start: date,
    today: date,
    ours_pairs: set[Pair],
    ours_duplicates: int,
    theirs: Output,
    theirs_log: list[dict[str, Any]],
) -> Coverage:
    truth = {
        (campaign_id, day.isoformat())
        for campaign_id in data.campaign_ids()
        for day in data.expected_days(campaign_id, start, today, today)
    }
    truth_campaigns = {campaign_id for campaign_id, _ in truth}
    theirs_pairs = theirs.pairs
    missing = truth - theirs_pairs
    covered: set[Pair] = set()
    for entry in data_series_entries(theirs_log):
        query = entry["query"]
        ending = query.get("ending_at")
        first, last = BrazeData.window(int(query["length"]), parse_iso_datetime(ending) if ending else None, today)
        day = first
        while day <= last:
            covered.add((query["campaign_id"], day.isoformat()))
            day += timedelta(days=1)
    theirs_campaigns = {campaign_id for campaign_id, _ in theirs_pairs}
    missing_campaigns = truth_campaigns - theirs_campaigns
    return Coverage(
        truth=len(truth),
        ours=len(ours_pairs),
        theirs=len(theirs_pairs),
        ours_missing=len(truth - ours_pairs),
        ours_extra=len(ours_pairs - truth),
        ours_duplicates=ours_duplicates,
        theirs_missing=len(missing),
        theirs_extra=len(theirs_pairs - truth),
        theirs_duplicates=theirs.duplicate_pairs,
        theirs_missing_campaigns=len(missing_campaigns),
        theirs_unlisted_campaigns=len(missing_campaigns - theirs.ids),
        theirs_missing_not_requested=len(missing - covered),
        theirs_missing_requested=len(missing & covered),
        only_ours=len(ours_pairs - theirs_pairs),
        only_theirs=len(theirs_pairs - ours_pairs),
        truth_campaigns=len(truth_campaigns),
    )


def reclassified(results: Results) -> Results:
    """`results` with each profile classified again from its raw py-spy file, where it is still there
    (the rules of bench/profile.py may have changed since the run)."""
    for profile in results.profiles.values():
        raw = ROOT / profile["raw"]
        if raw.exists():
            found = analyse(raw)
            profile.update(
                samples=found.samples, by_activity=found.by_activity, top_ours=found.top_ours, hotspots=found.hotspots
            )
    threads = results.thread_profile
    if threads and (ROOT / threads["raw"]).exists():
        states = thread_states(ROOT / threads["raw"])
        threads["states"] = {group: counts.most_common() for group, counts in states.items()}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument("--full", action="store_true", help="also 1,000 campaigns at num_workers 1 (~12 min more)")
    parser.add_argument("--theirs", dest="theirs", action="store_true", default=None, help="run Airbyte's connector")
    parser.add_argument("--no-theirs", dest="theirs", action="store_false", help="skip Airbyte's connector")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--work", type=Path, default=WORK, help="scratch folder (default .bench/)")
    parser.add_argument(
        "--render", type=Path, help="only write the report again from a results.json (profiles re-classified)"
    )
    parser.add_argument(
        "--only",
        choices=("canvas", "targets13"),
        help="canvas: only `spec` and the canvas runs; targets13: only `spec` and part 8 (the targets of "
        "issue 13); their section replaces (or joins) the one in --out",
    )
    args = parser.parse_args(argv)
    if args.only:
        return only_part(args)
    existing = args.out.read_text() if args.out.exists() else None
    if args.render:
        saved = reclassified(Results.load(args.render))
        page = render(saved, "make bench" if saved.plan["name"] == "standard" else "python -m bench --quick")
        args.out.write_text(keep_hand_written(page, existing))
        return 0
    plan = QUICK if args.quick else FULL
    if args.full:
        plan = replace(plan, skip=())
    if args.quick and args.theirs:
        plan = replace(plan, theirs_campaigns=plan.campaigns[0])
    with_theirs = args.theirs if args.theirs is not None else not args.quick
    results = Bench(plan, args.out, with_theirs, args.work).run()
    command = "make bench" if not args.quick else "python -m bench --quick"
    if args.full:
        command = "python -m bench --full"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(keep_hand_written(render(results, command), existing))
    write_json(args.work / plan.name / "results.json", asdict(results))
    sys.stderr.write(f"bench done in {results.duration_s / 60:.1f} min; wrote {args.out}\n")
    return 0


def only_part(args: argparse.Namespace) -> int:
    """`--only canvas|targets13 [--quick]`: one part alone, written into --out without touching its other sections."""
    plan = QUICK if args.quick else FULL
    plan = replace(plan, name=f"{plan.name}-{args.only}")
    bench = Bench(plan, args.out, False, args.work)
    results = bench.run_canvases() if args.only == "canvas" else bench.run_targets13()
    command = f"python -m bench --only {args.only}" + (" --quick" if args.quick else "")
    existing = args.out.read_text() if args.out.exists() else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(part_page(results, command, existing, args.only))
    write_json(args.work / plan.name / "results.json", asdict(results))
    sys.stderr.write(f"{args.only} bench done in {results.duration_s / 60:.1f} min; wrote its section to {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

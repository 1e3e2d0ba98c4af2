"""docs/benchmarks.md from one benchmark run's results (markdown tables, targets met/missed)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.run import Floor, Results, Sync

FLOOR_TARGET = 1.2
CPU_TARGET = 0.5
ENDPOINTS = ("/campaigns/list", "/campaigns/details", "/campaigns/data_series")
STREAMS = ("campaigns", "campaigns_details", "campaigns_analytics", "campaigns_analytics_variations")
CANVAS_ENDPOINTS = ("/canvas/list", "/canvas/details", "/canvas/data_series")
CANVAS_ANALYTICS = ("canvases_analytics", "canvases_analytics_variants", "canvases_analytics_steps")
CANVAS_TITLE = "## 7. Canvases"
TARGETS13_TITLE = "## 8. The targets of issue 13"
WALL_TARGET_13 = 1.3  # wall time over the floor of the sync's own requests at the same concurrency
CPU_TARGET_13 = 2.0  # CPU per record over the plain loop's, printing the same records
PROJECTED = (100, 1_000, 10_000)  # campaigns of the "what to expect" projection


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def s(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def n(value: int | float) -> str:
    return f"{value:,.0f}"


def x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}x"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


class Report:
    def __init__(self, results: Results, command: str) -> None:
        self.r = results
        self.command = command
        self.startup = results.spec_median("ours")
        self.ours = [sync for sync in results.syncs if sync.connector == "ours"]

    # ------------------------------------------------------------------ helpers
    def syncs(self, *kinds: str) -> list[Sync]:
        return [sync for sync in self.ours if sync.kind in kinds]

    def without_startup(self, sync: Sync) -> float:
        """Wall time minus the median `spec` time (at least 10 ms: tiny runs are mostly start-up)."""
        startup = self.r.spec_median(sync.connector)
        return max(sync.wall_s - startup, 0.01)

    def ratio(self, sync: Sync, floor: Floor | None, startup: bool = True) -> float | None:
        if floor is None or floor.wall_s <= 0:
            return None
        wall = sync.wall_s if startup else self.without_startup(sync)
        return wall / floor.wall_s

    # ------------------------------------------------------------------ sections
    def render(self) -> str:
        parts = [
            self.head(),
            self.machine(),
            self.setup(),
            self.targets(),
            self.syncs_section(),
            self.floors(),
            self.cpu(),
            self.theirs(),
            self.spec(),
            self.zero_fill(),
            self.canvases(),
            self.targets13(),
            self.profile(),
            self.not_run(),
        ]
        return "\n\n".join(part for part in parts if part) + "\n"

    def head(self) -> str:
        r = self.r
        phases = ", ".join(f"{name}: {took:.0f} s" for name, took in r.phases if not name.startswith("set up"))
        return (
            "# Benchmarks\n\n"
            f"Written by `{self.command}` on {r.started_at}: do not edit by hand, run it again.\n"
            f"`make bench` runs `.venv/bin/python -m bench` (code: `bench/run.py`, "
            "`bench/floor.py`, `bench/`); raw numbers in "
            f"`.bench/{r.plan['name']}/results.json`.\n\n"
            f"Total duration: **{r.duration_s / 60:.1f} min** ({phases}; setting up Airbyte's connector's "
            "venv, when it is not there yet, comes before and is not counted)."
        )

    def machine(self) -> str:
        m = self.r.machine
        theirs = self.r.theirs_setup.get("chosen") if self.r.theirs_setup else None
        rows = [
            ("nproc", m["nproc"]),
            ("CPU", m["cpu"]),
            ("memory", m["memory"]),
            ("load average (1 / 5 / 15 min) before", m["load_before"]),
            ("load average (1 / 5 / 15 min) after", self.r.load_after),
            ("Python", m["python"]),
            ("source-braze-campaigns", f"{m['source-braze-campaigns']} (commit {m['commit']})"),
            ("airbyte-cdk", m["airbyte-cdk"]),
            ("requests / orjson / py-spy", f"{m['requests']} / {m['orjson']} / {m['py-spy']}"),
        ]
        if theirs:
            rows.append(
                (
                    "Airbyte's connector",
                    f"airbyte-source-braze 0.3.0 with airbyte-cdk {theirs['cdk_version']} on {theirs['python']}",
                )
            )
        return (
            "## Machine\n\n"
            + table(("", ""), rows)
            + "\n\nThe machine has 2 cores and other work may run on it at the same time (see the load average): "
            "each configuration runs once (the zero-latency CPU runs and the plain loop: best of "
            f"{self.r.plan['best_of']}), so read differences under ~15% as noise."
        )

    def setup(self) -> str:
        r = self.r
        p = r.plan
        return (
            "## Set-up\n\n"
            f"- Sandbox: `python -m braze_sandbox --seed 1 --campaigns N --days {p['days']} --today "
            f"{r.today} --latency-ms {p['latency_ms']:g}` in its own process (its CPU is not the connector's); every "
            f"API request waits {p['latency_ms']:g} ms before it is answered. Its per-day cache is warmed up "
            "before the timed runs.\n"
            f"- Data: {p['days']} days, start_date {r.start_date}, end_date = the sandbox's today = {r.today}. "
            "The incremental sync runs a day later: the sandbox's today (POST /_sandbox/today) and end_date move "
            "one day on, and the state is the last STATE message of each stream of the first sync.\n"
            "- This connector: the installed console script `source-braze-campaigns read` as a subprocess. Full "
            "catalog: campaigns and campaigns_details (full refresh), campaigns_analytics and "
            "campaigns_analytics_variations (incremental, append_dedup).\n"
            '- Wall time: from process start to exit, start-up included; "w/o start-up" subtracts the median '
            f"`spec` time of the same connector ({s(self.startup)} s for this one). Peak RSS: the child's "
            "VmHWM, read every 50 ms while it runs (not wait4's `ru_maxrss`, which on Linux includes the bench "
            "process's own size, carried over `exec`). CPU: user + system seconds of the connector process. "
            "Requests by endpoint and data_series in flight (the most at once): the sandbox's `/_sandbox/stats`, "
            "reset before each run.\n"
            "- Floor: `bench/floor.py` sends the data_series requests of the run (taken from the "
            "sandbox request log: same campaigns, same windows, same order) with a thread pool of the same size, "
            "one keep-alive session per thread, and does nothing else; its wall time excludes interpreter start-up."
        )

    def targets(self) -> str:
        rows = []
        for kinds, label in ((("first",), "first syncs"), (("incremental",), "incremental syncs")):
            ratios = [
                (self.ratio(sync, sync.floor), self.ratio(sync, sync.floor, False), sync) for sync in self.syncs(*kinds)
            ]
            rows.append(
                self.floor_target_row(
                    f"Within {FLOOR_TARGET}x of the floor at the same concurrency, whole sync, {label}", ratios
                )
            )
        ds = [
            (self.ratio(sync, sync.floor), self.ratio(sync, sync.floor, False), sync)
            for sync in self.syncs("data_series only")
        ]
        rows.append(
            self.floor_target_row(
                f"Within {FLOOR_TARGET}x of the floor, data_series only (campaigns_analytics alone)", ds
            )
        )
        loop = self.r.plain_loop
        for sync in self.syncs("cpu"):
            if loop is None:
                continue
            with_startup = (sync.total_records / sync.wall_s) / (loop.records / loop.process_wall_s)
            without = (sync.total_records / self.without_startup(sync)) / (loop.records / loop.wall_s)
            rows.append(
                (
                    f"CPU, zero latency, num_workers {sync.workers}: "
                    f"records/s at least {CPU_TARGET} of the plain loop's",
                    f"{with_startup:.2f} of it with start-up (both processes whole), {without:.2f} without",
                    verdict(with_startup >= CPU_TARGET) + (" (w/o start-up: " + verdict(without >= CPU_TARGET) + ")"),
                )
            )
        cov = self.r.coverage
        if cov is not None:
            ok = cov.ours_missing == 0 and cov.ours_duplicates == 0 and cov.ours_extra == 0
            rows.append(
                (
                    "This connector misses no (campaign, day) of the ground truth, with no duplicate",
                    f"{cov.ours_missing} missed, {cov.ours_duplicates} duplicated, "
                    f"{cov.ours_extra} extra, of {n(cov.truth)}",
                    verdict(ok),
                )
            )
        return "## Targets\n\n" + table(("target", "measured", "verdict"), rows)

    def floor_target_row(
        self, label: str, ratios: list[tuple[float | None, float | None, Sync]]
    ) -> tuple[str, str, str]:
        known = [(a, b, sync) for a, b, sync in ratios if a is not None and b is not None]
        if not known:
            return (label, "not measured", verdict(None))
        worst = max(known, key=lambda item: item[0])
        best = min(known, key=lambda item: item[0])
        met = [f"{sync.campaigns:,}/w{sync.workers}" for a, _, sync in known if a <= FLOOR_TARGET]
        measured = (
            f"{best[0]:.2f}x ({best[2].campaigns:,} campaigns, w{best[2].workers}) to {worst[0]:.2f}x "
            f"({worst[2].campaigns:,}, w{worst[2].workers}); w/o start-up {min(b for _, b, _ in known):.2f}x to "
            f"{max(b for _, b, _ in known):.2f}x; met in {', '.join(met) if met else 'none'}"
        )
        with_startup = verdict(all(a <= FLOOR_TARGET for a, _, _ in known))
        without = verdict(all(b <= FLOOR_TARGET for _, b, _ in known))
        return (label, measured, f"{with_startup} (w/o start-up: {without})")

    def syncs_section(self) -> str:
        header = (
            "campaigns", "num_workers", "sync", "wall s", "w/o start-up s", "list req", "details req",
            "data_series req", "campaigns rec", "details rec", "analytics rec", "variations rec", "records/s",
            "peak RSS MB", "CPU s", "data_series in flight", "exit",
        )  # fmt: skip
        rows = []
        for sync in self.syncs("first", "incremental"):
            rows.append(
                (
                    n(sync.campaigns), sync.workers, sync.kind, s(sync.wall_s), s(self.without_startup(sync)),
                    *(n(sync.requests.get(endpoint, 0)) for endpoint in ENDPOINTS),
                    *(n(sync.records.get(stream, 0)) for stream in STREAMS),
                    n(sync.total_records / sync.wall_s), f"{sync.max_rss_mb:.0f}", s(sync.cpu_s), sync.max_in_flight,
                    sync.returncode if not sync.errors else f"{sync.returncode} ({sync.errors[0][:60]})",
                )
            )  # fmt: skip
        return (
            f"## 1. This connector, full catalog, {self.r.plan['latency_ms']:g} ms a request\n\n"
            + table(header, rows)
            + "\n\nrecords/s = records of all four streams / wall time (start-up included)."
        )

    def floors(self) -> str:
        header = (
            "campaigns", "num_workers", "sync", "data_series req", "connector s", "floor s", "ratio",
            "ratio w/o start-up", "floor of every request s", "ratio to that", "floor data_series in flight",
        )  # fmt: skip
        rows = []
        for sync in self.syncs("first", "incremental"):
            floor = sync.floor
            rows.append(
                (
                    n(sync.campaigns), sync.workers, sync.kind, n(floor.requests if floor else 0), s(sync.wall_s),
                    s(floor.wall_s) if floor else "–", x(self.ratio(sync, floor)), x(self.ratio(sync, floor, False)),
                    s(sync.floor_all.wall_s) if sync.floor_all else "–", x(self.ratio(sync, sync.floor_all)),
                    floor.max_in_flight if floor else "–",
                )
            )  # fmt: skip
        ds_rows = []
        for sync in self.syncs("data_series only"):
            floor = sync.floor
            ds_rows.append(
                (
                    n(sync.campaigns), sync.workers, n(floor.requests if floor else 0), n(sync.total_records),
                    s(sync.wall_s), s(self.without_startup(sync)),
                    (s(floor.wall_s) + (" *" if floor.reused else "")) if floor else "–",
                    x(self.ratio(sync, floor)), x(self.ratio(sync, floor, False)), sync.max_in_flight,
                    f"{sync.max_rss_mb:.0f}",
                )
            )  # fmt: skip
        return (
            f"## 2. The floor (target: connector within {FLOOR_TARGET}x)\n\n"
            "### Whole sync\n\n"
            "The connector also sends /campaigns/list and /campaigns/details requests that the floor does not; "
            '"floor of every request" replays all of the run\'s requests (list, details and data_series, same '
            "order, same pool size) to show how much of the gap they explain.\n\n"
            + table(header, rows)
            + "\n\n### data_series only\n\n"
            "The connector with campaigns_analytics alone selected (first sync; it still reads /campaigns/list "
            "for its partitions) against the floor of its own data_series requests. * = the same requests as the "
            "full-catalog first sync at the same num_workers: that floor is reused, not timed again.\n\n"
            + table(
                (
                    "campaigns",
                    "num_workers",
                    "data_series req",
                    "records",
                    "connector s",
                    "w/o start-up s",
                    "floor s",
                    "ratio",
                    "ratio w/o start-up",
                    "data_series in flight",
                    "peak RSS MB",
                ),
                ds_rows,
            )  # fmt: skip
        )

    def cpu(self) -> str:
        loop = self.r.plain_loop
        if loop is None:
            return ""
        rows = [
            (
                "plain loop (requests + json, 1 thread)", "–", s(loop.process_wall_s), s(loop.wall_s), n(loop.records),
                n(loop.records / loop.process_wall_s), n(loop.records / loop.wall_s), "1.00", "1.00", "–", "–",
            )
        ]  # fmt: skip
        for sync in self.syncs("cpu"):
            with_startup = sync.total_records / sync.wall_s
            without = sync.total_records / self.without_startup(sync)
            rows.append(
                (
                    "source-braze-campaigns, campaigns_analytics only", sync.workers, s(sync.wall_s),
                    s(self.without_startup(sync)), n(sync.total_records), n(with_startup), n(without),
                    f"{with_startup / (loop.records / loop.process_wall_s):.2f}",
                    f"{without / (loop.records / loop.wall_s):.2f}", f"{sync.max_rss_mb:.0f}", s(sync.cpu_s),
                )
            )  # fmt: skip
        same = self.r.cpu_same_requests
        return (
            f"## 3. CPU cost at zero latency ({loop.campaigns} campaigns x {self.r.plan['days']} days)\n\n"
            "The plain loop (`bench/plain_loop.py`) replays the connector's own "
            f"{n(loop.requests)} requests (list pages, then every data_series window) on one session, "
            "parses each body with `json`, "
            'adds campaign_id to each day and prints a RECORD line per day (`json.dumps`). Its "w/o start-up" '
            "time is measured inside the script; the connector's subtracts the median `spec` time "
            f"({s(self.startup)} s).\n\n"
            + table(
                (
                    "run",
                    "num_workers",
                    "wall s",
                    "w/o start-up s",
                    "records",
                    "records/s",
                    "records/s w/o start-up",
                    "share of loop's records/s",
                    "share w/o start-up",
                    "peak RSS MB",
                    "CPU s",
                ),
                rows,
            )  # fmt: skip
            + f"\n\nThe connector runs sent the same data_series requests: {'yes' if same else 'no'}. "
            f"Plain loop runs (inside the script): {', '.join(s(w) for w in loop.runs)} s."
        )

    def theirs(self) -> str:
        setup = self.r.theirs_setup
        if setup is None:
            return "## 4. Airbyte's source-braze\n\nNot run in this mode (`--theirs` to include it)."
        attempts = table(
            ("Python", "requirements", "airbyte-cdk", "result"),
            [
                (a["python"], " ".join(a["requirements"]), a["cdk_version"] or "–", a["result"].replace("|", "/"))
                for a in setup["attempts"]
            ],
        )
        parts = [
            "## 4. Airbyte's source-braze (PyPI `airbyte-source-braze`)\n\n"
            "PyPI has one version, 0.3.0; its metadata asks for `airbyte-cdk` with no version. Set up in "
            "`.venv-bench-braze` (`bench/their_connector.py`), trying until one reads:\n\n"
            + attempts
            + "\n\nAlso seen while preparing this bench (Python 3.10): airbyte-cdk 1.8.0 (the `^1` pin of its "
            "later 0.3.1) fails the read with `'NoneType' object has no attribute 'eval'` (its custom slicer "
            "reads `partition_field_start`, private since CDK 0.68.2), and 0.68.1 with `unhashable type: "
            "'InterpolatedString'` (`RequestOption.field_name` interpolated since 0.66). CDK 0.65.0 is the newest "
            "it runs on, and no CDK that old imports on Python 3.11."
        ]
        if self.r.theirs_note:
            parts.append(self.r.theirs_note)
        theirs = [sync for sync in self.r.syncs if sync.connector == "theirs"]
        if theirs:
            parts.append(self.theirs_runs(theirs[0]))
        if self.r.coverage is not None:
            parts.append(self.coverage())
        return "\n\n".join(parts)

    def theirs_runs(self, theirs: Sync) -> str:
        header = (
            "run", "num_workers", "wall s", "w/o start-up s", "list req", "details req", "data_series req",
            "campaigns rec", "analytics rec", "all records", "records/s", "peak RSS MB", "CPU s",
            "data_series in flight",
        )  # fmt: skip
        candidates = [
            (f"this connector, campaigns_analytics only (w{sync.workers})", sync)
            for sync in self.syncs("data_series only")
            if sync.campaigns == theirs.campaigns
        ] + [
            (f"this connector, full catalog, first sync (w{sync.workers})", sync)
            for sync in self.syncs("first")
            if sync.campaigns == theirs.campaigns
        ]
        rows = [self.theirs_row("Airbyte's source-braze 0.3.0 (campaigns + campaigns_analytics)", theirs)]
        rows += [self.theirs_row(label, sync) for label, sync in candidates]
        ratio_rows = []
        for label, sync in candidates:
            ratio_rows.append(
                (
                    label,
                    x(sync.wall_s / theirs.wall_s),
                    x(
                        sync.requests.get("/campaigns/data_series", 0)
                        / max(theirs.requests.get("/campaigns/data_series", 0), 1)
                    ),
                    x(
                        sync.records.get("campaigns_analytics", 0)
                        / max(theirs.records.get("campaigns_analytics", 0), 1)
                    ),
                    x((sync.total_records / sync.wall_s) / max(theirs.total_records / theirs.wall_s, 1e-9)),
                    x(sync.max_rss_mb / max(theirs.max_rss_mb, 1e-9)),
                )
            )
        floor = theirs.floor
        floor_line = (
            f"Airbyte's connector sends one request at a time; the floor of its own {n(floor.requests)} data_series "
            f"requests at 1 worker is {s(floor.wall_s)} s, so it runs at {theirs.wall_s / floor.wall_s:.2f}x its floor."
            if floor
            else ""
        )
        return (
            f"### Runs ({n(theirs.campaigns)} campaigns, {self.r.plan['days']} days, "
            f"{self.r.plan['latency_ms']:g} ms a request)\n\n"
            + table(header, rows)
            + "\n\n"
            + floor_line
            + "\n\n### Ratios ours / theirs\n\n"
            + table(
                ("ours", "wall time", "data_series requests", "analytics records", "records/s", "peak RSS"), ratio_rows
            )
            + "\n\nBelow 1.00x: ours is faster / sends fewer requests / uses less memory; analytics records above "
            "1.00x: ours emits more (campaign, day) rows."
        )

    def theirs_row(self, label: str, sync: Sync) -> tuple[Any, ...]:
        return (
            label, sync.workers, s(sync.wall_s), s(self.without_startup(sync)),
            *(n(sync.requests.get(endpoint, 0)) for endpoint in ENDPOINTS),
            n(sync.records.get("campaigns", 0)), n(sync.records.get("campaigns_analytics", 0)), n(sync.total_records),
            n(sync.total_records / sync.wall_s), f"{sync.max_rss_mb:.0f}", s(sync.cpu_s), sync.max_in_flight,
        )  # fmt: skip

    def coverage(self) -> str:
        c = self.r.coverage
        assert c is not None
        rows = [
            ("ground truth: (campaign, day) pairs with data in [start_date, today]", n(c.truth), "–"),
            ("campaigns with data", n(c.truth_campaigns), "–"),
            ("pairs emitted (distinct)", n(c.ours), n(c.theirs)),
            ("pairs of the ground truth missed", n(c.ours_missing), n(c.theirs_missing)),
            ("... campaigns with no day at all", "–", n(c.theirs_missing_campaigns)),
            ("... of which its campaigns stream did not list", "–", n(c.theirs_unlisted_campaigns)),
            ("... missed days that no request covered", "–", n(c.theirs_missing_not_requested)),
            ("... missed days inside a requested window", "–", n(c.theirs_missing_requested)),
            ("pairs not in the ground truth", n(c.ours_extra), n(c.theirs_extra)),
            ("duplicated pairs (same campaign and day twice)", n(c.ours_duplicates), n(c.theirs_duplicates)),
            ("pairs only this connector emitted / only Airbyte's", n(c.only_ours), n(c.only_theirs)),
        ]
        return (
            "### campaigns_analytics (campaign, day) pairs against the sandbox's ground truth\n\n"
            "Ground truth: `BrazeData.expected_days` for every campaign (archived ones included). This connector: "
            "its first full-catalog sync of the same sandbox.\n\n"
            + table(("", "this connector", "Airbyte's source-braze"), rows)
        )

    def spec(self) -> str:
        rows = [
            (connector, s(self.r.spec_median(connector)), ", ".join(s(t) for t in times))
            for connector, times in self.r.spec_s.items()
        ]
        return "## 5. `spec` start-up\n\n" + table(("connector", "median s", "runs s"), rows)

    def profile(self) -> str:
        if not self.r.profiles and not self.r.profile_note and not self.r.thread_profile:
            return ""
        parts = [
            "## Profile\n\n"
            "Taken because targets are missed. CPU: `py-spy record --gil -f raw -r 100` of the connector at zero "
            "latency, num_workers 1, on the CPU sandbox. Each sample goes to the first activity whose rule matches "
            "its stack, in the order listed (`bench/profile.py`): start-up first, then this "
            "project's code (`source_braze_campaigns/*` and whatever it calls), then the CDK's. Hot spots are "
            'inclusive (a sample counts for every hot spot on its stack); "ours (manifest) -> CDK" is CDK code '
            "that runs because of a choice in our manifest."
        ]
        if self.r.profile_note:
            parts.append(self.r.profile_note)
        for name, profile in self.r.profiles.items():
            parts.append(self.cpu_profile(name, profile))
        if self.r.thread_profile:
            parts.append(self.threads(self.r.thread_profile))
        return "\n\n".join(parts)

    def cpu_profile(self, name: str, profile: dict[str, Any]) -> str:
        total = max(profile["samples"], 1)

        def share(count: int) -> str:
            return f"{100 * count / total:.1f}%"

        activities = profile["by_activity"]
        startup = sum(count for activity, count in activities if activity.startswith("start-up"))
        ours = sum(count for activity, count in activities if activity.startswith("ours"))
        cdk = sum(count for activity, count in activities if activity.startswith("CDK"))
        rows = [(activity, share(count)) for activity, count in activities]
        hot = [(label, owner, share(count)) for label, owner, count in profile.get("hotspots", [])]
        ours_frames = ", ".join(f"`{frame}` {share(count)}" for frame, count in profile["top_ours"]) or "–"
        return (
            f"### CPU, {name}: {n(profile['records'])} records, {s(profile['wall_s'])} s under py-spy, "
            f"{n(profile['samples'])} samples (`{profile['raw']}`)\n\n"
            f"Start-up {share(startup)}, ours {share(ours)}, CDK {share(cdk)}.\n\n"
            + table(("activity", "share of samples"), rows)
            + ("\n\n" + table(("hot spot (inclusive)", "whose", "share of samples"), hot) if hot else "")
            + f"\n\nOur heaviest functions (inclusive): {ours_frames}."
            + self.without_ours(name, (ours, cdk, total - startup))
        )

    def without_ours(self, name: str, samples: tuple[int, int, int]) -> str:
        """What the CPU target would need, for the profile of the CPU runs (campaigns_analytics, num_workers 1)."""
        ours, cdk, after_startup = samples
        loop = self.r.plain_loop
        cpu = [sync for sync in self.syncs("cpu") if sync.workers == 1]
        if "campaigns_analytics only" not in name or loop is None or not cpu or after_startup <= 0:
            return ""
        measured = (cpu[0].total_records / self.without_startup(cpu[0])) / (loop.records / loop.wall_s)
        bound = measured / (1 - ours / after_startup)
        outcome = "still short of" if bound < CPU_TARGET else "enough for"
        return (
            f"\n\nWithout start-up the connector reads {measured:.2f} of the plain loop's records/s. Our code is "
            f"{100 * ours / after_startup:.1f}% of the samples after start-up: with none of it the connector would "
            f"reach at most {bound:.2f}, {outcome} the {CPU_TARGET} target. The CDK's share is "
            f"{100 * cdk / after_startup:.1f}%, most of it per record (the hot spots above)."
        )

    def threads(self, profile: dict[str, Any]) -> str:
        groups = {group: dict(states) for group, states in profile["states"].items()}
        names = [group for group in ("worker threads", "main thread") if group in groups]
        totals = {group: max(sum(groups[group].values()), 1) for group in names}
        states: list[str] = []
        for group in names:
            states += [state for state in groups[group] if state not in states]
        states.sort(key=lambda state: -sum(groups[g].get(state, 0) / totals[g] for g in names))
        rows = [
            (state, *(f"{100 * groups[group].get(state, 0) / totals[group]:.1f}%" for group in names))
            for state in states
        ]
        waiting = groups.get("worker threads", {}).get("waiting: socket read (a request in flight)", 0)
        busy_share = waiting / totals.get("worker threads", 1)
        workers = profile["workers"]
        return (
            f"### Threads, full catalog at {self.r.plan['latency_ms']:g} ms: {n(profile['campaigns'])} campaigns, "
            f"num_workers {workers}, {s(profile['wall_s'])} s under py-spy (`{profile['raw']}`)\n\n"
            "`py-spy record --idle --threads`: the share of each thread group's samples in each state.\n\n"
            + table(("state", *names), rows)
            + f"\n\nA worker thread has a request in flight {100 * busy_share:.0f}% of the time: on average "
            f"{busy_share * workers:.1f} of the {workers} workers are waiting on Braze, the rest of the time they "
            "run the CDK's per-response and per-record work before they send their next request. That, more than "
            "the main thread, is why a sync at a given num_workers is slower than the floor of its requests."
        )

    def zero_fill(self) -> str:
        from bench.zero_fill import ZeroFill, section

        return section(ZeroFill(**self.r.zero_fill)) if self.r.zero_fill else ""

    def canvases(self, alone: bool = False) -> str:
        """Part 6: the Canvas streams' first and incremental syncs against ceil(days / 14) and their floor."""
        runs = self.syncs("canvas first", "canvas incremental")
        if not runs:
            return ""
        r, p = self.r, self.r.plan
        days = p["days"]
        planned = -(-days // 14)
        provenance = (
            f"Measured by `{self.command}` on {r.started_at} (load average before {r.machine['load_before']}, "
            f"after {r.load_after}; `spec` median {s(self.startup)} s); the other sections of this page come from "
            "the run named at the top."
            if alone
            else f"Measured in this run; `spec` median {s(self.startup)} s."
        )
        header = (
            "num_workers", "sync", "wall s", "w/o start-up s", "list req", "details req", "data_series req",
            "data_series req per canvas", "days per canvas", "ceil(days / 14)", "canvases off plan",
            "days read twice", "analytics rec", "ground truth (canvas, day)", "variants rec", "steps rec",
            "records/s", "peak RSS MB", "CPU s", "data_series in flight", "exit",
        )  # fmt: skip
        rows = []
        for sync in runs:
            w = sync.windows or {}
            rows.append(
                (
                    sync.workers, sync.kind.removeprefix("canvas "), s(sync.wall_s), s(self.without_startup(sync)),
                    *(n(sync.requests.get(endpoint, 0)) for endpoint in CANVAS_ENDPOINTS),
                    _spread(w.get("requests")), _spread(w.get("days")), _spread(w.get("planned")),
                    w.get("off_plan", "–"), n(w.get("days_read_twice", 0)),
                    n(sync.records.get(CANVAS_ANALYTICS[0], 0)),
                    n(sync.truth_days) if sync.truth_days is not None else "–",
                    *(n(sync.records.get(stream, 0)) for stream in CANVAS_ANALYTICS[1:]),
                    n(sync.total_records / sync.wall_s), f"{sync.max_rss_mb:.0f}", s(sync.cpu_s), sync.max_in_flight,
                    sync.returncode if not sync.errors else f"{sync.returncode} ({sync.errors[0][:60]})",
                )
            )  # fmt: skip
        floor_rows = []
        for sync in runs:
            floor = sync.floor
            floor_rows.append(
                (
                    sync.workers, sync.kind.removeprefix("canvas "), n(floor.requests if floor else 0), s(sync.wall_s),
                    s(floor.wall_s) if floor else "–", x(self.ratio(sync, floor)), x(self.ratio(sync, floor, False)),
                    floor.max_in_flight if floor else "–",
                )
            )  # fmt: skip
        target = self.canvas_target(runs)
        return (
            f"{CANVAS_TITLE}: {n(runs[0].canvases)} canvases x {days} days, {p['latency_ms']:g} ms a request\n\n"
            f"{provenance}\n\n"
            f"- Sandbox: as above with `--canvases {runs[0].canvases} --campaigns 1`; config `replicate: canvases`; "
            "catalog: the seven Canvas streams (canvases_analytics, canvases_analytics_variants and "
            "canvases_analytics_steps incremental, append_dedup; the others full refresh). Nothing is warmed up: "
            "the sandbox computes each canvas day on request.\n"
            f"- Braze's /canvas/data_series serves at most 14 days a request: a first sync of {days} days is "
            f"ceil({days} / 14) = {planned} requests per canvas. Per canvas, from the sandbox request log: its "
            'requests, the distinct days they covered, ceil(those days / 14); "off plan" = canvases whose request '
            'count differs from it, "days read twice" = (canvas, day) pairs covered by more than one request. '
            "The three analytics streams share one response cache, so each window reaches Braze once.\n"
            "- The incremental sync runs a day later with the first sync's state (lookback 30 days, the default); "
            "ground truth (canvas, day) = `CanvasData.expected_days` over start_date..today.\n"
            "- Floor: `bench/floor.py` replays the run's /canvas/data_series requests at the same num_workers.\n\n"
            + table(header, rows)
            + "\n\n### Against the floor\n\n"
            + table(
                (
                    "num_workers",
                    "sync",
                    "data_series req",
                    "connector s",
                    "floor s",
                    "ratio",
                    "ratio w/o start-up",
                    "floor data_series in flight",
                ),
                floor_rows,
            )  # fmt: skip
            + "\n\n"
            + table(("target", "measured", "verdict"), [target])
        )

    def canvas_target(self, runs: list[Sync]) -> tuple[str, str, str]:
        label = f"Within {FLOOR_TARGET}x of the floor at the same concurrency, Canvas streams"
        known = [(a, b, sync) for sync in runs if (a := self.ratio(sync, sync.floor)) is not None
                 and (b := self.ratio(sync, sync.floor, False)) is not None]  # fmt: skip
        if not known:
            return (label, "not measured", verdict(None))
        parts = [f"{sync.kind.removeprefix('canvas ')} w{sync.workers}: {a:.2f}x ({b:.2f}x w/o start-up)"
                 for a, b, sync in known]  # fmt: skip
        with_startup = verdict(all(a <= FLOOR_TARGET for a, _, _ in known))
        without = verdict(all(b <= FLOOR_TARGET for _, b, _ in known))
        return (label, "; ".join(parts), f"{with_startup} (w/o start-up: {without})")

    def targets13(self) -> str:
        return Targets13(self).render(alone=False)

    def not_run(self) -> str:
        if not self.r.skipped:
            return ""
        lines = ["## Not run by default"]
        for label in self.r.skipped:
            lines.append(f"- {label}: {self.estimate(label)}")
        return "\n\n".join(lines)

    def estimate(self, label: str) -> str:
        reference = [sync for sync in self.syncs("first", "incremental") if sync.workers == 1]
        if not reference:
            return "run `python -m bench --full` to include it."
        smallest = min(sync.campaigns for sync in reference)
        scale = 1000 / smallest
        first = next(sync for sync in reference if sync.kind == "first" and sync.campaigns == smallest)
        incremental = next(sync for sync in reference if sync.kind == "incremental" and sync.campaigns == smallest)
        estimate = (self.without_startup(first) + self.without_startup(incremental)) * scale + 2 * self.startup
        return (
            f"the {smallest}-campaign runs at num_workers 1 scaled by {scale:.0f} give about {estimate / 60:.0f} min "
            "(first + incremental sync, requests are sequential at 100 ms), more than a third of the bench's budget "
            "on its own; `python -m bench --full` includes it."
        )


def _spread(values: list[int] | None) -> str:
    """`[min, max]` over canvases as one figure when equal, else "min–max"."""
    if not values:
        return "–"
    low, high = values
    return n(low) if low == high else f"{n(low)}–{n(high)}"


class Targets13:
    """Part 8 of the report: the targets of issue 13, the runs behind them, and the projection."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.r = report.r
        self.campaigns, self.workers = self.r.plan.get("targets13") or (0, 0)
        self.days = int(self.r.plan["days"])

    def run(self, kind: str) -> Sync | None:
        return next(iter(self.report.syncs(kind)), None)

    def render(self, alone: bool) -> str:
        latency = self.run("13 first full"), self.run("13 incremental full"), self.run("13 first daily")
        if not any(latency):
            return ""
        head = (
            f"{TARGETS13_TITLE} ({n(self.campaigns)} campaigns x {self.days} days, "
            f"{self.r.plan['latency_ms']:g} ms a request, num_workers {self.workers})\n\n"
        )
        if alone:
            head += (
                f"Written by `{self.report.command}` on {self.r.started_at}, "
                f"with `spec` start-up {s(self.report.startup)} s.\n\n"
            )
        synced = [sync for sync in latency if sync]
        parts = (self.targets(synced), self.runs(synced), self.cpu(), self.cpu_budget(), self.projection())
        return head + "\n\n".join(part for part in parts if part)

    def targets(self, latency: list[Sync]) -> str:
        rows = []
        for sync in latency:
            ratio = self.report.ratio(sync, sync.floor_all)
            without = self.report.ratio(sync, sync.floor_all, startup=False)
            ds_only = self.report.ratio(sync, sync.floor)
            label = sync.kind.removeprefix("13 ").replace("full", "full catalog")
            label = label.replace("daily", "campaigns_analytics alone")
            rows.append((
                f"{label}: wall <= {WALL_TARGET_13}x the floor of all its own requests",
                f"{x(ratio)} ({x(without)} w/o start-up; {x(ds_only)} of the data_series-only floor)",
                verdict(None if ratio is None else ratio <= WALL_TARGET_13),
            ))  # fmt: skip
        first = self.run("13 first full")
        incremental = self.run("13 incremental full")
        if first and incremental:
            per_campaign = -(-self.days // 100)
            asked = tuple(sync.requests.get("/campaigns/data_series", 0) for sync in (first, incremental))
            rows.append((
                f"data_series requests: ceil({self.days} / 100) = {per_campaign} per campaign first, 1 incremental",
                f"{n(asked[0])} and {n(asked[1])} for {n(first.campaigns)} campaigns",
                verdict(asked == (per_campaign * first.campaigns, first.campaigns)),
            ))  # fmt: skip
        for label in ("daily", "full"):
            sync, loop = self.run(f"13 cpu {label}"), self.r.plain_loops13.get(label)
            if sync is None or loop is None or not loop.records or not sync.total_records:
                continue
            ratio = (sync.cpu_s / sync.total_records) / (loop.cpu_s / loop.records)
            rows.append((
                f"CPU per record, {'campaigns_analytics alone' if label == 'daily' else 'full catalog'}, "
                f"<= {CPU_TARGET_13}x the plain loop's",
                f"{ratio:.2f}x ({1e6 * sync.cpu_s / sync.total_records:.0f} vs {1e6 * loop.cpu_s / loop.records:.0f} "
                f"us a record; {n(sync.total_records)} and {n(loop.records)} records)",
                verdict(ratio <= CPU_TARGET_13 and sync.total_records == loop.records),
            ))  # fmt: skip
        return table(("target", "measured", "verdict"), rows)

    def runs(self, latency: list[Sync]) -> str:
        rows = []
        for sync in latency:
            floor_all = sync.floor_all.wall_s if sync.floor_all else None
            floor = sync.floor.wall_s if sync.floor else None
            rows.append((
                sync.kind.removeprefix("13 "), s(sync.wall_s), s(self.report.without_startup(sync)),
                "–" if floor_all is None else s(floor_all), "–" if floor is None else s(floor),
                " / ".join(n(sync.requests.get(endpoint, 0)) for endpoint in ENDPOINTS),
                n(sync.total_records), s(sync.cpu_s), f"{sync.max_rss_mb:.0f}", sync.max_in_flight,
            ))  # fmt: skip
        return (
            "Floors (`bench/floor.py`): the run's own requests, from the sandbox log, sent at the same "
            "concurrency doing nothing else; \"all\" is every request (list, details, data_series), the target's.\n\n"
            + table(("sync", "wall s", "w/o start-up s", "floor, all s", "floor, data_series s",
                     "list / details / data_series req", "records", "CPU s", "peak RSS MB", "data_series in flight"),
                    rows)
        )  # fmt: skip

    def cpu(self) -> str:
        rows = []
        for label in ("daily", "full"):
            sync, loop = self.run(f"13 cpu {label}"), self.r.plain_loops13.get(label)
            if sync is None or loop is None:
                continue
            per_record = f"{1e6 * sync.cpu_s / max(sync.total_records, 1):.0f}"
            rows.append((", ".join(loop.streams), "source-braze-campaigns, num_workers 1", s(sync.wall_s),
                         n(sync.total_records), s(sync.cpu_s), per_record))  # fmt: skip
            rows.append(("", "plain loop", s(loop.process_wall_s), n(loop.records), s(loop.cpu_s),
                         f"{1e6 * loop.cpu_s / max(loop.records, 1):.0f}"))  # fmt: skip
            parsed, path = self.r.parse_only13.get(label), self.r.cdk_paths13.get(label)
            if parsed is not None:
                rows.append(("", "plain loop, fetch and parse only (`--parse-only`)", s(parsed.process_wall_s), "0",
                             s(parsed.cpu_s), "–"))  # fmt: skip
            if path is not None:
                per_record = f"{1e6 * path.cpu_s / max(path.records, 1):.0f}"
                rows.append(("", "the CDK's record path alone (`bench/cdk_floor.py`), start-up excluded", "–",
                             n(path.records), s(path.cpu_s), per_record))  # fmt: skip
        if not rows:
            return ""
        return (
            "CPU at zero latency: the connector (best of the runs by CPU) and the plain loop "
            "(`bench/plain_loop.py --streams ...`) replaying the connector's requests and printing the same "
            "records, each data_series response parsed once for both analytics streams. CPU is user + system "
            "seconds of the whole process, start-up included, for both.\n\n"
            + table(("streams", "run", "wall s", "records", "CPU s", "CPU us a record"), rows)
        )

    def cpu_budget(self) -> str:
        """What the CPU target leaves once the work no connector on the CDK can skip is paid, each part measured."""
        startup = self.r.spec_cpu_median("ours")
        rows = []
        for label in ("daily", "full"):
            sync, loop = self.run(f"13 cpu {label}"), self.r.plain_loops13.get(label)
            parsed, path = self.r.parse_only13.get(label), self.r.cdk_paths13.get(label)
            if sync is None or loop is None or parsed is None or path is None or startup is None or not loop.cpu_s:
                continue
            floor = parsed.cpu_s + path.cpu_s
            rows.append((
                "campaigns_analytics alone" if label == "daily" else "full catalog", s(loop.cpu_s), s(startup),
                s(parsed.cpu_s), s(path.cpu_s), f"{x((startup + floor) / loop.cpu_s)} ({x(floor / loop.cpu_s)})",
                s(CPU_TARGET_13 * loop.cpu_s - startup - floor),
                f"{x(sync.cpu_s / loop.cpu_s)} ({x((sync.cpu_s - startup) / loop.cpu_s)})",
            ))  # fmt: skip
        if not rows:
            return ""
        return (
            "What the CPU target leaves, in CPU seconds of the runs above: the connector's start-up (median CPU of "
            "its `spec` processes), fetching and parsing every response (the plain loop with `--parse-only`) and the "
            "CDK's record path alone (the connector's own records handed to the CDK's `launch` from memory by a "
            "retriever that does nothing else: the partition reader and its queue, the read processor, the "
            "entrypoint's record counts, serialization and the print buffer). A connector built on the CDK pays "
            "all three before its requests go through the CDK's HTTP client (request options, retries, rate "
            "limits, the error handler), its records through a retriever, a record selector and a cursor, and "
            "its windows through partitions; what is left of 2x the plain loop is all those can take. In "
            "brackets: the same without start-up (the plain loop's own start-up, about 0.1 s, left in).\n\n"
            + table(("streams", "plain loop s", "start-up s", "fetch and parse s", "CDK record path s",
                     "all three / plain loop", f"left of {CPU_TARGET_13:g}x s", "connector / plain loop"), rows)
        )  # fmt: skip

    def projection(self) -> str:
        first = self.run("13 first full")
        incremental = self.run("13 incremental full")
        if not first or not incremental or not first.campaigns:
            return ""
        startup = self.report.startup
        rows = []
        for campaigns in PROJECTED:
            scale = campaigns / first.campaigns
            times = [startup + self.report.without_startup(sync) * scale for sync in (first, incremental)]
            requests = [sum(sync.requests.get(endpoint, 0) for endpoint in ENDPOINTS) * scale
                        for sync in (first, incremental)]  # fmt: skip
            rows.append((n(campaigns), _duration(times[0]), f"about {n(requests[0])}", _duration(times[1]),
                         f"about {n(requests[1])}"))  # fmt: skip
        return (
            f"What to expect (full catalog, {self.days} days of history, num_workers {self.workers}, "
            f"{self.r.plan['latency_ms']:g} ms a request): the {n(first.campaigns)}-campaign runs above scaled "
            "linearly by the number of campaigns (start-up once). Assumes Braze answers as fast as the sandbox "
            "here, campaigns as active as the sandbox's, no 429, and a machine like this one.\n\n"
            + table(("campaigns", "first sync", "requests", "daily sync", "requests"), rows)
        )


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def render(results: Results, command: str) -> str:
    return Report(results, command).render()


# A section's text from this line on is not the run's: the bench keeps it when it writes the section again.
HAND_WRITTEN = "<!-- hand-written below: kept when bench rewrites this section -->"


def _sections(page: str) -> list[str]:
    """The page cut before each `## ` title: the head, then one piece per section."""
    return re.split(r"(?m)^(?=## )", page)


def _section_key(piece: str) -> str:
    """A section's title without the run's sizes: a numbered part is its number ("## 8."), since its title
    names the campaigns, days and latency of the run that wrote it."""
    title = piece.split("\n", 1)[0]
    numbered = re.match(r"## \d+\.", title)
    return numbered.group(0) if numbered else title


def keep_hand_written(page: str, old: str | None) -> str:
    """`page` with the hand-written notes of `old` (each section's text from HAND_WRITTEN on) added back
    to the same section, where the page does not have them already."""
    if not old:
        return page
    notes = {
        _section_key(piece): piece[piece.find(HAND_WRITTEN) :].strip("\n")
        for piece in _sections(old)
        if HAND_WRITTEN in piece
    }
    pieces = []
    for piece in _sections(page):
        title = _section_key(piece)
        if title in notes and HAND_WRITTEN not in piece:
            body = piece.rstrip("\n")
            piece = body + "\n\n" + notes[title] + (piece[len(body) :] or "\n")
        pieces.append(piece)
    return "".join(pieces)


def part_page(results: Results, command: str, page: str | None, part: str) -> str:
    """`page` (the report of an earlier run) with the section of `part` ("canvas", "targets13") replaced by
    this run's, or inserted before the profile; without a page, a page of its own. Other sections are kept,
    and so are the hand-written notes of the replaced one."""
    report = Report(results, command)
    if part == "canvas":
        title, section = CANVAS_TITLE, report.canvases(alone=page is not None)
    else:
        title, section = TARGETS13_TITLE, Targets13(report).render(alone=page is not None)
    if page is None:
        return f"# Benchmarks\n\n{section}\n"
    start = page.find("\n\n" + title)
    if start != -1:
        end = page.find("\n\n## ", start + 2)
        rest = page[end:] if end != -1 else "\n"
        return keep_hand_written(page[:start] + "\n\n" + section.rstrip("\n") + rest, page)
    for later in ("\n\n## Profile", "\n\n## Not run by default"):
        at = page.find(later)
        if at != -1:
            return page[:at] + "\n\n" + section + page[at:]
    return page.rstrip("\n") + "\n\n" + section + "\n"

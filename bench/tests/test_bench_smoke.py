"""The benchmark (`make bench`) runs end to end: `bench.py --quick` against tiny sandboxes.

Not a timing test: it checks that every part runs and that the report holds real rows, never
how fast anything was. Airbyte's connector is left out (setting up its venv takes minutes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def section(report: str, title: str) -> str:
    """The text of the `## title...` section, up to the next `## `."""
    start = report.index("\n## " + title)
    end = report.find("\n## ", start + 1)
    return report[start : end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the first markdown table in `text`."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_given_tiny_sizes_when_the_quick_bench_runs_then_it_writes_a_report_with_every_measured_table(
    tmp_path: Path,
) -> None:
    out = tmp_path / "benchmarks.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--work", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = out.read_text()

    syncs = table_rows(section(report, "1. This connector"))
    assert [(row[1], row[2]) for row in syncs] == [
        ("1", "first"),
        ("1", "incremental"),
        ("4", "first"),
        ("4", "incremental"),
    ]
    for row in syncs:
        analytics_records, exit_code = int(row[10].replace(",", "")), row[-1]
        assert analytics_records > 0 and exit_code == "0", row

    floors = table_rows(section(report, "2. The floor"))
    assert floors and all(row[6].endswith("x") for row in floors), floors
    cpu = table_rows(section(report, "3. CPU cost"))
    assert [row[0] for row in cpu] == [
        "plain loop (requests + json, 1 thread)",
        "source-braze-campaigns, campaigns_analytics only",
    ]
    canvases = table_rows(section(report, "7. Canvases"))
    assert [(row[0], row[1]) for row in canvases] == [("4", "first"), ("4", "incremental")]
    for row in canvases:
        requests_per_canvas, planned, off_plan, twice, exit_code = row[7], row[9], row[10], row[11], row[-1]
        assert requests_per_canvas == planned and off_plan == "0" and twice == "0" and exit_code == "0", row
    first = canvases[0]
    assert int(first[12].replace(",", "")) == int(first[13].replace(",", "")) > 0, "analytics rows != ground truth"
    assert table_rows(section(report, "Targets")), "the targets table is empty"
    assert "load average" in section(report, "Machine")

    results = json.loads((tmp_path / "quick" / "results.json").read_text())
    assert {sync["kind"] for sync in results["syncs"]} == {
        "first",
        "incremental",
        "data_series only",
        "cpu",
        "canvas first",
        "canvas incremental",
    }
    assert "sandbox-key" not in report


def test_given_an_existing_report_when_only_the_canvas_part_runs_then_its_section_joins_the_others_unchanged(
    tmp_path: Path,
) -> None:
    out = tmp_path / "benchmarks.md"
    before = "# Benchmarks\n\n## 1. This connector\n\nfigures of an earlier run\n\n## Profile\n\nits profile\n"
    out.write_text(before)
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "canvas", "--quick", "--out", str(out), "--work", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = out.read_text()

    assert report.startswith("# Benchmarks\n\n## 1. This connector\n\nfigures of an earlier run\n\n## 7. Canvases")
    assert report.endswith("\n\n## Profile\n\nits profile\n")
    assert "python -m bench --only canvas --quick" in section(report, "7. Canvases")
    assert [row[1] for row in table_rows(section(report, "7. Canvases"))] == ["first", "incremental"]

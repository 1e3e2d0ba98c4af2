"""Airbyte's own Braze source (PyPI `airbyte-source-braze`) in its own virtual environment.

PyPI has one version, 0.3.0, whose metadata asks for `airbyte-cdk` without a version. Setting
it up tries, in order, until one really reads (spec, then a small read with analytics records
and no error trace):
1. Python 3.11 and whatever CDK pip resolves (today's CDK);
2. Python 3.11 and airbyte-cdk 0.65.0, the newest CDK with the API its custom slicer uses
   (`DatetimeBasedCursor.partition_field_start` public, `RequestOption.field_name` a plain str);
3. Python 3.10 and airbyte-cdk 0.65.0.
What each attempt gave is kept in `.bench/their-connector.json` and reported; a venv that
worked once is reused.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.measure import LOCAL_ENV

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-bench-braze"
RECORD = ROOT / ".bench" / "their-connector.json"
PACKAGE = "airbyte-source-braze==0.3.0"
OLD_CDK = "airbyte-cdk==0.65.0"


@dataclass
class Attempt:
    python: str
    requirements: list[str]
    result: str = ""
    cdk_version: str = ""
    ok: bool = False


def _python(version: str) -> str | None:
    """An interpreter of `version` that runs (a pyenv shim may exist and still refuse)."""
    candidates = sorted(glob.glob(str(Path.home() / f".pyenv/versions/{version}.*/bin/python{version}")))[::-1]
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "import venv"], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return None


def console_script() -> Path:
    return VENV / "bin" / "source-braze"


def _installed_cdk() -> str:
    out = subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "show", "airbyte-cdk"], capture_output=True, text=True, check=False
    ).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Version:")), "?")


def _verify() -> str:
    """'' if the installed connector reads analytics from a small sandbox, else why not."""
    from braze_sandbox import SANDBOX_API_KEY, Sandbox, SandboxConfig

    today = date.today()
    with (
        Sandbox(SandboxConfig(seed=1, campaigns=3, days=30, today=today)) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        start = (today - timedelta(days=29)).isoformat()
        config = {"url": sandbox.url, "api_key": SANDBOX_API_KEY, "start_date": start}
        (folder / "config.json").write_text(json.dumps(config))
        env = {**os.environ, **LOCAL_ENV}
        discover = _run_theirs(["discover", "--config", str(folder / "config.json")], folder, env)
        catalog = _catalog_from(discover.stdout)
        if catalog is None:
            return "discover failed: " + (discover.stderr.strip().splitlines() or ["no output"])[-1][:300]
        (folder / "catalog.json").write_text(json.dumps(catalog))
        read = _run_theirs(
            ["read", "--config", str(folder / "config.json"), "--catalog", str(folder / "catalog.json")], folder, env
        )
        records, errors = 0, []
        for line in read.stdout.splitlines():
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("type") == "RECORD" and message["record"]["stream"] == "campaigns_analytics":
                records += 1
            if message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
                errors.append(message["trace"]["error"].get("internal_message") or message["trace"]["error"]["message"])
        if errors:
            return f"read failed: {errors[0][:300]}"
        if records == 0:
            return "read emitted no campaigns_analytics record: " + (read.stderr.strip().splitlines() or [""])[-1][:300]
        return ""


def _run_theirs(args: list[str], folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(console_script()), *args], capture_output=True, text=True, cwd=folder, env=env, timeout=300, check=False
    )


def _catalog_from(stdout: str) -> dict[str, Any] | None:
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("type") == "CATALOG":
            return configured_catalog(message["catalog"])
    return None


def configured_catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    """campaigns (full refresh) + campaigns_analytics (incremental on `time`)."""
    streams = {stream["name"]: stream for stream in discovered["streams"]}
    return {
        "streams": [
            {"stream": streams["campaigns"], "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"},
            {
                "stream": streams["campaigns_analytics"],
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
                "cursor_field": ["time"],
            },
        ]
    }


def ensure(log: Any = print) -> dict[str, Any]:
    """A working `.venv-bench-braze` and the story of how it was made (from the record if any)."""
    if RECORD.exists() and console_script().exists():
        story = json.loads(RECORD.read_text())
        if story.get("chosen"):
            return dict(story)
    attempts: list[Attempt] = []
    plans = [("3.11", [PACKAGE]), ("3.11", [PACKAGE, OLD_CDK]), ("3.10", [PACKAGE, OLD_CDK])]
    chosen: dict[str, Any] | None = None
    for version, requirements in plans:
        python = _python(version)
        attempt = Attempt(python=f"Python {version}", requirements=requirements)
        attempts.append(attempt)
        if python is None:
            attempt.result = f"no python{version} on this machine"
            continue
        log(f"  their connector: trying Python {version} with {' '.join(requirements)}")
        shutil.rmtree(VENV, ignore_errors=True)
        created = subprocess.run([python, "-m", "venv", str(VENV)], capture_output=True, text=True, check=False)
        if created.returncode != 0:
            attempt.result = "venv failed: " + (created.stderr.strip().splitlines() or ["?"])[-1][:300]
            continue
        install = subprocess.run(
            [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements],
            capture_output=True,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            lines = [line for line in install.stderr.splitlines() if "is ignored" not in line]
            attempt.result = "pip install failed: " + (lines[-1] if lines else "?")[:300]
            continue
        attempt.cdk_version = _installed_cdk()
        spec = subprocess.run([str(console_script()), "spec"], capture_output=True, text=True, check=False)
        if '"SPEC"' not in spec.stdout:
            last_line = (spec.stderr.strip().splitlines() or ["?"])[-1].replace(f"{ROOT}/", "")
            attempt.result = "spec failed: " + last_line[:300]
            continue
        problem = _verify()
        if problem:
            attempt.result = problem
            continue
        attempt.ok = True
        attempt.result = "works"
        chosen = asdict(attempt)
        break
    story = {"package": PACKAGE, "attempts": [asdict(a) for a in attempts], "chosen": chosen}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(story, indent=1))
    if chosen is None:
        shutil.rmtree(VENV, ignore_errors=True)
    return story


if __name__ == "__main__":
    print(json.dumps(ensure(), indent=1))
    sys.exit(0)

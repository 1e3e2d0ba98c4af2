"""The CDK's own record path: what reading a record through the CDK costs when fetching it costs nothing.

    python -m bench.cdk_floor --records FILE [--streams NAME,...]

FILE is a connector's stdout (Airbyte messages, one a line). Its RECORD lines are loaded into
memory, then read by the CDK (`launch(source, ["read", ...])`, as the connector's entry point
does) from a declarative source with one stream per name, whose retriever hands out that stream's
records as they are: no HTTP, no Jinja, no record selector, no cursor, one partition a stream,
`concurrency_level` 1. So the CPU of the read is the CDK's path from a retriever's record to its
line on stdout (partition reader and queue, the read processor's message, the entrypoint's record
counts, serialization, the print buffer), which no connector built on the CDK can skip.

Prints the messages to stdout; to stderr one JSON line: records read, CPU seconds of the read
(`time.process_time`, all threads, from `launch` to its return: start-up and loading excluded)
and its wall time.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import InitVar, dataclass
from pathlib import Path
from typing import Any

from airbyte_cdk.entrypoint import launch
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.retrievers.retriever import Retriever

# stream name -> its records; filled by `load` before the source is built
RECORDS: dict[str, list[dict[str, Any]]] = {}


def load(path: Path, streams: Iterable[str]) -> int:
    wanted = set(streams)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            message = json.loads(line)
            record = message.get("record") if message.get("type") == "RECORD" else None
            if record and record["stream"] in wanted:
                RECORDS.setdefault(record["stream"], []).append(record["data"])
    return sum(len(records) for records in RECORDS.values())


@dataclass
class ReplayRetriever(Retriever):
    """Hands out the loaded records of its stream."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    stream: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    def read_records(self, records_schema: Mapping[str, Any], stream_slice: Any = None) -> Iterable[Any]:
        return iter(RECORDS.get(self.stream, []))

    def stream_slices(self) -> Iterable[Any]:
        yield None

    @property
    def state(self) -> Mapping[str, Any]:
        return {}

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        pass


def manifest(streams: list[str]) -> dict[str, Any]:
    def stream(name: str) -> dict[str, Any]:
        return {
            "type": "DeclarativeStream",
            "name": name,
            "primary_key": [],
            "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object"}},
            # this module under its importable name, whatever name it runs under
            "retriever": {"type": "CustomRetriever", "class_name": "bench.cdk_floor.ReplayRetriever", "stream": name},
        }

    return {
        "version": "7.0.0",
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": streams[:1]},
        "concurrency_level": {"type": "ConcurrencyLevel", "default_concurrency": 1, "max_concurrency": 1},
        "streams": [stream(name) for name in streams],
        "spec": {"type": "Spec", "connection_specification": {"type": "object", "properties": {}}},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cdk_floor", description=__doc__)
    parser.add_argument("--records", required=True, type=Path, help="a connector's stdout")
    parser.add_argument("--streams", default="campaigns_analytics", help="comma-separated stream names")
    args = parser.parse_args(argv)
    streams = args.streams.split(",")
    import bench.cdk_floor as importable  # run as __main__, the retriever is looked up under this name

    records = importable.load(args.records, streams)
    gc.freeze()  # the loaded records are not the CDK's: its collections do not walk them
    catalog = {
        "streams": [
            {
                "stream": {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]},
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
            for name in streams
        ]
    }
    with tempfile.TemporaryDirectory() as folder:
        catalog_path, config_path = Path(folder, "catalog.json"), Path(folder, "config.json")
        catalog_path.write_text(json.dumps(catalog))
        config_path.write_text("{}")
        source = ConcurrentDeclarativeSource(
            catalog=ConfiguredAirbyteCatalogSerializer.load(catalog),
            config={},
            state=[],
            source_config=manifest(streams),
        )
        cpu, wall = time.process_time(), time.perf_counter()
        launch(source, ["read", "--config", str(config_path), "--catalog", str(catalog_path)])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sys.stderr.write(json.dumps({"records": records, "cpu_s": cpu, "wall_s": wall}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The dimension tables, read by the installed connector from the sandbox, and joined in DuckDB as the docs show.

The two SQL joins are read from the code blocks of docs/braze-campaigns.md, so the docs cannot
drift from what is tested: each stream's records go into a DuckDB table named after the stream
(with every column its discovered schema declares, as a destination creates them), and the
queries run unchanged.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from braze_sandbox import BrazeData
from integration_tests.harness import (
    TODAY,
    ConnectorRun,
    ConnectorRunner,
    configured_catalog,
    connector_config,
    start_sandbox,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "braze-campaigns.md"
# The first line of each join's code block in the docs.
JOIN_TITLES = {
    "variations": "-- Variation names",
    "conversions": "-- Conversion events",
}
START = TODAY - timedelta(days=59)
CONVERSION_COLUMNS = ("conversions", "conversions1", "conversions2", "conversions3")
DUCKDB_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "string": "VARCHAR"}


@dataclass
class DimensionRead:
    data: BrazeData
    run: ConnectorRun
    request_log: list[dict[str, Any]]
    discovered: dict[str, Any]


@pytest.fixture(scope="module")
def dimension_read(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DimensionRead]:
    """One read of every stream, 60 days, from a sandbox of its own (its request log is counted).

    Details answer after 0.2 s, as a real network would, and there are more workers than
    campaigns: reads of the three streams that overlapped would ask for the same details at once.
    """
    sandbox = start_sandbox(campaigns=16, days=120)
    sandbox.add_fault(path="/campaigns/details", kind="slow", count=-1, delay=0.2)
    try:
        runner = ConnectorRunner(tmp_path_factory.mktemp("dimensions"))
        config = connector_config(sandbox, START, num_workers=32)
        discovered = runner.run("discover", config=config).catalog
        sandbox.reset_stats()
        run = runner.read(config, configured_catalog(discovered))
        assert run.returncode == 0 and not run.errors, run.describe()
        yield DimensionRead(sandbox.data, run, sandbox.request_log(), discovered)
    finally:
        sandbox.stop()


def docs_joins() -> dict[str, str]:
    """The SQL of each join, as the docs page shows it."""
    blocks = re.findall(r"```sql\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    joins = {
        name: block.strip().rstrip(";")
        for block in blocks
        for name, title in JOIN_TITLES.items()
        if block.startswith(title)
    }
    assert set(joins) == set(JOIN_TITLES), f"the docs must show both joins, found {sorted(joins)}"
    return joins


def warehouse(read: DimensionRead, folder: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one table per stream: its records, nested values as JSON text,
    plus a null column for each declared field no record carries."""
    db = duckdb.connect()
    for stream in read.discovered["streams"]:
        name = stream["name"]
        path = folder / f"{name}.jsonl"
        with path.open("w") as out:
            for record in read.run.records(name):
                flat = {
                    key: json.dumps(value) if isinstance(value, dict | list) else value for key, value in record.items()
                }
                out.write(json.dumps(flat) + "\n")
        db.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_json(?, format = 'newline_delimited', sample_size = -1)",
            [str(path)],
        )
        present = {row[0] for row in db.execute(f"DESCRIBE {name}").fetchall()}
        for column, schema in stream["json_schema"]["properties"].items():
            if column not in present:
                types = [kind for kind in _as_list(schema.get("type")) if kind != "null"]
                db.execute(
                    f'ALTER TABLE {name} ADD COLUMN "{column}" {DUCKDB_TYPES.get(types[0] if types else "", "VARCHAR")}'
                )
    return db


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rows(db: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """The query's rows as dicts; ids DuckDB read as UUIDs back to the strings Braze sent."""
    cursor = db.execute(sql)
    names = [column[0] for column in cursor.description]
    return [
        {name: str(value) if isinstance(value, uuid.UUID) else value for name, value in zip(names, values, strict=True)}
        for values in cursor.fetchall()
    ]


def expected_label(behavior: Mapping[str, Any]) -> str:
    detail = behavior.get("custom_event_name") or behavior.get("product")
    return f"{behavior['type']}: {detail}" if detail else behavior["type"]


# ------------------------------------------------------------------------------ requests
def test_given_every_stream_selected_when_read_then_each_campaign_details_is_requested_once(
    dimension_read: DimensionRead,
) -> None:
    asked = Counter(
        entry["query"]["campaign_id"] for entry in dimension_read.request_log if entry["path"] == "/campaigns/details"
    )
    assert asked == Counter(dimension_read.data.campaign_ids())
    counts = dimension_read.run.record_counts()
    assert (
        counts["campaigns_details"]
        and counts["campaigns_message_variations"]
        and counts["campaigns_conversion_behaviors"]
    )


# ------------------------------------------------------------------------------ the rows
def test_given_a_read_then_there_is_one_variation_row_per_details_message_control_groups_named(
    dimension_read: DimensionRead,
) -> None:
    data = dimension_read.data
    expected = {
        (
            campaign_id,
            variation_api_id,
            message["channel"],
            message.get("name") or "Control Group",
            message.get("type") == "control",
        )
        for campaign_id in data.campaign_ids()
        for variation_api_id, message in data.details(campaign_id)["messages"].items()
    }
    emitted = [
        (row["campaign_id"], row["variation_api_id"], row["channel"], row["name"], row["is_control"])
        for row in dimension_read.run.records("campaigns_message_variations")
    ]
    assert len(emitted) == len(set(emitted))
    assert set(emitted) == expected
    assert any(is_control for *_, is_control in emitted), "the sandbox must have control groups"


def test_given_a_read_then_behavior_a_to_d_explains_conversions_to_conversions3_with_every_braze_field(
    dimension_read: DimensionRead,
) -> None:
    data = dimension_read.data
    emitted = {
        (row["campaign_id"], row["conversion_column"]): row
        for row in dimension_read.run.records("campaigns_conversion_behaviors")
    }
    expected = {
        (campaign_id, CONVERSION_COLUMNS[index]): (chr(ord("A") + index), behavior)
        for campaign_id in data.campaign_ids()
        for index, behavior in enumerate(data.details(campaign_id)["conversion_behaviors"])
    }
    assert sorted(emitted) == sorted(expected)
    for key, (slot, behavior) in expected.items():
        row = emitted[key]
        assert row["slot"] == slot and row["window_seconds"] == behavior["window"], key
        assert {field: row.get(field) for field in behavior if field != "window"} == {
            field: value for field, value in behavior.items() if field != "window"
        }, key


# ------------------------------------------------------------------------------ the joins
def test_given_the_docs_variation_join_in_duckdb_then_every_variation_row_gets_its_name(
    dimension_read: DimensionRead, tmp_path: Path
) -> None:
    db = warehouse(dimension_read, tmp_path)
    joined = rows(db, docs_joins()["variations"])

    analytics = dimension_read.run.records("campaigns_analytics_variations")
    assert len(joined) == len(analytics), "a variation row was lost or matched twice"
    assert not [row for row in joined if row["variation_name"] is None]
    unmatched = [row for row in joined if row["variation_api_id"] is not None and row["is_control"] is None]
    assert not unmatched, f"{len(unmatched)} rows with a variation_api_id the dimension lacks, e.g. {unmatched[:2]}"
    named = {
        (row["campaign_id"], row["variation_api_id"]): row["name"]
        for row in dimension_read.run.records("campaigns_message_variations")
    }
    for row in joined:
        if row["variation_api_id"] is not None:
            assert row["variation_name"] == named[(row["campaign_id"], row["variation_api_id"])]
    assert any(row["is_control"] for row in joined), "the read must include control-group rows"


def test_given_the_docs_conversion_join_in_duckdb_then_every_conversion_column_with_a_behavior_gets_its_event(
    dimension_read: DimensionRead, tmp_path: Path
) -> None:
    data = dimension_read.data
    db = warehouse(dimension_read, tmp_path)
    joined = rows(db, docs_joins()["conversions"])

    behaviors = {campaign_id: data.details(campaign_id)["conversion_behaviors"] for campaign_id in data.campaign_ids()}
    days = len(dimension_read.run.records("campaigns_analytics"))
    assert len(joined) == days * len(CONVERSION_COLUMNS)
    for row in joined:
        defined = behaviors[row["campaign_id"]]
        index = CONVERSION_COLUMNS.index(row["conversion_column"])
        if index < len(defined):
            assert row["conversion_event"] == expected_label(defined[index]), row
            assert row["window_seconds"] == defined[index]["window"], row
        else:
            assert row["conversion_event"] is None, row
            # Braze sends conversions1..3 only for the events a campaign defines.
            assert row["conversions"] is None or index == 0, row
    counted = {row["campaign_id"] for row in joined if row["conversions"] is not None}
    assert any(len(behaviors[campaign_id]) == 4 for campaign_id in counted), (
        "a campaign with all four events must be read"
    )
    assert any(not behaviors[campaign_id] for campaign_id in counted), "a campaign without events must be read"

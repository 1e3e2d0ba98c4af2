"""Runs the real manifest through airbyte_cdk.test.entrypoint_wrapper and reads what it emitted.

entrypoint_wrapper uses the config, catalog and state given to the source's constructor, so
every helper builds SourceBrazeCampaigns with the same ones it passes to the command.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from airbyte_cdk.models import (
    AirbyteMessageSerializer,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    FailureType,
    SyncMode,
)
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, discover, make_file, read
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.models import ExpectedOutcome
from airbyte_cdk.test.state_builder import StateBuilder

from source_braze_campaigns.source import SourceBrazeCampaigns

ANALYTICS_STREAMS = ("campaigns_analytics", "campaigns_analytics_variations")
FULL_REFRESH_STREAMS = ("campaigns", "campaigns_details")


def catalog(*streams: str) -> ConfiguredAirbyteCatalog:
    """Analytics streams incremental, the others full refresh."""
    builder = CatalogBuilder()
    for name in streams:
        builder.with_stream(name, SyncMode.incremental if name in ANALYTICS_STREAMS else SyncMode.full_refresh)
    return builder.build()


def run_read(
    config: Mapping[str, Any],
    streams: Iterable[str],
    state: list[AirbyteStateMessage] | None = None,
    expect_failure: bool = False,
) -> EntrypointOutput:
    configured = catalog(*streams)
    source = SourceBrazeCampaigns(catalog=configured, config=config, state=state)
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, configured, state, expected_outcome=outcome)


def run_discover(config: Mapping[str, Any]) -> EntrypointOutput:
    return discover(SourceBrazeCampaigns(config=config), config)


def run_check(config: Mapping[str, Any]) -> EntrypointOutput:
    """`check` as the console script runs it (entrypoint_wrapper has no public check helper)."""
    with tempfile.TemporaryDirectory() as folder:
        config_file = make_file(Path(folder) / "config.json", dict(config))
        return _run_command(SourceBrazeCampaigns(config=config), ["check", "--config", config_file])


def state_for(stream: str, stream_state: Mapping[str, Any]) -> list[AirbyteStateMessage]:
    return StateBuilder().with_stream_state(stream, dict(stream_state)).build()


def per_campaign_state(cursors: Mapping[str, str], with_global: str | None = None) -> dict[str, Any]:
    """The per-partition state the connector emits: one cursor day per campaign."""
    state: dict[str, Any] = {
        "use_global_cursor": False,
        "states": [
            {"partition": {"campaign_id": campaign, "parent_slice": {}}, "cursor": {"time": time}}
            for campaign, time in cursors.items()
        ],
        "lookback_window": 0,
        "parent_state": {},
    }
    if with_global is not None:
        state["state"] = {"time": with_global}
    return state


# ---- Reading the output ---------------------------------------------------------------------


def records_of(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    return [message.record.data for message in output.records if message.record.stream == stream]


def last_state_message(output: EntrypointOutput, stream: str) -> AirbyteStateMessage:
    """The last STATE the connector emitted for `stream`, as the platform would store it."""
    messages = [m.state for m in output.state_messages if m.state.stream.stream_descriptor.name == stream]
    assert messages, f"no STATE emitted for {stream}"
    return messages[-1]


def stream_state_of(output: EntrypointOutput, stream: str) -> dict[str, Any]:
    return AirbyteStateMessageSerializer.dump(last_state_message(output, stream))["stream"]["stream_state"]


def saved_cursors(output: EntrypointOutput, stream: str) -> dict[str, str]:
    """campaign_id -> saved cursor day, from the last STATE of `stream`."""
    return {
        entry["partition"]["campaign_id"]: entry["cursor"]["time"]
        for entry in stream_state_of(output, stream).get("states", [])
    }


def error_traces(output: EntrypointOutput) -> list[Any]:
    return [message.trace.error for message in output.errors]


def failure_types(output: EntrypointOutput) -> set[FailureType]:
    return {error.failure_type for error in error_traces(output)}


def error_text(output: EntrypointOutput) -> str:
    return "\n".join(f"{error.message} {error.internal_message}" for error in error_traces(output))


def all_output(output: EntrypointOutput) -> str:
    """Every message the run emitted (records, state, logs, traces), serialized as the platform would see it."""
    return "\n".join(
        orjson.dumps(AirbyteMessageSerializer.dump(message)).decode() for message in output.get_message_iterator()
    )


def log_text(output: EntrypointOutput) -> str:
    return "\n".join(message.log.message for message in output.logs)


# ---- Reading what was sent ------------------------------------------------------------------


def sent_requests(http_mocker: HttpMocker, path: str) -> list[dict[str, str]]:
    """Query parameters of every request sent to `path`, in order.

    HttpMocker has no public request history; its requests_mock Mocker keeps one.
    """
    sent = []
    for request in http_mocker._mocker.request_history:  # noqa: SLF001 - see docstring
        parts = urlsplit(request.url)
        if parts.path == path:
            sent.append({name: values[0] for name, values in parse_qs(parts.query).items()})
    return sent


def data_series_requests(http_mocker: HttpMocker) -> list[dict[str, str]]:
    return sent_requests(http_mocker, "/campaigns/data_series")


def attempts(http_mocker: HttpMocker, path: str) -> int:
    """Requests sent to `path`, a list's second pass (newest first, list_paging) not counted."""
    return len([request for request in sent_requests(http_mocker, path) if request.get("sort_direction") != "desc"])

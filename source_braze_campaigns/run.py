"""Console entry point: `source-braze-campaigns spec|check|discover|read`."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    Status,
    TraceType,
    Type,
)

from source_braze_campaigns import cdk_compat
from source_braze_campaigns.config_validation import config_errors
from source_braze_campaigns.source import SourceBrazeCampaigns


def _emit(message: AirbyteMessage) -> None:
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def _error(message: str, internal: str, failure_type: FailureType) -> AirbyteMessage:
    trace = AirbyteTraceMessage(
        type=TraceType.ERROR,
        emitted_at=datetime.now(timezone.utc).timestamp() * 1000,
        error=AirbyteErrorTraceMessage(message=message, internal_message=internal, failure_type=failure_type),
    )
    return AirbyteMessage(type=Type.TRACE, trace=trace)


def _config_error(message: str, internal: str) -> AirbyteMessage:
    return _error(message, internal, FailureType.config_error)


def _source(args: list[str]) -> SourceBrazeCampaigns | None:
    """The source built from the files named on the command line, or None after reporting why not."""
    command = args[0] if args else ""
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
        state = SourceBrazeCampaigns.read_state(state_path) if state_path else None
    except Exception as error:  # noqa: BLE001 - reported to the platform as a trace message
        message = f"The state file is not a valid Airbyte state (a list of state messages): {error}"
        _emit(_config_error(message, type(error).__name__))
        return None
    try:
        config = SourceBrazeCampaigns.read_config(config_path) if config_path else None
        source = SourceBrazeCampaigns(
            catalog=SourceBrazeCampaigns.read_catalog(catalog_path) if catalog_path else None,
            config=config,
            state=state,
        )
    except cdk_compat.CdkCompatibilityError as error:
        _emit(_error(str(error), "cdk_compat", FailureType.system_error))
        return None
    except Exception as error:  # noqa: BLE001 - reported to the platform as a trace message
        _emit(_config_error(f"Could not start the connector: {error}", type(error).__name__))
        return None
    if config is None or command not in ("check", "discover", "read"):
        return source
    spec = source.spec(logging.getLogger("airbyte")).connectionSpecification
    problems = config_errors(config, spec)
    if not problems:
        return source
    message = "Invalid configuration: " + " ".join(problems)
    if command == "check":
        _emit(
            AirbyteMessage(
                type=Type.CONNECTION_STATUS,
                connectionStatus=AirbyteConnectionStatus(status=Status.FAILED, message=message),
            )
        )
        sys.exit(0)
    _emit(_config_error(message, "config validation"))
    return None


def run() -> None:
    cdk_compat.install_ast_lock()
    try:
        cdk_compat.check()
    except cdk_compat.CdkCompatibilityError as error:
        _emit(_error(str(error), "cdk_compat", FailureType.system_error))
        sys.exit(1)
    args = sys.argv[1:]
    source = _source(args)
    if source is None:
        sys.exit(1)
    launch(source, args)


if __name__ == "__main__":
    run()

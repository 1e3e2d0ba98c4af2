"""Console entry point: `source-braze-campaigns spec|check|discover|read`."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    TraceType,
    Type,
)

from source_braze_campaigns.source import SourceBrazeCampaigns


def _source(args: list[str]) -> SourceBrazeCampaigns | None:
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
        return SourceBrazeCampaigns(
            catalog=SourceBrazeCampaigns.read_catalog(catalog_path) if catalog_path else None,
            config=SourceBrazeCampaigns.read_config(config_path) if config_path else None,
            state=SourceBrazeCampaigns.read_state(state_path) if state_path else None,
        )
    except Exception as error:  # noqa: BLE001 - reported to the platform as a trace message
        trace = AirbyteTraceMessage(
            type=TraceType.ERROR,
            emitted_at=datetime.now(timezone.utc).timestamp() * 1000,
            error=AirbyteErrorTraceMessage(
                message=f"Could not start the connector: {error}",
                internal_message=type(error).__name__,
                failure_type=FailureType.config_error,
            ),
        )
        message = AirbyteMessage(type=Type.TRACE, trace=trace)
        print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode())
        return None


def run() -> None:
    args = sys.argv[1:]
    source = _source(args)
    if source is None:
        sys.exit(1)
    launch(source, args)


if __name__ == "__main__":
    run()

"""cdk_compat: the CDK internals the connector relies on are checked, and a changed one fails loudly."""

from __future__ import annotations

import json
import logging
import sys
from types import SimpleNamespace

import pytest
from airbyte_cdk.sources.concurrent_source.thread_pool_manager import ThreadPoolManager
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader

from source_braze_campaigns import cdk_compat, run
from source_braze_campaigns.cdk_compat import CdkCompatibilityError, ReadersAndGenerators
from source_braze_campaigns.source import SourceBrazeCampaigns
from unit_tests.builders import ConfigBuilder


def test_given_the_installed_cdk_when_checking_then_every_internal_is_as_expected() -> None:
    assert cdk_compat.problems() == []
    cdk_compat.check()


def test_given_a_missing_internal_when_checking_then_it_fails_naming_it_and_the_cdk_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(PartitionReader, "process_partition")

    with pytest.raises(CdkCompatibilityError) as raised:
        cdk_compat.check()

    message = str(raised.value)
    assert "PartitionReader has no process_partition" in message
    assert f"airbyte-cdk {cdk_compat.cdk_version()} " in message
    assert cdk_compat.cdk_version()[0].isdigit()


def test_given_a_changed_signature_when_checking_then_it_fails_naming_the_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def init(self: ThreadPoolManager, threadpool: object, logger: logging.Logger) -> None: ...

    monkeypatch.setattr(ThreadPoolManager, "__init__", init)

    with pytest.raises(CdkCompatibilityError, match="ThreadPoolManager\\(\\) no longer takes max_concurrent_tasks"):
        cdk_compat.check()


def test_given_a_source_without_the_concurrent_source_when_bounding_it_then_it_fails_naming_the_attribute() -> None:
    source = SimpleNamespace(logger=logging.getLogger("airbyte"))

    with pytest.raises(CdkCompatibilityError, match="has no _concurrent_source"):
        cdk_compat.use_bounded_concurrent_source(source, readers=1)  # type: ignore[arg-type]


def test_given_cursors_without_an_expected_attribute_when_built_then_the_read_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = ConfigBuilder().build()
    source = SourceBrazeCampaigns(config=config)
    build = ConcurrentCursor.__init__

    def init_without_end_provider(self: ConcurrentCursor, *args: object, **kwargs: object) -> None:
        build(self, *args, **kwargs)  # type: ignore[arg-type]
        del self._end_provider

    monkeypatch.setattr(ConcurrentCursor, "__init__", init_without_end_provider)

    with pytest.raises(CdkCompatibilityError, match="ConcurrentCursor has no _end_provider"):
        (stream,) = [stream for stream in source.streams(config) if stream.name == "campaigns_analytics"]
        stream.cursor._cursor_factory.create(stream_state={}, runtime_lookback_window=None)


def test_given_a_task_the_split_does_not_know_when_submitted_then_it_fails_instead_of_guessing_a_pool() -> None:
    manager = ReadersAndGenerators(readers=1, logger=logging.getLogger("airbyte"))
    try:
        with pytest.raises(CdkCompatibilityError, match="unknown task"):
            manager.submit(print, "a task of a newer CDK")
        assert manager.is_done()
    finally:
        manager._shutdown()


def test_given_a_changed_internal_when_the_connector_starts_then_it_reports_a_system_error_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cdk_compat, "problems", lambda: ["PartitionReader has no process_partition"])
    monkeypatch.setattr(sys, "argv", ["source-braze-campaigns", "spec"])

    with pytest.raises(SystemExit) as exited:
        run.run()

    assert exited.value.code == 1
    (line,) = capsys.readouterr().out.splitlines()
    error = json.loads(line)["trace"]["error"]
    assert error["failure_type"] == "system_error"
    assert "PartitionReader has no process_partition" in error["message"]
    assert f"airbyte-cdk {cdk_compat.cdk_version()}" in error["message"]


def test_given_the_default_when_syncing_then_state_is_written_at_least_every_minute_not_every_ten() -> None:
    assert 0 < cdk_compat.STATE_INTERVAL_S <= 60


def test_given_the_analytics_streams_when_built_then_their_per_campaign_cursors_observe_cheaply() -> None:
    config = ConfigBuilder().build()
    streams = {stream.name: stream for stream in SourceBrazeCampaigns(config=config).streams(config)}
    for name in ("campaigns_analytics", "campaigns_analytics_variations"):
        assert type(streams[name].cursor) is cdk_compat.CampaignCursor, name


def test_given_a_per_campaign_cursor_without_an_expected_attribute_when_built_then_it_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = ConfigBuilder().build()
    monkeypatch.setattr(cdk_compat, "CAMPAIGN_CURSOR_PARTS", (*cdk_compat.CAMPAIGN_CURSOR_PARTS, "_gone"))
    with pytest.raises(CdkCompatibilityError, match="ConcurrentPerPartitionCursor has no _gone"):
        list(SourceBrazeCampaigns(config=config).streams(config))

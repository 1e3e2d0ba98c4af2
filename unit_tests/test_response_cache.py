"""response_cache: the streams of a stream group share one cache database; evict forgets one response."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

from source_braze_campaigns.response_cache import evict, share, shared_file
from source_braze_campaigns.source import SourceBrazeCampaigns
from unit_tests.builders import ConfigBuilder

ANALYTICS = ("campaigns_analytics", "campaigns_analytics_variations")


def test_given_a_cache_folder_when_sharing_then_each_stream_file_links_to_the_group_database(
    request_cache_folder: Path,
) -> None:
    share("data_series", ANALYTICS)

    shared = request_cache_folder / shared_file("data_series")
    assert shared.is_file()
    for stream in ANALYTICS:
        link = request_cache_folder / f"{stream}.sqlite"
        assert link.is_symlink()
        assert link.resolve() == shared.resolve()


@pytest.mark.parametrize(
    ("group", "streams"),
    [
        ("data_series", ["campaigns_analytics", "campaigns_analytics_variations"]),
        ("canvas_data_series", ["canvases_analytics", "canvases_analytics_variants", "canvases_analytics_steps"]),
        ("campaign_details", ["campaigns_details", "campaigns_message_variations", "campaigns_conversion_behaviors"]),
        ("canvas_details", ["canvases_details", "canvases_message_variations", "canvases_variants"]),
    ],
)
def test_given_the_source_when_it_builds_its_streams_then_each_manifest_stream_group_shares_one_database(
    request_cache_folder: Path, group: str, streams: list[str]
) -> None:
    config = {**ConfigBuilder().build(), "replicate": "both"}
    SourceBrazeCampaigns(config=config).streams(config)

    shared = (request_cache_folder / shared_file(group)).resolve()
    assert [(request_cache_folder / f"{stream}.sqlite").resolve() for stream in streams] == [shared] * len(streams)


def test_given_two_linked_streams_when_one_writes_then_the_other_reads_it(request_cache_folder: Path) -> None:
    share("group", ["a", "b"])

    with sqlite3.connect(request_cache_folder / "a.sqlite") as db:
        db.execute("CREATE TABLE responses (key TEXT, value BLOB)")
        db.execute("INSERT INTO responses VALUES ('k', x'01')")
    with sqlite3.connect(request_cache_folder / "b.sqlite") as db:
        assert db.execute("SELECT key FROM responses").fetchall() == [("k",)]


def test_given_sharing_twice_when_sharing_then_nothing_changes(request_cache_folder: Path) -> None:
    share("data_series", ["campaigns_analytics"])
    share("data_series", ["campaigns_analytics"])

    assert {path.name for path in request_cache_folder.iterdir()} == {
        shared_file("data_series"),
        "campaigns_analytics.sqlite",
    }


def test_given_a_stream_file_that_already_exists_when_sharing_then_it_is_not_replaced(
    request_cache_folder: Path,
) -> None:
    existing = request_cache_folder / "campaigns_analytics.sqlite"
    existing.write_bytes(b"cache written before")

    share("data_series", ["campaigns_analytics"])

    assert not existing.is_symlink()
    assert existing.read_bytes() == b"cache written before"


def test_given_no_cache_folder_when_sharing_or_evicting_then_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_REQUEST_CACHE_PATH)
    share("data_series", ANALYTICS)
    evict("a-key")

    monkeypatch.setenv(ENV_REQUEST_CACHE_PATH, str(tmp_path / "missing"))
    share("data_series", ANALYTICS)
    evict("a-key")

    assert not (tmp_path / "missing").exists()


def _database_with(path: Path, keys: list[str]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, value BLOB, expires INTEGER)")
        db.executemany("INSERT INTO responses VALUES (?, x'01', NULL)", [(key,) for key in keys])


def _keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT key FROM responses ORDER BY key")]


def test_given_cached_responses_when_evicting_one_key_then_only_that_response_is_gone_from_every_database(
    request_cache_folder: Path,
) -> None:
    share("data_series", ANALYTICS)
    _database_with(request_cache_folder / shared_file("data_series"), ["bad", "good"])
    _database_with(request_cache_folder / "campaigns.sqlite", ["bad", "list"])

    evict("bad")

    assert _keys(request_cache_folder / shared_file("data_series")) == ["good"]
    assert _keys(request_cache_folder / "campaigns.sqlite") == ["list"]


@pytest.mark.parametrize("key", [None, "", "a-key"])
def test_given_an_empty_shared_database_or_no_key_when_evicting_then_nothing_fails(
    request_cache_folder: Path, key: str | None
) -> None:
    share("data_series", ANALYTICS)

    evict(key)

    assert (request_cache_folder / shared_file("data_series")).is_file()

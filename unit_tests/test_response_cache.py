"""response_cache: the cache files of a group's streams point at one database; evict forgets one response."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

from source_braze_campaigns import response_cache
from source_braze_campaigns.response_cache import SHARED_FILE, evict, share_with


def test_given_a_cache_folder_when_sharing_then_the_stream_file_links_to_the_shared_database(
    request_cache_folder: Path,
) -> None:
    share_with("campaigns_analytics")
    share_with("campaigns_analytics_variations")

    shared = request_cache_folder / SHARED_FILE
    assert shared.is_file()
    for stream in ("campaigns_analytics", "campaigns_analytics_variations"):
        link = request_cache_folder / f"{stream}.sqlite"
        assert link.is_symlink()
        assert link.resolve() == shared.resolve()


def test_given_a_group_named_after_one_of_its_streams_when_sharing_then_that_stream_keeps_its_own_file(
    request_cache_folder: Path,
) -> None:
    share_with("campaigns_details", "campaigns_details")
    share_with("campaigns_message_variations", "campaigns_details")

    own = request_cache_folder / "campaigns_details.sqlite"
    link = request_cache_folder / "campaigns_message_variations.sqlite"
    assert own.is_file() and not own.is_symlink()
    assert link.is_symlink() and link.resolve() == own.resolve()
    assert not (request_cache_folder / SHARED_FILE).exists()  # the data_series group is another database


def test_given_two_linked_streams_when_one_writes_then_the_other_reads_it(request_cache_folder: Path) -> None:
    share_with("a")
    share_with("b")

    with sqlite3.connect(request_cache_folder / "a.sqlite") as db:
        db.execute("CREATE TABLE responses (key TEXT, value BLOB)")
        db.execute("INSERT INTO responses VALUES ('k', x'01')")
    with sqlite3.connect(request_cache_folder / "b.sqlite") as db:
        assert db.execute("SELECT key FROM responses").fetchall() == [("k",)]


def test_given_sharing_twice_when_sharing_then_nothing_changes(request_cache_folder: Path) -> None:
    share_with("campaigns_analytics")
    share_with("campaigns_analytics")

    assert {path.name for path in request_cache_folder.iterdir()} == {SHARED_FILE, "campaigns_analytics.sqlite"}


def test_given_a_stream_file_that_already_exists_when_sharing_then_it_is_not_replaced(
    request_cache_folder: Path,
) -> None:
    existing = request_cache_folder / "campaigns_analytics.sqlite"
    existing.write_bytes(b"cache written before")

    share_with("campaigns_analytics")

    assert not existing.is_symlink()
    assert existing.read_bytes() == b"cache written before"


def test_given_no_cache_folder_when_sharing_or_evicting_then_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_REQUEST_CACHE_PATH)
    share_with("campaigns_analytics")
    evict("a-key")

    monkeypatch.setenv(ENV_REQUEST_CACHE_PATH, str(tmp_path / "missing"))
    share_with("campaigns_analytics")
    evict("a-key")

    assert not (tmp_path / "missing").exists()
    assert response_cache._cache_dir() == tmp_path / "missing"


def test_given_cached_responses_when_evicting_one_key_then_only_that_response_is_gone(
    request_cache_folder: Path,
) -> None:
    with sqlite3.connect(request_cache_folder / SHARED_FILE) as db:
        db.execute("CREATE TABLE responses (key TEXT, value BLOB)")
        db.executemany("INSERT INTO responses VALUES (?, x'01')", [("bad",), ("good",)])

    evict("bad")

    with sqlite3.connect(request_cache_folder / SHARED_FILE) as db:
        assert db.execute("SELECT key FROM responses").fetchall() == [("good",)]


@pytest.mark.parametrize("key", [None, "", "a-key"])
def test_given_an_empty_shared_database_or_no_key_when_evicting_then_nothing_fails(
    request_cache_folder: Path, key: str | None
) -> None:
    (request_cache_folder / SHARED_FILE).touch()

    evict(key)

    assert (request_cache_folder / SHARED_FILE).stat().st_size == 0

"""response_cache.evict: a bad body's cached copy forgotten in every cache database of the run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

from source_braze_campaigns.response_cache import evict


def test_given_no_cache_folder_when_evicting_then_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_REQUEST_CACHE_PATH)
    evict("a-key")

    monkeypatch.setenv(ENV_REQUEST_CACHE_PATH, str(tmp_path / "missing"))
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
    _database_with(request_cache_folder / "campaigns.sqlite", ["bad", "list"])
    _database_with(request_cache_folder / "canvases.sqlite", ["bad", "good"])

    evict("bad")

    assert _keys(request_cache_folder / "campaigns.sqlite") == ["list"]
    assert _keys(request_cache_folder / "canvases.sqlite") == ["good"]


@pytest.mark.parametrize("key", [None, "", "a-key"])
def test_given_an_empty_database_or_no_key_when_evicting_then_nothing_fails(
    request_cache_folder: Path, key: str | None
) -> None:
    (request_cache_folder / "campaigns.sqlite").touch()

    evict(key)

    assert (request_cache_folder / "campaigns.sqlite").is_file()

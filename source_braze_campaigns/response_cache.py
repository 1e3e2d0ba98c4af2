"""One response cache for both analytics streams, so /campaigns/data_series is asked once.

The CDK caches a requester's responses (`use_cache: true`) in `<REQUEST_CACHE_PATH>/<stream>.sqlite`,
a file per stream, which the entrypoint puts in a temporary folder for the run. The two analytics
streams send identical data_series requests; pointing both streams' files at one database makes
the second stream's requests cache hits. SQLite resolves the link, so both connections share one
database and one write-ahead log. Without REQUEST_CACHE_PATH the CDK keeps one in-memory cache
per process, which is shared already.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

SHARED_FILE = "campaigns_data_series.sqlite"
# The three canvas analytics streams share /canvas/data_series responses the same way.
CANVAS_SHARED_FILE = "canvas_data_series.sqlite"


def _cache_dir() -> Path | None:
    folder = os.environ.get(ENV_REQUEST_CACHE_PATH)
    return Path(folder) if folder else None


def share_with(stream_name: str, shared_file: str = SHARED_FILE) -> None:
    """Make `stream_name`'s cache file a link to the shared one (before its requester opens it)."""
    folder = _cache_dir()
    if folder is None or not folder.is_dir():
        return
    link = folder / f"{stream_name}.sqlite"
    (folder / shared_file).touch(exist_ok=True)
    if not link.exists() and not link.is_symlink():
        link.symlink_to(shared_file)


def evict(cache_key: str | None) -> None:
    """Forget one cached response (a body that failed validation), so a retry asks Braze again.

    The key is removed from every cache file of the run: data_series shares one, and the
    campaigns list is cached by the CDK in a file of its own as a parent stream.
    """
    folder = _cache_dir()
    if not cache_key or folder is None or not folder.is_dir():
        return
    for path in folder.glob("*.sqlite"):
        if path.is_symlink():
            continue
        with contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
            with contextlib.suppress(sqlite3.OperationalError):  # no table yet: nothing cached
                db.execute("DELETE FROM responses WHERE key = ?", (cache_key,))

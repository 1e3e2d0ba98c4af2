"""Response caches shared by the streams that read the same responses, so Braze is asked once.

The CDK caches a requester's responses (`use_cache: true`) in `<REQUEST_CACHE_PATH>/<stream>.sqlite`,
a file per stream, which the entrypoint puts in a temporary folder for the run. Streams that send
identical requests form a cache group: the two analytics streams (data_series), and the details
stream with the dimension streams read from its bodies (details). Pointing every member's file at
the group's database `<group>.sqlite` makes the later streams' requests cache hits. SQLite
resolves the link, so all connections share one database and one write-ahead log. Without
REQUEST_CACHE_PATH the CDK keeps one in-memory cache per process, which is shared already.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

DATA_SERIES_GROUP = "campaigns_data_series"
SHARED_FILE = f"{DATA_SERIES_GROUP}.sqlite"


def _cache_dir() -> Path | None:
    folder = os.environ.get(ENV_REQUEST_CACHE_PATH)
    return Path(folder) if folder else None


def share_with(stream_name: str, group: str = DATA_SERIES_GROUP) -> None:
    """Make `stream_name`'s cache file a link to the group's database (before its requester opens it).

    A group may be named after one of its streams (`campaigns_details`): that stream's own file
    is then the group's database, and it needs no link.
    """
    folder = _cache_dir()
    if folder is None or not folder.is_dir() or stream_name == group:
        return
    shared = f"{group}.sqlite"
    link = folder / f"{stream_name}.sqlite"
    (folder / shared).touch(exist_ok=True)
    if not link.exists() and not link.is_symlink():
        link.symlink_to(shared)


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

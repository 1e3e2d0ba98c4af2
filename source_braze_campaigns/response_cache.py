"""One response cache per stream group, so the streams of a group ask Braze once for what they share.

The two analytics streams send identical /campaigns/data_series requests (and the canvas
analytics streams will share /canvas/data_series the same way). The manifest declares such
streams as a stream group, which the CDK reads one stream after the other; with `use_cache:
true` on their requester the second stream is then served from the cache, provided both
streams cache in the same place.

Why not a CDK feature: the CDK caches a requester's responses in `<REQUEST_CACHE_PATH>/<stream
name>.sqlite` (the entrypoint makes REQUEST_CACHE_PATH a temporary folder for the run), a file
per stream, and no manifest field names that file or shares a requester between streams; the
only responses it shares are a parent stream's, with its substreams. An in-memory hand-off
would hold a whole stream's responses until the next stream of the group reads them. So each
stream's file is made a link to one database per group, before the CDK opens it; SQLite
resolves the link, so the streams share one database and one write-ahead log. Without
REQUEST_CACHE_PATH the CDK keeps one in-memory cache per process, which is shared already.
Where the CDK puts a stream's file is the one CDK internal here (`cdk_compat.cache_file`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from requests_cache.backends.sqlite import SQLiteCache

from source_braze_campaigns import cdk_compat


def _cache_dir() -> Path | None:
    folder = os.environ.get(ENV_REQUEST_CACHE_PATH)
    return Path(folder) if folder else None


def shared_file(group: str) -> str:
    """The name of the database the streams of stream group `group` share."""
    return f"{group}.sqlite"


def share(group: str, streams: Iterable[str]) -> None:
    """Make each stream's cache file a link to `group`'s database (before a requester opens it)."""
    folder = _cache_dir()
    if folder is None or not folder.is_dir():
        return
    shared = folder / shared_file(group)
    shared.touch(exist_ok=True)
    for stream in streams:
        link = cdk_compat.cache_file(stream)
        if link is not None and not link.exists() and not link.is_symlink():
            link.symlink_to(shared.name)


def evict(cache_key: str | None) -> None:
    """Forget one cached response (a body that failed validation), so a retry asks Braze again.

    The key is removed from every cache database of the run: a group's shared one, and the files
    the CDK keeps of its own (the campaigns list is cached as a parent stream).
    """
    folder = _cache_dir()
    if not cache_key or folder is None or not folder.is_dir():
        return
    for path in folder.glob("*.sqlite"):
        if path.is_symlink():
            continue
        cache = SQLiteCache(path, busy_timeout=30_000, wal=True)
        with contextlib.closing(cache):
            cache.delete(cache_key)

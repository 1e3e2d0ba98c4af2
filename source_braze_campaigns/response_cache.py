"""The CDK's response cache: a bad body forgotten, so that the retry asks Braze again.

The CDK caches the responses of a parent stream (the campaign and Canvas lists, which every
substream reads for its partitions) in `<REQUEST_CACHE_PATH>/<stream>.sqlite` through
requests-cache, which stores a 200 before the error handler sees it. When the error handler
retries a 200 whose body is not what Braze documents, that copy must go, or the retry would
replay it. The responses the streams of a stream group share are not cached this way
(shared_responses.py keeps only bodies the error handler accepted).
"""

from __future__ import annotations

import contextlib
import os

from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from requests_cache.backends.sqlite import SQLiteCache


def evict(cache_key: str | None) -> None:
    """Forget one cached response (a body that failed validation) in every cache database of the run."""
    folder = os.environ.get(ENV_REQUEST_CACHE_PATH)
    if not cache_key or not folder or not os.path.isdir(folder):
        return
    for entry in os.scandir(folder):
        if not entry.name.endswith(".sqlite") or entry.is_symlink():
            continue
        cache = SQLiteCache(entry.path, busy_timeout=30_000, wal=True)
        with contextlib.closing(cache):
            cache.delete(cache_key)

"""How many threads read, and how far ahead of them partitions are generated.

ConcurrentDeclarativeSource builds its ConcurrentSource with ConcurrentSource.create: one pool of
`concurrency_level` threads that run both the partition generators (up to half of them) and the
partition reads, with up to 10,000 partitions generated ahead of the reads. For this connector:
- every window of up to 10,000 campaigns is generated (slice, future) before the reads catch up:
  memory that grows with the number of campaigns;
- with a smaller bound, a generator waiting on it holds a pool thread: at num_workers 1 the only
  one, and the sync hangs;
- a generator's thread reads once generation is done: `num_workers` is not the number of
  requests in flight.
So partitions are generated on a thread of their own, exactly `num_workers` threads read, and at
most PENDING_PARTITIONS partitions are queued or being read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from queue import Queue
from typing import Any

from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.concurrent_source.thread_pool_manager import ThreadPoolManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.partition_enqueuer import PartitionEnqueuer
from airbyte_cdk.sources.utils.slice_logger import SliceLogger

# 200 keeps up to 32 reading threads supplied several times over.
PENDING_PARTITIONS = 200


class ReadersAndOneGenerator(ThreadPoolManager):
    """The CDK's thread pool manager with partition generation on a thread of its own."""

    def __init__(self, readers: int, logger: logging.Logger) -> None:
        reads = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="workerpool")
        super().__init__(reads, logger, max_concurrent_tasks=PENDING_PARTITIONS)
        self._generation = ThreadPoolExecutor(max_workers=1, thread_name_prefix="partition-generator")

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        generates = isinstance(getattr(function, "__self__", None), PartitionEnqueuer)
        pool = self._generation if generates else self._threadpool
        self._futures.append(pool.submit(function, *args))

    def _shutdown(self) -> None:
        self._generation.shutdown(wait=False, cancel_futures=True)
        super()._shutdown()


def concurrent_source(
    readers: int,
    logger: logging.Logger,
    slice_logger: SliceLogger,
    queue: Queue[Any],
    message_repository: MessageRepository,
) -> ConcurrentSource:
    """A ConcurrentSource that reads with `readers` threads and generates one stream's partitions at a time."""
    return ConcurrentSource(
        threadpool=ReadersAndOneGenerator(readers, logger),
        logger=logger,
        slice_logger=slice_logger,
        queue=queue,
        message_repository=message_repository,
        initial_number_partitions_to_generate=1,
    )

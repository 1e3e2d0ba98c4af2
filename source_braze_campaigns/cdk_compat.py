"""The connector's only reach past the CDK's supported surface: each internal named, checked at start-up.

Everything else configures the CDK (manifest.yaml) or extends it through the component
interfaces the manifest names. What could not be done that way is here, and nowhere else
(ruff's SLF rules flag a private access in any other module):

1. Bounded look-ahead (`ReadersAndGenerators`, `use_bounded_concurrent_source`).
   ConcurrentDeclarativeSource builds its ConcurrentSource itself, with ConcurrentSource.create:
   one pool of `concurrency_level` threads that run both the partition generators (up to half
   of them) and the partition reads, with up to 10,000 partitions generated ahead of the reads.
   For this connector every window of up to 10,000 campaigns would be generated (slice, future)
   before the reads catch up: memory that grows with the number of campaigns. With a smaller
   bound, a generator waiting on it holds a pool thread: at num_workers 1 the only one, and the
   sync hangs. And a generator's thread reads once generation is done, so `num_workers` would
   not be the number of requests in flight. The manifest's `concurrency_level` has no setting
   for any of this. So partitions are generated on threads of their own, exactly `num_workers`
   threads read, and at most PENDING_PARTITIONS partitions are queued or being read. Where
   streams share responses (shared_responses.py), the streams of a group are generated side by
   side, one generator thread each, so their partitions interleave in the queue, and
   `num_workers` threads per stream of the group read: a thread waiting for another stream's
   request holds none of its own, and SharedResponsesRequester keeps `num_workers` requests in
   flight at most.
2. Lean per-campaign cursors (`ForgetfulConcurrentCursor`, `use_lean_cursors`).
   For per-campaign state the CDK keeps one ConcurrentCursor per campaign for the whole sync,
   each built from the manifest anew with its own state converter (two datetime parsers), end
   provider, cursor field and clamping strategy, the same for every campaign; and each keeps the
   slice of every window it read in `_most_recent_cursor_value_per_partition`, read once, when
   the window closes. Sharing the first and dropping the second saves about 2.7 KiB per campaign
   (27 MiB of a 10,000-campaign sync, docs/reliability.md). And it keeps the ConcurrentCursor of a
   finished campaign to the end of the sync only to read its state from: CampaignCursor keeps
   that state entry instead (about 17 MiB less at 10,000 campaigns). The manifest has no setting
   for either.
3. Cheap per-record observation, frequent checkpoints, a cursor per campaign (`CampaignCursor`, in `use_lean_cursors`).
   The CDK's per-campaign cursor (ConcurrentPerPartitionCursor) observes every record: it
   parses the record's `time` (strptime), deep-copies it into the global cursor, serializes the
   partition to a key (json.dumps), then the campaign's ConcurrentCursor parses it again and
   hashes the window's StreamSlice (json.dumps again) for its dict: 43% of a full-catalog
   sync's CPU in the profile of docs/benchmarks.md. Every record of a window carries the same
   slice object, so CampaignCursor keeps the latest day per window under the slice's id (each
   distinct day string parsed once) and hands it to the CDK when the window closes: the same
   state, one parse per distinct day and two dict operations per record. And the CDK writes
   state at most once every 600 s (hard-coded in `_throttle_state_message`): a killed sync
   would redo up to ten minutes. CampaignCursor writes it at most every STATE_INTERVAL_S. And
   above SWITCH_TO_GLOBAL_LIMIT (10,000) campaigns the CDK switches to one cursor for all: from
   then on it writes no state until the sync ends, and the next sync starts every campaign,
   one listed for the first time included, at that cursor (the latest day of any campaign)
   minus the lookback, so a campaign first listed then (an archived one once Include archived
   is turned on) loses every older day. CampaignCursor keeps one cursor per campaign at any
   count (peak memory grew by about 1.7 KiB a campaign from 100 to 10,000 campaigns,
   docs/reliability.md). The manifest has no setting for any of it.
4. The `ast.parse` lock (`install_ast_lock`), for CPython < 3.12.5 only: not a CDK internal but
   a process-wide patch of the standard library the CDK's worker threads need there.
5. The CDK imported with each source text parsed once (`each_source_parsed_once`): importing
   airbyte_cdk builds its protocol serializers with serpyco-rs, which reads the field docstrings
   of every protocol class (`attributes-doc`): `inspect.getsource` of each class, which on CPython
   before 3.13 parses the class's whole module every time (64 calls parse the same two modules 56
   times, one of them 78,000 characters long 16 times). This module is the package's first import
   of the CDK (the package `__init__` imports it first) and does it inside that block. Measured
   on CPython 3.11, on the 2-core bench machine, runs of before and after interleaved: `import
   source_braze_campaigns.run` 1.11 s -> 0.79 s (medians of 7); `source-braze-campaigns spec`,
   with the manifest read by libyaml too (source.py), 1.54 s -> 1.16 s (medians of 11).
6. A decoded body handed from the error handler to the extractor on the response (`keep_body`,
   `kept_body`): the error handler decodes each 200 once to check it and the extractors reuse
   that, which relies on the CDK handing both the same `requests.Response`. Not checked: should
   that stop, `kept_body` finds nothing kept and decodes the body again (slower, not wrong).

`check()` verifies what can be verified before anything is built; what only exists on a built
object is verified where it is used. Either way a changed internal raises CdkCompatibilityError
naming the installed airbyte-cdk version: a sync fails at start, it never hangs or runs with
the CDK's defaults unnoticed.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from queue import Queue
from typing import Any

import orjson
import requests

# ---- 5. The CDK imported with each source text parsed once --------------------------------------


@contextlib.contextmanager
def each_source_parsed_once() -> Iterator[None]:
    """While the block runs, `ast.parse(text)` of a text parsed before in it returns the same tree.

    Only the one-argument form is remembered (what inspect and attributes-doc call, and they only
    read the trees); any other call goes to `ast.parse` unchanged. At the end `ast.parse` is
    restored, unless something else replaced it meanwhile (then that replacement stays).
    """
    original = ast.parse
    trees: dict[str, ast.Module] = {}

    @functools.wraps(original)
    def parse_once(source: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(source, str):
            return original(source, *args, **kwargs)
        tree = trees.get(source)
        if tree is None:
            tree = trees[source] = original(source)
        return tree

    ast.parse = parse_once
    try:
        yield
    finally:
        if ast.parse is parse_once:
            ast.parse = original


with each_source_parsed_once():
    from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
    from airbyte_cdk.sources.concurrent_source.thread_pool_manager import ThreadPoolManager
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
    from airbyte_cdk.sources.declarative.incremental.concurrent_partition_cursor import ConcurrentPerPartitionCursor
    from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
    from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
    from airbyte_cdk.sources.streams.concurrent.partition_enqueuer import PartitionEnqueuer
    from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader
    from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition

# The CDK internals this module relies on, and what for (the docstring above says why).
INTERNALS: dict[str, str] = {
    "ConcurrentDeclarativeSource._concurrent_source": "replaced by a ConcurrentSource with a bounded look-ahead",
    "ConcurrentSource._queue / ._slice_logger / ._message_repository": "what the CDK built its ConcurrentSource "
    "with (the queue its message repository writes to), given to that ConcurrentSource",
    "ThreadPoolManager._threadpool / ._futures / ._shutdown()": "the reading pool, the futures the CDK waits on, "
    "and its shutdown, extended with the generator threads",
    "PartitionEnqueuer.generate_partitions / PartitionReader.process_partition": "the two tasks the CDK submits, "
    "told apart to run generation on its own thread",
    "ConcurrentDeclarativeSource._constructor": "the source's component factory, whose cursor builder is wrapped",
    "ModelToComponentFactory.create_concurrent_cursor_from_datetime_based_cursor": "wrapped on that factory",
    "ConcurrentCursor._connector_state_converter / ._end_provider / ._cursor_field / ._clamping_strategy": "shared "
    "by a stream's per-campaign cursors",
    "ConcurrentCursor._most_recent_cursor_value_per_partition": "a closed window's entry dropped",
    "ModelToComponentFactory.create_concurrent_cursor_from_perpartition_cursor": "wrapped on that factory",
    "ConcurrentPerPartitionCursor.observe / .close_partition / ._throttle_state_message": "replaced or extended "
    "by CampaignCursor",
    "ConcurrentPerPartitionCursor.SWITCH_TO_GLOBAL_LIMIT / .DEFAULT_MAX_PARTITIONS_NUMBER": "raised by "
    "CampaignCursor: one cursor per campaign at any count",
    "ConcurrentPerPartitionCursor._cleanup_if_done / ._semaphore_per_partition / ._to_dict / .state / "
    "._PERPARTITION_STATE_KEY": "a finished campaign's cursor kept as its state entry by CampaignCursor",
    "ConcurrentPerPartitionCursor._connector_state_converter / ._cursor_field / ._cursor_per_partition / "
    "._use_global_cursor / ._synced_some_data / ._update_global_cursor / ._to_partition_key": "what "
    "CampaignCursor hands a closed window's latest day to",
    "DeclarativePartition.to_slice() is the slice its records carry (Record.associated_slice)": "a window's "
    "records found again when it closes",
}

# 200 keeps up to 32 reading threads supplied several times over.
PENDING_PARTITIONS = 200

# Set once when the CDK builds a cursor and only read afterwards, equal for every cursor of a stream.
STATELESS_PARTS = ("_connector_state_converter", "_end_provider", "_cursor_field", "_clamping_strategy")
CLOSED_WINDOWS = "_most_recent_cursor_value_per_partition"
# A killed sync redoes at most the windows read since the last state message, about this long.
STATE_INTERVAL_S = float(os.environ.get("SOURCE_BRAZE_STATE_INTERVAL_S") or 30)
CAMPAIGN_CURSOR_PARTS = (
    "_connector_state_converter", "_cursor_field", "_cursor_per_partition", "_use_global_cursor",
    "_synced_some_data", "_update_global_cursor", "_to_partition_key", "_last_emission_time",
    "_semaphore_per_partition", "_to_dict", "_PERPARTITION_STATE_KEY",
)  # fmt: skip
# The counts of campaigns above which the CDK shares one cursor and forgets finished campaigns' cursors.
CURSOR_LIMITS = ("SWITCH_TO_GLOBAL_LIMIT", "DEFAULT_MAX_PARTITIONS_NUMBER")


class CdkCompatibilityError(RuntimeError):
    """An internal of the installed CDK is not what this connector was built against."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"airbyte-cdk {cdk_version()} does not have the internals this connector relies on "
            f"(source_braze_campaigns/cdk_compat.py; it requires {supported_cdk() or 'another airbyte-cdk'}): "
            + "; ".join(problems)
        )


def cdk_version() -> str:
    try:
        return metadata.version("airbyte-cdk")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def supported_cdk() -> str:
    """The airbyte-cdk requirement the installed connector declares ("" when not installed)."""
    try:
        requirements = metadata.requires("source-braze-campaigns") or []
    except metadata.PackageNotFoundError:
        return ""
    return next((req.split(";")[0].strip() for req in requirements if req.startswith("airbyte-cdk")), "")


# ---- check --------------------------------------------------------------------------------------


def _parameters(function: Callable[..., Any]) -> set[str]:
    return set(inspect.signature(function).parameters)


def _expects_parameters(where: str, function: Callable[..., Any], names: set[str]) -> Iterator[str]:
    missing = names - _parameters(function)
    if missing:
        yield f"{where} no longer takes {', '.join(sorted(missing))}"


def _expects_attributes(where: str, obj: Any, names: tuple[str, ...]) -> Iterator[str]:
    missing = [name for name in names if not hasattr(obj, name)]
    if missing:
        yield f"{where} has no {', '.join(missing)}"


def problems() -> list[str]:
    """What is not as expected among the internals that exist before anything is built."""
    found: list[str] = []
    found += _expects_parameters(
        "ConcurrentSource()",
        ConcurrentSource.__init__,
        {"threadpool", "logger", "slice_logger", "queue", "message_repository"}
        | {"initial_number_partitions_to_generate"},
    )
    found += _expects_parameters(
        "ThreadPoolManager()", ThreadPoolManager.__init__, {"threadpool", "logger", "max_concurrent_tasks"}
    )
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        found += _expects_attributes(
            "ThreadPoolManager",
            ThreadPoolManager(pool, logging.getLogger("airbyte")),
            ("_threadpool", "_futures", "_shutdown", "submit"),
        )
    finally:
        pool.shutdown(wait=False)
    found += _expects_attributes("PartitionEnqueuer", PartitionEnqueuer, ("generate_partitions",))
    found += _expects_attributes("PartitionReader", PartitionReader, ("process_partition",))
    found += _expects_attributes(
        "ModelToComponentFactory", ModelToComponentFactory, ("create_concurrent_cursor_from_datetime_based_cursor",)
    )
    if not found:
        found += _expects_parameters(
            "ModelToComponentFactory.create_concurrent_cursor_from_datetime_based_cursor()",
            ModelToComponentFactory.create_concurrent_cursor_from_datetime_based_cursor,
            {"stream_name"},
        )
    found += _expects_attributes(
        "ModelToComponentFactory", ModelToComponentFactory, ("create_concurrent_cursor_from_perpartition_cursor",)
    )
    found += _expects_attributes(
        "ConcurrentPerPartitionCursor",
        ConcurrentPerPartitionCursor,
        ("observe", "close_partition", "_throttle_state_message", "_update_global_cursor", "_to_partition_key")
        + ("_cleanup_if_done", "state")
        + CURSOR_LIMITS,
    )
    found += _expects_parameters(
        "ConcurrentCursor()",
        ConcurrentCursor.__init__,
        {"connector_state_converter", "end_provider", "cursor_field", "clamping_strategy"},
    )
    found += _expects_attributes("ConcurrentCursor", ConcurrentCursor, ("close_partition",))
    return found


def check() -> None:
    """Raise CdkCompatibilityError if an internal this module relies on changed (see INTERNALS)."""
    found = problems()
    if found:
        raise CdkCompatibilityError(found)


def _attribute(obj: Any, name: str) -> Any:
    """`obj.name`, or CdkCompatibilityError naming what is missing."""
    try:
        return getattr(obj, name)
    except AttributeError:
        raise CdkCompatibilityError([f"{type(obj).__name__} has no {name}"]) from None


# ---- 1. Bounded look-ahead ----------------------------------------------------------------------


class ReadersAndGenerators(ThreadPoolManager):
    """The CDK's thread pool manager with partition generation on threads of its own."""

    def __init__(self, readers: int, logger: logging.Logger, generators: int = 1) -> None:
        reads = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="workerpool")
        super().__init__(reads, logger, max_concurrent_tasks=PENDING_PARTITIONS)
        self._generation = ThreadPoolExecutor(max_workers=generators, thread_name_prefix="partition-generator")

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        task_of = getattr(function, "__self__", None)
        if isinstance(task_of, PartitionEnqueuer):
            pool = self._generation
        elif isinstance(task_of, PartitionReader):
            pool = self._threadpool  # CDK internal: its reading pool
        else:  # a task this split does not know: guessing could hang a sync at num_workers 1
            raise CdkCompatibilityError([f"the CDK submitted an unknown task to its thread pool: {function!r}"])
        self._futures.append(pool.submit(function, *args))  # CDK internal: the futures it waits on

    def _shutdown(self) -> None:
        self._generation.shutdown(wait=False, cancel_futures=True)
        super()._shutdown()  # CDK internal: its shutdown, extended


def use_bounded_concurrent_source(source: ConcurrentDeclarativeSource, readers: int, generators: int = 1) -> None:
    """Make `source` read with `readers` threads and generate the partitions of up to `generators` streams
    at once, each on a thread of its own (see 1. above)."""
    cdk_source = _attribute(source, "_concurrent_source")
    queue = _attribute(cdk_source, "_queue")
    if not isinstance(cdk_source, ConcurrentSource) or not isinstance(queue, Queue):
        raise CdkCompatibilityError(["ConcurrentDeclarativeSource._concurrent_source is not a ConcurrentSource"])
    source._concurrent_source = ConcurrentSource(  # noqa: SLF001 - replaced, see 1. above
        threadpool=ReadersAndGenerators(readers, source.logger, generators),
        logger=source.logger,
        slice_logger=_attribute(cdk_source, "_slice_logger"),
        queue=queue,
        message_repository=_attribute(cdk_source, "_message_repository"),
        initial_number_partitions_to_generate=generators,
    )


# ---- 2. Lean per-campaign cursors ---------------------------------------------------------------


class ForgetfulConcurrentCursor(ConcurrentCursor):
    """The CDK's cursor, without the closed windows' most recent cursor values."""

    def close_partition(self, partition: Partition) -> None:
        super().close_partition(partition)
        self._most_recent_cursor_value_per_partition.pop(partition.to_slice(), None)  # CDK internal


# ---- 3. Cheap observation, frequent checkpoints, a cursor per campaign ---------------------------


class CampaignCursor(ConcurrentPerPartitionCursor):
    """The CDK's per-campaign cursor, observing records cheaply and writing state often (see 3. above).

    Measured (docs/benchmarks.md, 300 campaigns, a year, full catalog): the CDK's observe took 43%
    of the sync's CPU; this one takes two dict operations per record and one parse per distinct day.
    No switch to a global cursor and no forgotten cursor at any number of campaigns: both limits
    are read by the CDK as attributes of the cursor (`limit_reached`, `_ensure_partition_limit`).
    """

    SWITCH_TO_GLOBAL_LIMIT = sys.maxsize
    DEFAULT_MAX_PARTITIONS_NUMBER = sys.maxsize

    _latest_by_window: dict[int, list[Any]]
    _parsed_days: dict[str, Any]
    _finished: dict[str, dict[str, Any]]
    _cursor_states: dict[tuple[Any, ...], Any]

    def start_observing(self) -> None:
        self._latest_by_window = {}
        self._parsed_days = {}
        self._finished = {}  # partition key -> the state entry of a campaign whose windows all closed
        self._cursor_states = {}  # one cursor state object per distinct value, shared by the entries

    @property
    def state(self) -> MutableMapping[str, Any]:
        state = super().state
        if self._finished and not self._use_global_cursor:
            live = self._cursor_per_partition
            finished = [entry for key, entry in self._finished.items() if key not in live]
            state[self._PERPARTITION_STATE_KEY] = finished + state[self._PERPARTITION_STATE_KEY]
        return state

    def _cleanup_if_done(self, partition_key: str) -> None:
        """Keep a finished campaign as its state entry, not as a ConcurrentCursor (see 2. above).

        The CDK keeps every campaign's ConcurrentCursor to the end of the sync only to read its state
        when it writes one. Once a campaign's windows are all generated and closed (the CDK has then
        dropped its semaphore), that state no longer changes: it is computed once, kept as the entry
        the state lists ({"partition": ..., "cursor": ...}, never modified afterwards; equal cursor
        states shared), and the cursor is dropped. Measured (docs/reliability.md): 2,169 -> 1,180 B
        per campaign in tracemalloc, 117.5 -> 100.1 MiB peak RSS at 10,000 campaigns. Should the
        campaign be listed again, the CDK builds a new cursor (from the start: some days read again,
        none lost), which `state` then lists instead.
        """
        super()._cleanup_if_done(partition_key)
        if self._use_global_cursor or partition_key in self._semaphore_per_partition:
            return  # still generating or reading a window of it
        cursor = self._cursor_per_partition.pop(partition_key, None)
        cursor_state = cursor.state if cursor is not None else None
        if cursor_state:  # as the CDK: a cursor without state is not listed
            try:
                cursor_state = self._cursor_states.setdefault(tuple(sorted(cursor_state.items())), cursor_state)
            except TypeError:  # an unhashable value: kept as it is
                pass
            self._finished[partition_key] = {"partition": self._to_dict(partition_key), "cursor": cursor_state}

    def observe(self, record: Any) -> None:
        window = record.associated_slice
        if window is None:
            raise ValueError("Invalid state as stream slices that are emitted should refer to an existing cursor")
        value = record.data.get(self._cursor_field.cursor_field_key)
        if value is None:
            return  # as the CDK: a record without a cursor value does not move the state
        day = self._parsed_days.get(value)
        if day is None:
            try:
                day = self._connector_state_converter.parse_value(value)
            except ValueError:
                return  # as the CDK (which logs it once): an unparsable value does not move the state
            if len(self._parsed_days) > 100_000:
                self._parsed_days.clear()
            self._parsed_days[value] = day
        latest = self._latest_by_window.get(id(window))
        if latest is None:
            self._latest_by_window[id(window)] = [window, day]
        elif latest[1] < day:
            latest[1] = day

    def close_partition(self, partition: Partition) -> None:
        window = partition.to_slice()
        latest = self._latest_by_window.pop(id(window), None)
        if latest is None:  # a window without records, or (another CDK) a slice equal but not the same
            latest = next((e for e in list(self._latest_by_window.values()) if e[0] == window), None)
            if latest is not None:
                self._latest_by_window.pop(id(latest[0]), None)
        if latest is not None:
            slice_, day = latest
            self._synced_some_data = True
            self._update_global_cursor(self._connector_state_converter.output_format(day))
            if not self._use_global_cursor:
                cursor = self._cursor_per_partition[self._to_partition_key(slice_.partition)]
                getattr(cursor, CLOSED_WINDOWS)[slice_] = day  # what the CDK's observe would have left
        super().close_partition(partition)

    def _throttle_state_message(self) -> float | None:
        now = time.time()
        return now if now - self._last_emission_time > STATE_INTERVAL_S else None


def _make_campaign_cursor(cursor: ConcurrentPerPartitionCursor) -> None:
    missing = [part for part in CAMPAIGN_CURSOR_PARTS if not hasattr(cursor, part)]
    if missing:
        raise CdkCompatibilityError([f"ConcurrentPerPartitionCursor has no {', '.join(missing)}"])
    cursor.__class__ = CampaignCursor
    assert isinstance(cursor, CampaignCursor)
    cursor.start_observing()


def use_lean_cursors(source: ConcurrentDeclarativeSource) -> None:
    """Build the datetime cursors of `source`'s streams lean (2. above) and per-campaign cursors cheap (3.)."""
    factory = _attribute(source, "_constructor")
    build_cdk_cursor = _attribute(factory, "create_concurrent_cursor_from_datetime_based_cursor")
    build_cdk_campaign_cursor = _attribute(factory, "create_concurrent_cursor_from_perpartition_cursor")

    def build_campaign_cursor(*args: Any, **kwargs: Any) -> Any:
        cursor = build_cdk_campaign_cursor(*args, **kwargs)
        if type(cursor) is ConcurrentPerPartitionCursor:
            _make_campaign_cursor(cursor)
        return cursor

    factory.create_concurrent_cursor_from_perpartition_cursor = build_campaign_cursor
    first_by_stream: dict[str, ConcurrentCursor] = {}

    def build(*args: Any, **kwargs: Any) -> Any:
        cursor = build_cdk_cursor(*args, **kwargs)
        if type(cursor) is not ConcurrentCursor:
            return cursor
        missing = [part for part in (*STATELESS_PARTS, CLOSED_WINDOWS) if not hasattr(cursor, part)]
        if missing:
            raise CdkCompatibilityError([f"ConcurrentCursor has no {', '.join(missing)}"])
        cursor.__class__ = ForgetfulConcurrentCursor  # same state, close_partition above
        first = first_by_stream.setdefault(str(kwargs.get("stream_name", "")), cursor)
        for part in STATELESS_PARTS:
            setattr(cursor, part, getattr(first, part))
        return cursor

    factory.create_concurrent_cursor_from_datetime_based_cursor = build


# ---- 4. The ast.parse lock ----------------------------------------------------------------------

_AST_LOCK = threading.Lock()


def needs_ast_lock(version: tuple[int, ...] = sys.version_info[:3]) -> bool:
    """Whether this interpreter's `ast.parse` can fail when two threads parse at once.

    The CDK renders every Jinja template of the manifest (url, request parameters, the token)
    through `ast.literal_eval`, in its worker threads. On CPython before 3.12.5 two threads building
    an AST at the same time can fail with `SystemError: AST constructor recursion depth mismatch`
    (CPython issue gh-106905, fixed in 3.12.5 and 3.13), which fails a stream at random; the tests
    saw it about once in eight runs.
    """
    return version[:3] < (3, 12, 5)


def install_ast_lock() -> None:
    """Wrap `ast.parse` in a lock, once, where the interpreter needs it (the entry point calls this)."""
    if not needs_ast_lock() or getattr(ast.parse, "serialized", False):
        return
    parse = ast.parse

    @functools.wraps(parse)
    def serialized_parse(*args: Any, **kwargs: Any) -> Any:
        with _AST_LOCK:
            return parse(*args, **kwargs)

    serialized_parse.serialized = True  # type: ignore[attr-defined]
    ast.parse = serialized_parse


# ---- 6. A decoded body kept on its response -----------------------------------------------------

_BODY = "braze_body"


def keep_body(response: requests.Response, body: Any) -> None:
    """Keep `body`, decoded from `response`, for the extractors that read the same response."""
    setattr(response, _BODY, body)


def kept_body(response: requests.Response) -> Any:
    """The body `keep_body` kept on `response`, else `response`'s body decoded now (orjson; a body that
    is not JSON raises orjson.JSONDecodeError)."""
    kept = getattr(response, _BODY, None)
    return kept if kept is not None else orjson.loads(response.content)

"""Where a connector process spends its time, from `py-spy record -f raw` output.

CPU (`--gil`): each sample (a stack, root first) goes to one activity, the first of RULES that
matches the stack. The order puts start-up first (imports, building the source from the
manifest), then this project's own code (`source_braze_campaigns/*` and everything it calls),
then the CDK's per-record and per-slice work.

Threads (`--idle --threads`): each sample of a thread is waiting for the network, waiting on a
queue (idle), or active in one of the same activities.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

Frame = str  # "Class.function (package/module.py:line)"
Stack = list[Frame]
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


def parts(frame: Frame) -> tuple[str, str]:
    """(function, file) of a py-spy frame."""
    match = _FRAME.match(frame)
    return (match.group("function"), match.group("file")) if match else (frame, "")


def _frame_in(path_fragment: str, *functions: str) -> Callable[[Frame], bool]:
    def matches(frame: Frame) -> bool:
        function, file = parts(frame)
        if path_fragment not in file:
            return False
        return not functions or any(function.endswith(name) for name in functions)

    return matches


def _any_frame(*checks: Callable[[Frame], bool]) -> Callable[[Stack], bool]:
    return lambda stack: any(check(frame) for frame in stack for check in checks)


# Our wrappers that only hand a call on to the CDK (HTTP, retries): what runs below them is the
# CDK's, not ours; what they do themselves shows in their own callees (the spool's methods, the
# window parameters).
PASS_THROUGH = {"DayWindowRequester.send_request", "SharedResponsesRequester.send_request"}


def _ours(frame: Frame) -> bool:
    function, file = parts(frame)
    return (
        file.startswith("source_braze_campaigns/")
        and not file.endswith("run.py")
        and function != "<module>"
        and function not in PASS_THROUGH
    )


def _startup(frame: Frame) -> bool:
    function, file = parts(frame)
    return (
        file.startswith("<frozen importlib")
        or (function.endswith("__init__") and "concurrent_declarative_source" in file)
        or function.endswith("_source")  # run.py builds the source and validates the config
        or "model_to_component_factory" in file
        or "manifest_component_transformer" in file
        or "manifest_reference_resolver" in file
    )


def _response_cache(stack: Stack) -> bool:
    """requests-cache's own work (keys, serialization, SQLite), not the request it wraps."""
    cached = [i for i, frame in enumerate(stack) if "requests_cache/" in parts(frame)[1]]
    if not cached:
        return False
    return not any("requests/adapters.py" in parts(frame)[1] for frame in stack[cached[0] :])


RULES: list[tuple[str, Callable[[Stack], bool]]] = [
    ("start-up: imports, manifest, building the source", _any_frame(_startup)),
    ("ours: source_braze_campaigns/* (and what it calls)", _any_frame(_ours)),
    ("CDK: slice hashing per record (StreamSlice.__hash__ -> json.dumps)", _any_frame(_frame_in("slice_hasher.py"))),
    (
        "CDK: cursor observe per record, close per slice (strptime, partition keys)",
        _any_frame(
            _frame_in(
                "airbyte_cdk/sources/declarative/incremental/", "observe", "close_partition", "_to_partition_key"
            ),
            _frame_in("airbyte_cdk/sources/streams/concurrent/cursor.py"),
            _frame_in("airbyte_cdk/sources/streams/concurrent/state_converters/"),
            _frame_in("airbyte_cdk/sources/declarative/datetime/"),
        ),
    ),
    (
        "CDK: message serialization and stdout",
        _any_frame(
            _frame_in("airbyte_cdk/entrypoint.py", "airbyte_message_to_string", "launch", "handle_record_counts"),
            _frame_in("airbyte_cdk/models/airbyte_protocol_serializers.py"),
            _frame_in("serpyco_rs"),
        ),
    ),
    ("CDK: response cache (requests-cache, SQLite)", _response_cache),
    (
        "CDK: HTTP (HttpClient, requests/urllib3, API budget)",
        _any_frame(
            _frame_in("airbyte_cdk/sources/streams/http/"),
            _frame_in("airbyte_cdk/sources/streams/call_rate.py"),
            _frame_in("requests_cache/"),
        ),
    ),
    (
        "CDK: record selection, Record objects, type transform",
        _any_frame(
            _frame_in("airbyte_cdk/sources/declarative/extractors/"),
            _frame_in("airbyte_cdk/sources/declarative/transformations/"),
            _frame_in("airbyte_cdk/sources/utils/transform.py"),
            _frame_in("airbyte_cdk/sources/types.py"),
        ),
    ),
    (
        "CDK: request building (Jinja interpolation of parameters)",
        _any_frame(
            _frame_in("airbyte_cdk/sources/declarative/interpolation/"),
            _frame_in("airbyte_cdk/sources/declarative/requesters/"),
        ),
    ),
    (
        "CDK: concurrency plumbing (queues, partition reader/enqueuer, read processor)",
        _any_frame(
            _frame_in("airbyte_cdk/sources/streams/concurrent/"),
            _frame_in("airbyte_cdk/sources/concurrent_source/"),
            _frame_in("airbyte_cdk/sources/message/"),
            _frame_in("queue.py"),
        ),
    ),
    ("CDK: other", _any_frame(_frame_in("airbyte_cdk/"))),
]
OTHER = "other (interpreter, stdlib outside the above)"


def activity(stack: Stack) -> str:
    return next((name for name, rule in RULES if rule(stack)), OTHER)


def read_raw(path: Path) -> Iterable[tuple[Stack, int]]:
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


# Named hot spots, counted inclusively (a sample counts for each one on its stack): what it is,
# whose code decides it, and the frame(s) that mark it ("a|b": either).
HOTSPOTS: list[tuple[str, str, str]] = [
    (
        "cursor observe, per record (ConcurrentPerPartitionCursor.observe)",
        "CDK",
        "ConcurrentPerPartitionCursor.observe (",
    ),
    ("... StreamSlice.__hash__: json.dumps of the slice, per record", "CDK", "StreamSlice.__hash__ ("),
    ("... strptime of the record's cursor value, per record", "CDK", "DateTimeStreamStateConverter.parse_value ("),
    ("... partition key: json.dumps of the partition, per record", "CDK", "_to_partition_key ("),
    (
        "response filters (HttpResponseFilter.matches)",
        "ours (manifest) -> CDK",
        "HttpResponseFilter.matches (",
    ),
    (
        "responses handed on between the streams of a group (ResponseSpool), waits included",
        "ours",
        "ResponseSpool.",
    ),
    (
        "request parameters rendered with Jinja, per request",
        "ours (manifest) -> CDK",
        "InterpolatedRequestOptionsProvider.get_request_params (",
    ),
    (
        "API budget (acquire a call, update from headers), per request",
        "ours (manifest) -> CDK",
        "APIBudget.acquire_call (|update_from_response (",
    ),
    (
        "DataSeriesExtractor.extract_records (orjson parse, campaign_id)",
        "ours",
        "DataSeriesExtractor.extract_records (",
    ),
    ("flatten_day (variation rows)", "ours", "flatten_day ("),
    ("Progress.response_read", "ours", "Progress.response_read ("),
    (
        "message serialization (orjson via AirbyteEntrypoint.airbyte_message_to_string)",
        "CDK",
        "airbyte_message_to_string (",
    ),
    ("requests/urllib3 send and read", "library", "HTTPAdapter.send ("),
]


@dataclass
class Profile:
    samples: int
    by_activity: list[tuple[str, int]]
    top_ours: list[tuple[str, int]]  # inclusive, by function
    hotspots: list[tuple[str, str, int]]  # label, owner, inclusive samples


def analyse(path: Path) -> Profile:
    """Samples of a `py-spy record --gil -f raw` profile by activity, and our heaviest functions."""
    activities: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    hot: Counter[str] = Counter()
    total = 0
    for stack, count in read_raw(path):
        total += count
        activities[activity(stack)] += count
        for name in {f"{parts(frame)[0]} ({parts(frame)[1]})" for frame in stack if _ours(frame)}:
            ours[name] += count
        joined = ";".join(stack)
        for label, _, marker in HOTSPOTS:
            if any(alternative in joined for alternative in marker.split("|")):
                hot[label] += count
    order = [name for name, _ in RULES] + [OTHER]
    return Profile(
        samples=total,
        by_activity=[(name, activities[name]) for name in order if activities[name]],
        top_ours=ours.most_common(5),
        hotspots=[(label, owner, hot[label]) for label, owner, _ in HOTSPOTS],
    )


# ---------------------------------------------------------------------------------- threads
NETWORK = "waiting: socket read (a request in flight)"
IDLE = "waiting: queue, condition or sleep (idle)"
_WAIT_LEAVES = ("Condition.wait", "Event.wait", "Thread.join", "_worker (concurrent/futures/thread.py")


def _thread_group(first_frame: str) -> str:
    name = first_frame.split(":", 1)[1].strip() if ":" in first_frame else ""
    if name.startswith("workerpool"):
        return "worker threads"
    if name == "MainThread":
        return "main thread"
    return "other threads"


def _thread_state(stack: Stack) -> str:
    if not stack:
        return IDLE
    joined = ";".join(stack)
    if "readinto (socket.py" in joined or "recv_into" in joined:
        return NETWORK
    if "queue.py" in joined and ("Condition.wait" in joined or "wait (threading.py" in joined):
        return IDLE
    if any(stack[-1].startswith(wait) for wait in _WAIT_LEAVES) or "sleep" in stack[-1]:
        return IDLE
    return "active: " + activity(stack)


def thread_states(path: Path) -> dict[str, Counter[str]]:
    """Samples of `py-spy record --idle --threads -f raw` by thread group (worker threads, main
    thread) and state."""
    groups: dict[str, Counter[str]] = {}
    for stack, count in read_raw(path):
        group = _thread_group(stack[0])
        if group != "other threads":  # start-up's unnamed thread, the rate limiter's timers
            groups.setdefault(group, Counter())[_thread_state(stack[1:])] += count
    return groups


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")

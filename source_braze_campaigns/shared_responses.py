"""Responses one stream fetched, handed to the other selected streams that send the same requests.

The analytics streams of a family send identical data_series requests (campaigns_analytics and
campaigns_analytics_variations; the three Canvas analytics streams), a family's details and
dimension streams identical /details requests, and every stream of a family reads its list (the
list stream itself, the others for their partitions): the manifest names each such group
(`shared_responses`). The first stream of a group to send a request keeps the body; each other
selected stream of the group takes it instead of asking Braze again, or, while the request is
still out, waits for it (single flight); once all of them took it, it is forgotten. The streams
of a group are read side by side (cdk_compat.py, 1.), so one stream's records are made while
another waits on Braze.

Why not the CDK's response cache (`use_cache: true`, which the CDK also turns on for parent
streams) with a stream group read one stream after the other (`stream_groups`,
BlockSimultaneousSyncsAction), as 0.2.0 did: requests-cache stores every response in SQLite (per
request a normalised cache key, the whole response serialised and written, then read back and
deserialised), and the second stream's records were all made after the first stream's last
request, on top of the sync's time. Measured on the full catalog, 300 campaigns x a year
(docs/benchmarks.md section 8): CPU at zero latency 16.4 s with the cache, 13.0 s with this
spool; a first sync at 100 ms a request and 8 workers 34.1 s with the cache read one stream after
the other, 28.7 s with the spool read the same way, 27.1 s side by side (one run each; three later
runs of the side-by-side code took 24.5-25.2 s).
A body is appended as it came to a temporary file, unlinked as it is made (a stream may take it
minutes later: memory would grow with the sync), and indexed in memory by its request, a few dozen
bytes per request; a 200 is kept only after the error handler accepted it, so a bad body is never
handed on.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import IO, Any

import requests
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.requesters.requester import HttpMethod, Requester
from airbyte_cdk.sources.types import StreamSlice, StreamState
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

RequestKey = tuple[tuple[str, str], ...]


class SpooledResponse(requests.Response):
    """A 200 that another stream of the group received, rebuilt from its body and request URL."""

    def __init__(self, body: bytes, url: str) -> None:
        super().__init__()
        self.status_code = 200
        self.url = url
        self.encoding = "utf-8"
        self.headers["Content-Type"] = "application/json"
        request = requests.PreparedRequest()
        request.method, request.url = "GET", url
        self.request = request
        self._body = body

    @property
    def content(self) -> bytes:
        return self._body


class ResponseSpool:
    """Bodies kept for `readers` more streams each: appended to a temporary file, indexed in memory.

    Single flight: while one stream's request is out, another stream asking for the same one waits
    for it (`take_or_claim`) instead of sending it a second time.
    """

    def __init__(self, readers: int) -> None:
        self.readers = readers
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._size = 0
        # request -> [offset, length, request URL, streams still to take it]
        self._index: dict[RequestKey, list[Any]] = {}
        self._in_flight: dict[RequestKey, threading.Event] = {}

    def take_or_claim(self, key: RequestKey) -> SpooledResponse | None:
        """The response another stream kept for this request, or None: then the caller sends it and
        must `settle` it, whatever happens."""
        while True:
            with self._lock:
                entry = self._index.get(key)
                if entry is not None and self._file is not None:
                    entry[3] -= 1
                    if entry[3] <= 0:
                        del self._index[key]
                    fileno = self._file.fileno()
                    break
                sent = self._in_flight.get(key)
                if sent is None:
                    self._in_flight[key] = threading.Event()
                    return None
            sent.wait()  # then take what it kept, or claim the request if it kept nothing
        offset, length, url, _ = entry
        return SpooledResponse(os.pread(fileno, length, offset), url)

    def settle(self, key: RequestKey, body: bytes | None = None, url: str = "") -> None:
        """End the caller's claim on `key`, keeping `body` (a 200's) for the other streams."""
        with self._lock:
            if body is not None and key not in self._index:
                if self._file is None:
                    self._file = tempfile.TemporaryFile(dir=os.environ.get(ENV_REQUEST_CACHE_PATH) or None)
                offset, self._size = self._size, self._size + len(body)
                os.pwrite(self._file.fileno(), body, offset)
                self._index[key] = [offset, len(body), url, self.readers]
            sent = self._in_flight.pop(key, None)
        if sent is not None:
            sent.set()

    def __len__(self) -> int:
        return len(self._index)


_REGISTRY_LOCK = threading.Lock()
_SPOOLS: dict[str, ResponseSpool] = {}
_GATES: dict[str, threading.BoundedSemaphore] = {}


def spool(name: str, readers: int) -> ResponseSpool:
    """The spool called `name` (one per group and sync), made on first use."""
    with _REGISTRY_LOCK:
        found = _SPOOLS.get(name)
        if found is None:
            found = _SPOOLS[name] = ResponseSpool(readers)
        return found


def limit_in_flight(sync: str, requests_at_once: int) -> None:
    """At most `requests_at_once` requests of sync `sync`'s SharedResponsesRequesters out at once.

    The source reads with more threads than `num_workers` when streams share responses (a thread
    waiting for another stream's request holds no request of its own); this keeps `num_workers`
    the number of requests in flight.
    """
    with _REGISTRY_LOCK:
        _GATES[sync] = threading.BoundedSemaphore(requests_at_once)


def gate(sync: str) -> threading.BoundedSemaphore | contextlib.nullcontext[None]:
    with _REGISTRY_LOCK:
        return _GATES.get(sync) or contextlib.nullcontext()


@dataclass
class SharedResponsesRequester(Requester):
    """The declared HttpRequester, sharing its 200 responses with the other selected streams of its group.

    The source sets `sync` (one name per sync), `group` (its `shared_responses` group) and `readers` (how many
    of the group's streams the catalog selects; with one, nothing is kept), and with `sync` the
    number of requests in flight (`limit_in_flight`).
    Everything else (URL, auth, parameters, error handler, retries, rate limits) is the wrapped
    requester's, built by the CDK. Subclasses add query parameters (`extra_request_parameters`).
    """

    requester: Requester
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    sync: str = ""
    group: str = ""
    readers: int = 1

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.readers = int(self.readers)
        shared = bool(self.sync and self.group) and self.readers > 1
        self._spool = spool(f"{self.sync}/{self.group}", self.readers - 1) if shared else None

    def extra_request_parameters(self, stream_slice: StreamSlice | None) -> dict[str, str]:
        """Query parameters this requester adds to the wrapped one's (none here)."""
        return {}

    def request_key(
        self,
        stream_slice: StreamSlice | None,
        next_page_token: Mapping[str, Any] | None,
        request_params: Mapping[str, Any],
    ) -> RequestKey:
        """What identifies a request among the group's: all its query parameters (a page's included).
        `request_params` are the ones the retriever passes, this requester's extra ones included."""
        wrapped = self.requester.get_request_params(stream_slice=stream_slice, next_page_token=next_page_token)
        return tuple(sorted((str(name), str(value)) for name, value in {**request_params, **wrapped}.items()))

    def send_request(
        self,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
        path: str | None = None,
        request_headers: Mapping[str, Any] | None = None,
        request_params: Mapping[str, Any] | None = None,
        request_body_data: Mapping[str, Any] | str | None = None,
        request_body_json: Mapping[str, Any] | None = None,
        log_formatter: Callable[[requests.Response], Any] | None = None,
    ) -> requests.Response | None:
        params = {**(request_params or {}), **self.extra_request_parameters(stream_slice)}
        spool_ = self._spool
        key = self.request_key(stream_slice, next_page_token, params) if spool_ is not None else ()
        if spool_ is not None:
            kept = spool_.take_or_claim(key)
            if kept is not None:
                return kept
        response = None
        try:
            with gate(self.sync):
                response = self.requester.send_request(
                    stream_state=stream_state,
                    stream_slice=stream_slice,
                    next_page_token=next_page_token,
                    path=path,
                    request_headers=request_headers,
                    request_params=params,
                    request_body_data=request_body_data,
                    request_body_json=request_body_json,
                    log_formatter=log_formatter,
                )
        finally:
            if spool_ is not None:
                if response is not None and response.status_code == 200:
                    spool_.settle(key, response.content, response.request.url or response.url)
                else:
                    spool_.settle(key)
        return response

    # ---- the rest is the wrapped requester's
    def get_authenticator(self) -> DeclarativeAuthenticator:
        return self.requester.get_authenticator()

    def get_url(self, **kwargs: Any) -> str:
        return self.requester.get_url(**kwargs)

    def get_url_base(self, **kwargs: Any) -> str:
        return self.requester.get_url_base(**kwargs)

    def get_path(self, **kwargs: Any) -> str:
        return self.requester.get_path(**kwargs)

    def get_method(self) -> HttpMethod:
        return self.requester.get_method()

    def get_request_params(
        self,
        *,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        wrapped = self.requester.get_request_params(
            stream_state=stream_state, stream_slice=stream_slice, next_page_token=next_page_token
        )
        return {**wrapped, **self.extra_request_parameters(stream_slice)}

    def get_request_headers(self, **kwargs: Any) -> Mapping[str, Any]:
        return self.requester.get_request_headers(**kwargs)

    def get_request_body_data(self, **kwargs: Any) -> Mapping[str, Any] | str:
        return self.requester.get_request_body_data(**kwargs)

    def get_request_body_json(self, **kwargs: Any) -> Mapping[str, Any]:
        return self.requester.get_request_body_json(**kwargs)

    def __getattr__(self, name: str) -> Any:
        # attributes the CDK may read or set on a requester (exit_on_rate_limit, ...)
        if name == "requester":
            raise AttributeError(name)
        return getattr(self.requester, name)

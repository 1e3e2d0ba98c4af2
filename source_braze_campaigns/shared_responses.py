"""Responses one stream fetched, handed to the other selected streams of its stream group.

The analytics streams of a family send identical data_series requests (campaigns_analytics and
campaigns_analytics_variations; the three Canvas analytics streams), and so do a family's details
and dimension streams with /details. The manifest declares each such set as a stream group, which
the CDK reads one stream after the other. The first stream to send a request keeps the body here;
each other selected stream of the group takes it instead of asking Braze again; once all of them
took it, it is forgotten.

Why not the CDK's response cache (`use_cache: true`), as 0.2 did: it stores every response through
requests-cache in SQLite (per request a normalised cache key, the whole response serialised and
written, then read back and deserialised by the next stream). Measured on the full catalog, 300
campaigns x a year (docs/benchmarks.md section 8: the bench run on the commit before and on this one, one after the other): CPU at zero
latency 16.4 s -> 13.0 s, a first sync at 100 ms a request and 8 workers 34.1 s -> 28.7 s. Here a
body is appended as it came to a temporary file (the next stream of the group may take it minutes
later: memory would grow with the sync) and indexed in memory by its request, a few dozen bytes
per request; a 200 is kept only after the error handler accepted it, so a bad body is never handed on.
"""

from __future__ import annotations

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
    """Bodies kept for `readers` more streams each: appended to a temporary file, indexed in memory."""

    def __init__(self, readers: int) -> None:
        self.readers = readers
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._size = 0
        # request -> [offset, length, request URL, streams still to take it]
        self._index: dict[RequestKey, list[Any]] = {}

    def keep(self, key: RequestKey, body: bytes, url: str) -> None:
        with self._lock:
            if key in self._index:
                return
            if self._file is None:
                self._file = tempfile.TemporaryFile(dir=os.environ.get(ENV_REQUEST_CACHE_PATH) or None)
            offset, self._size = self._size, self._size + len(body)
            os.pwrite(self._file.fileno(), body, offset)
            self._index[key] = [offset, len(body), url, self.readers]

    def take(self, key: RequestKey) -> SpooledResponse | None:
        with self._lock:
            entry = self._index.get(key)
            if entry is None or self._file is None:
                return None
            entry[3] -= 1
            if entry[3] <= 0:
                del self._index[key]
            fileno = self._file.fileno()
        offset, length, url, _ = entry
        return SpooledResponse(os.pread(fileno, length, offset), url)

    def __len__(self) -> int:
        return len(self._index)


_SPOOLS: dict[str, ResponseSpool] = {}
_SPOOLS_LOCK = threading.Lock()


def spool(name: str, readers: int) -> ResponseSpool:
    """The spool called `name` (the source names one per stream group and sync), made on first use."""
    with _SPOOLS_LOCK:
        found = _SPOOLS.get(name)
        if found is None:
            found = _SPOOLS[name] = ResponseSpool(readers)
        return found


@dataclass
class SharedResponsesRequester(Requester):
    """The declared HttpRequester, sharing its 200 responses with the other selected streams of its group.

    `shared_responses` names the group's spool and `readers` how many selected streams of the group
    send these requests; the source sets both (source.py), and with one reader nothing is kept.
    Everything else (URL, auth, parameters, error handler, retries, rate limits) is the wrapped
    requester's, built by the CDK. Subclasses add query parameters (`extra_request_parameters`).
    """

    requester: Requester
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    shared_responses: str = ""
    readers: int = 1

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.readers = int(self.readers)
        shared = bool(self.shared_responses) and self.readers > 1
        self._spool = spool(self.shared_responses, self.readers - 1) if shared else None

    def extra_request_parameters(self, stream_slice: StreamSlice | None) -> dict[str, str]:
        """Query parameters this requester adds to the wrapped one's (none here)."""
        return {}

    def request_key(self, stream_slice: StreamSlice | None) -> RequestKey:
        """What identifies a request among the group's: its query parameters."""
        params = self.get_request_params(stream_slice=stream_slice)
        return tuple(sorted((str(name), str(value)) for name, value in params.items()))

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
        key = self.request_key(stream_slice) if self._spool is not None and next_page_token is None else None
        if key is not None and self._spool is not None:
            kept = self._spool.take(key)
            if kept is not None:
                return kept
        response = self.requester.send_request(
            stream_state=stream_state,
            stream_slice=stream_slice,
            next_page_token=next_page_token,
            path=path,
            request_headers=request_headers,
            request_params={**(request_params or {}), **self.extra_request_parameters(stream_slice)},
            request_body_data=request_body_data,
            request_body_json=request_body_json,
            log_formatter=log_formatter,
        )
        if key is not None and self._spool is not None and response is not None and response.status_code == 200:
            self._spool.keep(key, response.content, response.request.url or response.url)
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

"""The HTTP side of the sandbox: Braze's three campaign endpoints plus a control API.

API requests go through, in order: latency sleep, route (404 for unknown paths), auth
(401/403), the rate-limit bucket (429 once exhausted), fault injection, then the
endpoint. Every API response carries ``x-ratelimit-limit/-remaining/-reset``, lower-case
as real responses over HTTP/2 have them (``header_case="title"``: ``X-RateLimit-*``),
except a "429_bare" fault (a proxy's 429). 502/503/504 faults answer with an HTML page
(``html_gateway_errors=False``: JSON). A campaign deleted after the list answers 400, with
"Invalid Campaign ID" or, for every other deleted id, another wording: a client must not
decide on the text.

Control API (never counted, no auth, loopback only):
``GET|POST /_sandbox/today`` (``{"today": "YYYY-MM-DD"}``), ``GET|POST|DELETE
/_sandbox/faults``, ``GET /_sandbox/stats``, ``GET /_sandbox/requests[?offset=N]``,
``POST /_sandbox/reset`` (stats, request log and rate-limit windows), ``GET /_sandbox/info``,
``POST /_sandbox/campaigns`` (``{"action": "archive"|"delete"|"create", "campaign_id": ...,
"after_list_page": N}``: change the workspace now, or right after list page N is served,
so that the next page shifts as Braze's would).
"""

from __future__ import annotations

import json
import logging
import math
import re
import socket
import socketserver
import struct
import threading
import time
from datetime import date
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from . import auth, canvas_api
from .canvas import CanvasData
from .config import SandboxConfig
from .data import MAX_LENGTH, BrazeData
from .faults import Fault, FaultInjector
from .ratelimit import FixedWindowBucket, RateState
from .recorder import ENDPOINTS, TrafficRecorder
from .timeutil import parse_in_zone, parse_iso_datetime

log = logging.getLogger("braze_sandbox")

HOST = "127.0.0.1"
_INT_RE = re.compile(r"^[0-9]+$")
_INVALID_CAMPAIGN = {"message": "Invalid Campaign ID"}
_HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p>"
    b"</body></html>"
)
_VANISHED_CAMPAIGN = {
    "message": "Bad Request",
    "errors": ["campaign_id: no campaign with this id in this workspace"],
}
_GATEWAY_HTML = {
    502: _HTML,
    503: b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
    504: b"<html><head><title>504 Gateway Time-out</title></head><body>"
    b"<center><h1>504 Gateway Time-out</h1></center></body></html>",
}
LIST_ACTIONS = ("archive", "delete", "create")
_FAULT_STATUS = {
    "500": (500, {"message": "Internal Server Error"}),
    "502": (502, {"message": "Bad Gateway"}),
    "503": (503, {"message": "Service Unavailable"}),
    "504": (504, {"message": "Gateway Timeout"}),
    "400": (400, _INVALID_CAMPAIGN),
    "404": (404, {"message": "Not Found"}),
}


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _BadRequest(Exception):
    """A 400 with a Braze-style body."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.body = body


class Sandbox:
    """A local Braze REST API serving ``BrazeData`` on 127.0.0.1 in a background thread."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        cfg = self.config
        self.data = BrazeData(
            cfg.seed,
            cfg.campaigns,
            cfg.days,
            cfg.today,
            time_zone=cfg.company_time_zone,
            zero_fill=cfg.zero_fill,
        )
        self.canvas = CanvasData(cfg.seed, cfg.canvases, cfg.days, self.data.today, self.data.zone)
        self.deleted_canvases = frozenset(cfg.deleted_canvas_ids)
        self._today = self.data.today
        self._list_changes: list[tuple[int, str, str | None]] = []
        self._list_lock = threading.Lock()
        self.keys = auth.key_permissions(cfg.api_key)
        self.faults = FaultInjector()
        self.recorder = TrafficRecorder(cfg.request_log_size)
        self.deleted = {cid: k for k, cid in enumerate(cfg.deleted_campaign_ids)}
        data_series = FixedWindowBucket(cfg.data_series_limit, cfg.data_series_window_s)
        shared = FixedWindowBucket(cfg.list_details_limit, cfg.list_details_window_s)
        self.buckets = {
            "/campaigns/data_series": data_series,
            "/campaigns/list": shared,
            "/campaigns/details": shared,
            **{path: shared for path in canvas_api.PATHS},
        }
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        """Bind 127.0.0.1:``config.port`` (0 = any free port) and serve in a thread."""
        if self._server is not None:
            return self
        server = _Server((HOST, self.config.port), _Handler)
        server.sandbox = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"braze-sandbox-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        log.info("braze sandbox listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (RuntimeError before ``start``)."""
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    # ------------------------------------------------------------------ control
    @property
    def today(self) -> date:
        """The sandbox's current "today"."""
        return self._today

    def set_today(self, today: date | str) -> None:
        """Move "today": recent days' conversions grow, today's partial numbers move on."""
        self._today = date.fromisoformat(today) if isinstance(today, str) else today

    def add_fault(
        self,
        path: str | None = None,
        kind: str = "500",
        count: int = 1,
        reset_in: float = 1.0,
        campaign_id: str | None = None,
        delay: float = 1.0,
    ) -> Fault:
        """Arm a fault (see ``faults.FAULT_KINDS``); ``path`` None means any API path."""
        return self.faults.add(kind, path, count, reset_in, campaign_id, delay)

    def clear_faults(self) -> int:
        """Disarm every fault."""
        return self.faults.clear()

    def stats(self) -> dict[str, Any]:
        """``{"requests", "max_in_flight", "max_in_flight_by_endpoint", "responses_by_status"}``."""
        return self.recorder.stats()

    def request_log(self) -> list[dict[str, Any]]:
        """``[{"path", "query", "status"}, ...]`` for the last 200,000 API requests."""
        return self.recorder.log()

    def reset_stats(self) -> None:
        """Clear stats and the request log, and start fresh rate-limit windows."""
        self.recorder.reset()
        for bucket in set(self.buckets.values()):
            bucket.reset()

    def info(self) -> dict[str, Any]:
        """What this sandbox serves (for processes that cannot see ``data``)."""
        return {
            "url": self.url if self._server else None,
            "seed": self.config.seed,
            "campaigns": self.config.campaigns,
            "days": self.config.days,
            "anchor_today": self.data.today.isoformat(),
            "history_start": self.data.history_start.isoformat(),
            "today": self._today.isoformat(),
            "deleted_campaign_ids": sorted(self.deleted),
            "company_time_zone": self.config.company_time_zone,
            "zero_fill": self.config.zero_fill,
            "canvases": self.config.canvases,
            "deleted_canvas_ids": sorted(self.deleted_canvases),
        }

    def change_campaigns(
        self,
        action: str,
        campaign_id: str | None = None,
        after_list_page: int | None = None,
    ) -> str | None:
        """Archive, delete or create a campaign now, or right after list page N is served.

        Returns the id acted on (a created campaign's new id; None when scheduled).
        """
        if action not in LIST_ACTIONS:
            raise ValueError(f"action must be one of {LIST_ACTIONS}")
        if action != "create" and not (
            campaign_id and self.data.has_campaign(campaign_id)
        ):
            raise ValueError(f"no campaign {campaign_id!r}")
        if after_list_page is not None:
            with self._list_lock:
                self._list_changes.append((int(after_list_page), action, campaign_id))
            return None
        if action == "create":
            return self.data.create()
        getattr(self.data, action)(campaign_id)
        return campaign_id

    def _after_list_page(self, page: int) -> None:
        with self._list_lock:
            due = [c for c in self._list_changes if c[0] == page]
            self._list_changes = [c for c in self._list_changes if c[0] != page]
        for _, action, campaign_id in due:
            self.change_campaigns(action, campaign_id)

    # ------------------------------------------------------------------ endpoints
    def respond(self, path: str, query: dict[str, str]) -> tuple[int, bytes]:
        """Status and JSON body of an authorised, admitted API request."""
        if path in canvas_api.PATHS:
            return canvas_api.respond(self.canvas, path, query, self._today, self.deleted_canvases)
        try:
            if path == "/campaigns/list":
                return 200, self._list(query)
            if path == "/campaigns/details":
                cid = self._campaign(query)
                body = {"message": "success", **self.data.details(cid, self._today)}
                return 200, _json(body)
            return 200, self._data_series(query)
        except _BadRequest as bad:
            return 400, _json(bad.body)

    def _campaign(self, query: dict[str, str]) -> str:
        cid = query.get("campaign_id", "")
        if cid in self.deleted:
            raise _BadRequest(
                _VANISHED_CAMPAIGN if self.deleted[cid] % 2 else _INVALID_CAMPAIGN
            )
        if not cid or not self.data.has_campaign(cid):
            raise _BadRequest(_INVALID_CAMPAIGN)
        return cid

    def _list(self, query: dict[str, str]) -> bytes:
        page_text = query.get("page", "0") or "0"
        if not _INT_RE.match(page_text):
            raise _BadRequest(
                {"message": "Invalid page", "errors": ["page must be an integer >= 0"]}
            )
        edited_after = None
        if "last_edit.time[gt]" in query:
            try:
                edited_after = parse_iso_datetime(query["last_edit.time[gt]"])
            except ValueError:
                raise _BadRequest(
                    {
                        "message": "Invalid last_edit.time[gt]",
                        "errors": ["expected yyyy-MM-DDTHH:mm:ss"],
                    }
                ) from None
        page = int(page_text)
        campaigns = self.data.list_page(
            page,
            include_archived=query.get("include_archived", "").lower() == "true",
            sort_direction="desc"
            if query.get("sort_direction", "").lower() == "desc"
            else "asc",
            edited_after=edited_after,
        )
        self._after_list_page(page)
        return _json({"message": "success", "campaigns": campaigns})

    def _data_series(self, query: dict[str, str]) -> bytes:
        cid = self._campaign(query)
        length_text = query.get("length", "")
        if not _INT_RE.match(length_text) or not 1 <= int(length_text) <= MAX_LENGTH:
            raise _BadRequest(
                {
                    "message": "Invalid length",
                    "errors": [f"length must be an integer between 1 and {MAX_LENGTH}"],
                }
            )
        ending_at = None
        if query.get("ending_at"):
            try:
                ending_at = parse_in_zone(query["ending_at"], self.data.zone)
            except ValueError:
                raise _BadRequest(
                    {
                        "message": "Invalid ending_at",
                        "errors": ["expected an ISO 8601 datetime"],
                    }
                ) from None
        today = self._today
        first, last = BrazeData.window(int(length_text), ending_at, today, self.data.zone)
        series = self.data.series_json(cid, first, last, today)
        return b'{"message":"success","data":' + series + b"}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    sandbox: Sandbox

    def server_bind(self) -> None:
        # skip HTTPServer.server_bind's getfqdn(): a reverse DNS lookup we do not need
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BrazeSandbox/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server
    _pending: tuple[str, dict[str, str]] | None = None

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # ------------------------------------------------------------------ plumbing
    def _dispatch(self, method: str) -> None:
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        path = split.path
        query = {
            k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()
        }
        try:
            body = self._read_body()
            if path.startswith("/_sandbox/") or path == "/_sandbox":
                self._control(sandbox, method, path, query, body)
                return
            sandbox.recorder.begin(path)
            self._pending = (path, query)
            try:
                self._api(sandbox, method, path, query)
            finally:
                self._settle(500)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:  # a sandbox bug: say so loudly, answer 500
            log.exception("sandbox error on %s %s", method, self.path)
            self.close_connection = True
            try:
                self._send(500, _json({"message": "sandbox internal error"}), None)
            except OSError:
                pass

    def _settle(self, status: int) -> None:
        """Record the API request in flight (once), just before its answer goes out.

        Recording before writing means a client that has its answer also sees it in the
        stats, and a strictly sequential client never counts as two requests in flight.
        """
        pending, self._pending = self._pending, None
        if pending is not None:
            self.server.sandbox.recorder.end(pending[0], pending[1], status)
            log.info("%s %s -> %s", self.command, self.path, status)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        return self.rfile.read(int(length))

    def _send(
        self,
        status: int,
        body: bytes,
        rate: RateState | None,
        content_type: str = "application/json",
        content_length: int | None = None,
    ) -> None:
        reason = self.responses.get(status, ("",))[0]
        head = [
            f"HTTP/1.1 {status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body) if content_length is None else content_length}",
        ]
        if rate is not None:
            case = self.server.sandbox.config.header_case
            head.extend(f"{name}: {value}" for name, value in rate.headers(case).items())
        if self.close_connection:
            head.append("Connection: close")
        self._settle(status)
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    # ------------------------------------------------------------------ Braze API
    def _api(
        self, sandbox: Sandbox, method: str, path: str, query: dict[str, str]
    ) -> int:
        if sandbox.config.latency_ms > 0:
            time.sleep(sandbox.config.latency_ms / 1000)
        bucket = sandbox.buckets.get(path, sandbox.buckets["/campaigns/list"])
        if path not in ENDPOINTS or method != "GET":
            self._send(
                404,
                _json({"message": f"No route matches {method} {path}"}),
                bucket.peek(),
            )
            return 404
        denied = auth.check(self.headers.get("Authorization"), sandbox.keys, path)
        if denied is not None:
            self._send(denied[0], _json(denied[1]), bucket.peek())
            return denied[0]
        rate = bucket.take()
        if not rate.allowed:
            self._send(429, _json({"message": "rate limited"}), rate)
            return 429
        fault = sandbox.faults.take(path, query.get("campaign_id") or query.get("canvas_id"))
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "429":
                reset = math.ceil(time.time() + fault.reset_in)
                self._send(
                    429,
                    _json({"message": "rate limited"}),
                    RateState(False, rate.limit, 0, reset),
                )
                return 429
            elif fault.kind == "429_bare":
                self._send(429, b"Too Many Requests", None, content_type="text/plain")
                return 429
            elif fault.kind in _FAULT_STATUS:
                status, error = _FAULT_STATUS[fault.kind]
                if status in _GATEWAY_HTML and sandbox.config.html_gateway_errors:
                    html = _GATEWAY_HTML[status]
                    self._send(status, html, rate, content_type="text/html")
                else:
                    self._send(status, _json(error), rate)
                return status
            elif fault.kind == "non_json":
                self._send(200, _HTML, rate, content_type="text/html; charset=utf-8")
                return 200
        status, body = sandbox.respond(path, query)
        if fault is not None and fault.kind == "truncated":
            self._send(200, body[: len(body) // 2], rate)
            return 200
        if fault is not None and fault.kind == "reset":
            self._send(status, body[: len(body) // 2], rate, content_length=len(body))
            self._reset_connection()
            return status
        self._send(status, body, rate)
        return status

    def _reset_connection(self) -> None:
        """Close the socket with a TCP RST (SO_LINGER 0), mid-response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.rfile.close()  # drops the makefile reference so close() really closes
            self.connection.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ control API
    def _control(
        self,
        sandbox: Sandbox,
        method: str,
        path: str,
        query: dict[str, str],
        raw: bytes,
    ) -> None:
        try:
            payload = json.loads(raw) if raw.strip() else {}
            if not isinstance(payload, dict):
                raise TypeError("body must be a JSON object")
            status, result = _control_action(sandbox, method, path, query, payload)
        except (ValueError, TypeError, KeyError) as err:
            status, result = 400, {"message": f"bad control request: {err}"}
        self._send(status, _json(result), None)


def _control_action(
    sandbox: Sandbox,
    method: str,
    path: str,
    query: dict[str, str],
    payload: dict[str, Any],
) -> tuple[int, Any]:
    route = (method, path.rstrip("/"))
    if route == ("GET", "/_sandbox/today"):
        return 200, {"today": sandbox.today.isoformat()}
    if route == ("POST", "/_sandbox/today"):
        sandbox.set_today(str(payload["today"]))
        return 200, {"today": sandbox.today.isoformat()}
    if route == ("GET", "/_sandbox/faults"):
        return 200, {"faults": sandbox.faults.list()}
    if route == ("POST", "/_sandbox/faults"):
        allowed = {"path", "kind", "count", "reset_in", "campaign_id", "delay"}
        unknown = set(payload) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        if "kind" not in payload:
            raise ValueError("kind is required")
        return 200, {"fault": sandbox.add_fault(**payload).as_dict()}
    if route == ("DELETE", "/_sandbox/faults"):
        return 200, {"cleared": sandbox.clear_faults()}
    if route == ("GET", "/_sandbox/stats"):
        return 200, sandbox.stats()
    if route == ("GET", "/_sandbox/requests"):
        offset = int(query.get("offset", "0"))
        return 200, sandbox.request_log()[offset:]
    if route == ("POST", "/_sandbox/reset"):
        sandbox.reset_stats()
        return 200, {"reset": True}
    if route == ("GET", "/_sandbox/info"):
        return 200, sandbox.info()
    if route == ("POST", "/_sandbox/campaigns"):
        unknown = set(payload) - {"action", "campaign_id", "after_list_page"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        done = sandbox.change_campaigns(
            str(payload["action"]),
            payload.get("campaign_id"),
            payload.get("after_list_page"),
        )
        return 200, {"campaign_id": done}
    return 404, {"message": f"no control route {method} {path}"}

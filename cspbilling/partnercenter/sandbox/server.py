"""The sandbox HTTP server (HTTP/1.1, keep-alive) and its Python API ``start_sandbox``."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from cspbilling.partnercenter.sandbox import (
    routes_billing,
    routes_control,
    routes_customers,
    routes_support,
)
from cspbilling.partnercenter.sandbox.faults import Fault
from cspbilling.partnercenter.sandbox.http_util import Reply, Request, encode_json
from cspbilling.partnercenter.sandbox.state import (
    DEFAULT_PARTNER_AUTHOR,
    DEFAULT_TOKEN,
    SandboxError,
    SandboxState,
    error_body,
)

log = logging.getLogger(__name__)

ROUTES = [
    (method, re.compile(f"^{pattern}/?$", re.IGNORECASE), func)
    for module in (routes_customers, routes_billing, routes_support, routes_control)
    for method, pattern, func in module.ROUTES
]


def dispatch(state: SandboxState, req: Request) -> Reply:
    allowed = False
    for method, pattern, func in ROUTES:
        match = pattern.match(req.path)
        if match is None:
            continue
        if method != req.method:
            allowed = True
            continue
        req.params = {k: v for k, v in match.groupdict().items() if v is not None}
        return func(state, req)
    if allowed:
        raise SandboxError(405, None, f"{req.method} is not supported on {req.path}")
    raise SandboxError(404, None, f"No such resource: {req.path}")


def _fault_reply(fault: Fault) -> Reply:
    assert fault.status is not None
    if fault.body is not None:
        return fault.status, fault.body, {}
    if fault.status == 429:
        seconds = fault.retry_after if fault.retry_after is not None else 1
        text = f"{seconds:g}"
        return (
            429,
            {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {text} seconds."},
            {"Retry-After": text},
        )
    return (
        fault.status,
        error_body(None, "Sandbox fault: the service is unavailable, try again"),
        {},
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PartnerCenterSandbox/1.0"
    timeout = 120
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k.lower(): v for k, v in parse_qsl(split.query, keep_blank_values=True)}
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.port}"
        req = Request(
            self.command,
            path,
            query,
            self.headers,
            raw,
            base_url=f"http://{host}",
            raw_query=split.query,
        )
        entry = {
            "method": self.command,
            "path": path,
            "query": split.query,
            "request_id": self.headers.get("MS-RequestId"),
            "correlation_id": self.headers.get("MS-CorrelationId"),
            "continuation": self.headers.get("MS-ContinuationToken"),
            "time": time.monotonic(),
            "fault": None,
            "status": None,
        }
        state.record(entry)  # logged on arrival; status and fault are filled in below
        fault: Fault | None = None
        is_api = not path.lower().startswith("/_sandbox")
        if is_api and self.headers.get("Authorization") != f"Bearer {state.token}":
            body = error_body(None, "Authorization: Bearer <token> is missing or not valid")
            return self._send(entry, (401, body, {"WWW-Authenticate": "Bearer"}), None)
        if is_api:
            with state.lock:
                fault = state.faults.decide(self.command, path)
        if fault and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault and fault.drop:
            entry["fault"] = "drop"
            self.close_connection = True
            return
        if fault and fault.status is not None:
            entry["fault"] = str(fault.status)
            return self._send(entry, _fault_reply(fault), fault)
        if fault and fault.body is not None:
            entry["fault"] = "body"
            return self._send(entry, (200, fault.body, {}), fault)
        with state.lock:
            try:
                reply = dispatch(state, req)
            except SandboxError as exc:
                reply = (exc.status, exc.body(), {})
            except Exception:
                log.exception("sandbox route failed: %s %s", self.command, path)
                reply = (500, error_body(None, "Sandbox internal error"), {})
            payload = self._encode(reply)
            if self.command != "GET" and reply[0] < 400:
                self.server.write_state_file()
        if fault and fault.drop_after:
            entry["fault"], entry["status"] = "drop_after", reply[0]
            self.close_connection = True  # the work is done; the answer never leaves
            return
        self._send(entry, reply, fault, payload)

    @staticmethod
    def _encode(reply: Reply) -> bytes:
        body = reply[1]
        if body is None:
            return b""
        return body if isinstance(body, bytes) else encode_json(body)

    def _send(
        self, entry: dict, reply: Reply, fault: Fault | None, payload: bytes | None = None
    ) -> None:
        status, _body, headers = reply
        payload = self._encode(reply) if payload is None else payload
        if fault and fault.malformed:
            entry["fault"] = "malformed"
            payload = payload[: max(1, len(payload) // 2)] if len(payload) > 2 else b'{"items": ['
        entry["status"] = status
        try:
            self.send_response(status)
            if "Content-Type" not in headers:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            if entry.get("request_id"):
                self.send_header("MS-RequestId", entry["request_id"])
            if entry.get("correlation_id"):
                self.send_header("MS-CorrelationId", entry["correlation_id"])
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(payload)
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. it timed out)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        self.state = state
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def write_state_file(self) -> None:
        """Write the state file; a failure is logged and the sandbox keeps serving."""
        try:
            self.state.write_state_file()
        except ValueError as exc:
            log.error("%s", exc)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-request (a killed job) is not the sandbox's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SandboxHandle:
    """A running sandbox: ``base_url``, ``token``, ``state``, fault helpers and ``stop()``."""

    def __init__(self, server: SandboxServer, thread: threading.Thread) -> None:
        self.server, self.thread, self.state = server, thread, server.state

    @property
    def host(self) -> str:
        return self.server.server_address[0]

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        return self.state.token

    def set_faults(self, **settings: Any) -> None:
        """latency_ms, rate_429, retry_after, rate_5xx, rate_drop, malformed, seed, script."""
        with self.state.lock:
            self.state.faults.update(settings)

    def script(self, *entries: dict[str, Any]) -> None:
        """Append exact faults, e.g. script({"path_prefix": "/v1/customers", "status": 429,
        "times": 2, "retry_after": 1})."""
        self.set_faults(append_script=list(entries))

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults = type(self.state.faults)()

    def reset(self, **kwargs: Any) -> None:
        self.state.reset(**kwargs)

    def requests(self, path_prefix: str = "", method: str | None = None) -> list[dict]:
        return self.state.requests_to(path_prefix, method)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.server.write_state_file()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    *,
    port: int = 0,
    customers: int = 50,
    seed: int = 1,
    token: str = DEFAULT_TOKEN,
    host: str = "127.0.0.1",
    faults: dict[str, Any] | None = None,
    anchor: date | None = None,
    cloud: str = "china",
    state_file: str | Path | None = None,
    partner_author: str = DEFAULT_PARTNER_AUTHOR,
) -> SandboxHandle:
    """Seed and serve a sandbox in a background thread (port 0 picks a free port).

    ``cloud`` is ``china`` (Partner Center operated by 21Vianet: no service-request API) or
    ``global``. With ``state_file``, the state is loaded from it when it exists (seeding
    options are then ignored) and written back after each change and on ``stop()``; a file
    that cannot be read raises ``StateFileError`` (a ValueError). ``partner_author`` is the
    name it writes on the notes the partner adds to a service request.
    """
    state = SandboxState(
        customers=customers,
        seed=seed,
        token=token,
        anchor=anchor,
        cloud=cloud,
        state_file=state_file,
        partner_author=partner_author,
    )
    if faults:
        state.faults.update(faults)
    server = SandboxServer((host, port), state)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"pc-sandbox-{server.port}",
        daemon=True,
    )
    thread.start()
    return SandboxHandle(server, thread)

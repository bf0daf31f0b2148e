"""A scripted HTTP proxy on 127.0.0.1 in front of the real local CKAN portal, for fault injection.

Each request's CKAN action (the last part of ``/api/3/action/<name>``) is looked up in the script;
its faults are used up in order, one per request, then requests pass through. ``always`` (set
with ``fail_from``) applies to every request from the n-th on: a portal that never recovers.

Faults:

* ``reply(status, retry_after=None, body=None)`` — answer ``status`` without forwarding (500,
  503, 429), with ``body`` (an HTML page) when given;
* ``commit_then(status)`` — forward the write to the portal, then throw its reply away and answer
  ``status`` (a committed write whose reply was lost);
* ``slow(seconds)`` — forward, then hold the reply back that long;
* ``hang(seconds)`` — answer nothing for that long, then close the connection;
* ``stale()`` — answer CKAN's "Not found" without forwarding (a read served by a lagging replica);
* ``drip(seconds)`` — forward, then send the reply's body one byte every ``seconds`` (slowloris).

``echo=True`` makes it a portal that echoes the request's ``Authorization`` header: every reply
body (JSON: an extra ``echo`` member, also inside dict results and CKAN errors) and every error
it makes up carry the header's value; ``echo_encoding="base64"`` or ``"hex"`` makes the pages
it makes up carry ``Authorization: <value>`` encoded that way instead (a proxy's "request id").
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

FORWARDED_HEADERS = ("Content-Type", "Authorization", "X-CKAN-API-Key", "User-Agent")


@dataclass(frozen=True)
class Fault:
    kind: str  # reply | commit_then | slow | hang | stale | drip
    status: int = 502
    retry_after: str | None = None
    seconds: float = 0.0
    body: str | None = None


def reply(status: int, retry_after: str | None = None, body: str | None = None) -> Fault:
    return Fault("reply", status, retry_after, body=body)


def drip(seconds_per_byte: float) -> Fault:
    return Fault("drip", seconds=seconds_per_byte)


def commit_then(status: int = 502) -> Fault:
    return Fault("commit_then", status)


def slow(seconds: float) -> Fault:
    return Fault("slow", seconds=seconds)


def hang(seconds: float) -> Fault:
    return Fault("hang", seconds=seconds)


def stale() -> Fault:
    return Fault("stale", 404)


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hanging handler must not hold up the test's end

    def __init__(self, upstream: str, echo: bool = False, echo_encoding: str = "plain") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.rstrip("/")
        self.echo = echo
        self.echo_encoding = echo_encoding
        self.script: dict[str, list[Fault]] = {}
        self.always: Fault | None = None
        self.always_from = 0
        self.seen: list[str] = []  # every action, in arrival order
        self.injected: list[tuple[str, str]] = []  # (action, fault kind) actually applied
        self.echoed = 0  # replies that carried the Authorization value
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def on(self, action: str, *faults: Fault) -> FaultProxy:
        self.script.setdefault(action, []).extend(faults)
        return self

    def fail_from(self, request_number: int, fault: Fault) -> FaultProxy:
        """From the ``request_number``-th request on (1-based, counting from now), ``fault``."""
        with self.lock:
            self.always_from = len(self.seen) + request_number
            self.always = fault
        return self

    def next_fault(self, action: str) -> Fault | None:
        with self.lock:
            self.seen.append(action)
            fault: Fault | None = None
            if self.always is not None and len(self.seen) >= self.always_from:
                fault = self.always
            elif self.script.get(action):
                fault = self.script[action].pop(0)
            if fault is not None:
                self.injected.append((action, fault.kind))
            return fault

    def pending(self) -> dict[str, list[Fault]]:
        """Scripted faults not used (a test whose script was not exercised proves nothing)."""
        return {action: faults for action, faults in self.script.items() if faults}


def _with_echo(body: bytes, auth: str) -> bytes:
    try:
        payload = json.loads(body)
    except ValueError:
        return body + f"\n<!-- Authorization: {auth} -->".encode()
    if isinstance(payload, dict):
        payload["echo"] = {"Authorization": auth}
        for key in ("result", "error"):
            if isinstance(payload.get(key), dict):
                payload[key]["echoed_authorization"] = auth
    return json.dumps(payload).encode()


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        action = self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        auth = self.headers.get("Authorization") or ""
        fault = self.server.next_fault(action)
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
            self.close_connection = True
            return
        if fault is not None and fault.kind == "stale":
            error = {"__type": "Not Found Error", "message": "Not found: Dataset not found"}
            payload = json.dumps({"success": False, "error": error}).encode()
            self._send(404, payload, "application/json")
            return
        if fault is not None and fault.kind == "reply":
            self._made_up(fault.status, auth, fault.retry_after, fault.body)
            return
        upstream = requests.request(
            method,
            self.server.upstream + self.path,
            data=body,
            headers={k: v for k in FORWARDED_HEADERS if (v := self.headers.get(k)) is not None},
            allow_redirects=False,
            timeout=300,
        )
        if fault is not None and fault.kind == "commit_then":
            self._made_up(fault.status, auth)  # the write went through; its reply is lost
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        content = upstream.content
        if self.server.echo and auth and self.server.echo_encoding == "plain":
            content = _with_echo(content, auth)
            with self.server.lock:
                self.server.echoed += 1
        if fault is not None and fault.kind == "drip":
            self._send(
                upstream.status_code,
                content,
                upstream.headers.get("Content-Type"),
                drip=fault.seconds,
            )
            return
        self._send(upstream.status_code, content, upstream.headers.get("Content-Type"))

    def _made_up(
        self, status: int, auth: str, retry_after: str | None = None, body: str | None = None
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after else {}
        if body is not None:
            self._send(status, body.encode(), "text/html", headers)
            return
        if self.server.echo and auth and self.server.echo_encoding != "plain":
            raw = f"Authorization: {auth}".encode()
            blob = (
                base64.b64encode(raw).decode()
                if self.server.echo_encoding == "base64"
                else raw.hex()
            )
            text = f"<html><body>{status}: upstream trouble. Request id {blob}"
            with self.server.lock:
                self.server.echoed += 1
        elif self.server.echo and auth:
            text = f"<html><body>{status}: upstream trouble. Your request had Authorization: {auth}"
            with self.server.lock:
                self.server.echoed += 1
        else:
            text = f"<html><body>{status}: upstream trouble"
        self._send(status, (text + "</body></html>").encode(), "text/html", headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, Any] | None = None,
        drip: float = 0.0,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not drip:
            self.wfile.write(body)
            return
        try:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(drip)
        except OSError:  # the client gave up
            pass

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


def running(proxy: FaultProxy) -> Iterator[FaultProxy]:
    """Serve ``proxy`` on a thread for the duration of a fixture."""
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()

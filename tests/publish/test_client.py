"""The API client against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ckanapi
import pytest
import requests

from pipelines.publish.client import CKANClient, RetryableHTTPError, parse_retry_after

TOKEN = "secret-token-0123456789abcdef"


class FlakyCKAN(ThreadingHTTPServer):
    """Answers ``status_sequence`` in order (then 200 success); records what it received."""

    def __init__(self, statuses: list[int], retry_after: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = list(statuses)
        self.retry_after = retry_after
        self.received: list[dict[str, object]] = []
        self.times: list[float] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FlakyCKAN

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.times.append(time.monotonic())
        self.server.received.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "size": len(body)}
        )
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        if status == 200:
            payload = {"success": True, "result": {"ok": True, "size": len(body)}}
        elif status == 409:
            payload = {
                "success": False,
                "error": {"__type": "Validation Error", "name": ["That URL is already in use."]},
            }
        else:
            payload = {"success": False, "error": {"message": "overloaded"}}
        data = json.dumps(payload).encode()
        self.send_response(status)
        if self.server.retry_after and status == 429:
            self.send_header("Retry-After", self.server.retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


def serve(server: FlakyCKAN) -> Iterator[FlakyCKAN]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def flaky(request: pytest.FixtureRequest) -> Iterator[FlakyCKAN]:
    statuses, retry_after = request.param
    yield from serve(FlakyCKAN(statuses, retry_after))


def client_for(server: FlakyCKAN, attempts: int = 4) -> CKANClient:
    return CKANClient(
        server.url,
        TOKEN,
        timeout_s=5,
        max_attempts=attempts,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )


@pytest.mark.parametrize("flaky", [([503, 502, 500], None)], indirect=True)
def test_5xx_is_retried_until_success(flaky: FlakyCKAN) -> None:
    client = client_for(flaky)
    assert client.call("package_show", {"id": "x"}) == {"ok": True, "size": 11}
    assert len(flaky.received) == 4
    assert client.traffic.total.requests == 4
    assert all(r["auth"] == TOKEN for r in flaky.received)


@pytest.mark.parametrize("flaky", [([503] * 5, None)], indirect=True)
def test_gives_up_after_max_attempts_with_the_status(flaky: FlakyCKAN) -> None:
    with pytest.raises(RetryableHTTPError) as error:
        client_for(flaky, attempts=3).call("package_show")
    assert error.value.status == 503
    assert "overloaded" in str(error.value)
    assert len(flaky.received) == 3


@pytest.mark.parametrize("flaky", [([429], "1")], indirect=True)
def test_429_waits_as_long_as_retry_after_says(flaky: FlakyCKAN) -> None:
    client_for(flaky).call("package_show")
    assert len(flaky.times) == 2
    assert flaky.times[1] - flaky.times[0] >= 0.9  # backoff alone would wait ~0.01 s


@pytest.mark.parametrize("flaky", [([409], None)], indirect=True)
def test_ckan_refusals_are_not_retried_and_keep_the_server_message(flaky: FlakyCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as error:
        client_for(flaky).call("package_create", {"name": "x"})
    assert "already in use" in str(error.value)
    assert len(flaky.received) == 1


@pytest.mark.parametrize("flaky", [([503], None)], indirect=True)
def test_uploads_are_resent_whole_on_retry(flaky: FlakyCKAN) -> None:
    content = "สวัสดี,1\n".encode() * 1000
    client_for(flaky).call("resource_patch", {"id": "r"}, upload=("a.csv", content, "text/csv"))
    sizes = [r["size"] for r in flaky.received]
    assert len(sizes) == 2
    assert sizes[0] == sizes[1]
    assert sizes[0] > len(content)


def test_connection_errors_are_retried_and_the_token_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FlakyCKAN([])
    port = server.server_address[1]
    server.server_close()  # nothing listens there any more
    client = CKANClient(
        f"http://127.0.0.1:{port}",
        TOKEN,
        timeout_s=2,
        max_attempts=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.02,
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(requests.ConnectionError) as error:
        client.call("package_show")
    assert caplog.text.count("retrying in") == 2
    assert TOKEN not in caplog.text
    assert TOKEN not in str(error.value)
    assert TOKEN not in repr(client)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None

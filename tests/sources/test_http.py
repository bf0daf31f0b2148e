"""The http connector against a real HTTP server on 127.0.0.1 (a thread per test)."""

import email.utils
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.sources.errors import SourceError
from pipelines.sources.http import HttpOptions, fetch
from pipelines.sources.landing import LandingArea

BODY = "เลขที่โครงการ,ชื่อโครงการ\n67000000001,จ้างก่อสร้างถนน\n".encode()
LAST_MODIFIED = email.utils.formatdate(1_700_000_000, usegmt=True)


@dataclass
class Script:
    """What the server answers: a queue of statuses first, then the file."""

    failures: list[int] = field(default_factory=list)
    body: bytes = BODY
    etag: str = '"v1"'
    requests: list[dict[str, str]] = field(default_factory=list)
    redirect_to: str | None = None


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.requests.append(dict(self.headers))
            if script.failures:
                self.send_response(script.failures.pop(0))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if script.redirect_to:
                self.send_response(302)
                self.send_header("Location", script.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == script.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(script.body)))
            self.send_header("ETag", script.etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(script.body)

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def landing(tmp_path) -> LandingArea:
    return LandingArea(tmp_path, "procurement", "cgd")


FAST = HttpOptions(
    allowed_hosts=["127.0.0.1"], timeout_s=5, retries=4, backoff_s=0.01, backoff_max_s=0.05
)


def test_download_lands_bytes_with_provenance(server, landing):
    base, _ = server
    landed = fetch(f"{base}/procurement.csv", landing, FAST)
    assert landed.new
    assert landed.path.read_bytes() == BODY
    assert landed.path.name == f"{hashlib.sha256(BODY).hexdigest()}.csv"
    assert landed.provenance.etag == '"v1"'
    assert landed.provenance.last_modified == LAST_MODIFIED
    assert landed.provenance.size == len(BODY)
    assert landed.provenance.source == f"{base}/procurement.csv"


@pytest.mark.parametrize("status", [503, 429, 500])
def test_retries_transient_failures_then_succeeds(server, landing, status):
    base, script = server
    script.failures = [status, status]
    landed = fetch(f"{base}/procurement.csv", landing, FAST)
    assert landed.path.read_bytes() == BODY
    assert len(script.requests) == 3


def test_gives_up_after_the_retry_budget(server, landing):
    base, script = server
    script.failures = [503] * 10
    with pytest.raises(SourceError, match="HTTP 503 after 4 attempts"):
        fetch(f"{base}/procurement.csv", landing, FAST)
    assert len(script.requests) == 4
    assert landing.received() == []


def test_client_error_is_not_retried(server, landing):
    base, script = server
    script.failures = [404]
    with pytest.raises(SourceError, match="HTTP 404"):
        fetch(f"{base}/procurement.csv", landing, FAST)
    assert len(script.requests) == 1


def test_unchanged_source_makes_a_conditional_request_and_stores_nothing(server, landing):
    base, script = server
    first = fetch(f"{base}/procurement.csv", landing, FAST)
    files_before = sorted(landing.root.iterdir())
    again = fetch(f"{base}/procurement.csv", landing, FAST)
    assert script.requests[-1]["If-None-Match"] == '"v1"'
    assert script.requests[-1]["If-Modified-Since"] == LAST_MODIFIED
    assert again.path == first.path
    assert not again.new
    assert sorted(landing.root.iterdir()) == files_before


def test_changed_source_lands_a_new_file_and_keeps_the_old(server, landing):
    base, script = server
    first = fetch(f"{base}/procurement.csv", landing, FAST)
    script.body, script.etag = BODY + b"67000000002,x\n", '"v2"'
    second = fetch(f"{base}/procurement.csv", landing, FAST)
    assert second.new
    assert second.path != first.path
    assert first.path.read_bytes() == BODY


def test_size_limit(server, landing):
    base, _ = server
    small = HttpOptions(**{**FAST.__dict__, "max_bytes": 10})
    with pytest.raises(SourceError, match="exceeds 10"):
        fetch(f"{base}/procurement.csv", landing, small)
    assert landing.received() == []


def test_disallowed_host_is_refused_before_any_request(server, landing):
    base, script = server
    with pytest.raises(SourceError, match="not in the allowed hosts"):
        fetch(f"{base}/procurement.csv", landing, HttpOptions(allowed_hosts=["data.go.th"]))
    assert script.requests == []


def test_redirect_to_a_disallowed_host_is_refused(server, landing):
    base, script = server
    script.redirect_to = "http://localhost.invalid/elsewhere.csv"
    with pytest.raises(SourceError, match=r"localhost\.invalid"):
        fetch(f"{base}/procurement.csv", landing, FAST)
    assert landing.received() == []

"""One CKAN client: nothing outside :mod:`pipelines.publish.client` builds its own HTTP stack
for CKAN, and the readiness reader and the ``ckan`` source get the client's retries on a 503
(through the fault proxy in front of the real local portal)."""

from __future__ import annotations

import ast
import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import ckanapi
import pytest

from pipelines.contracts import CkanSource
from pipelines.publish.client import (
    CKANClient,
    DisallowedHostError,
    ReplyTooLargeError,
    RetryableHTTPError,
)
from pipelines.readiness.facts import PortalResource
from pipelines.readiness.methodology import load_config
from pipelines.readiness.portal_reader import _fetch_summary, read_portal
from pipelines.sources import ckan as ckan_source
from pipelines.sources.landing import LandingArea
from tests.publish.fault_proxy import FaultProxy, reply, running

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipelines"
CLIENT = PACKAGE / "publish" / "client.py"
# HTTP stacks that are not CKAN's: plain HTTP sources and the OCDS schema download.
NOT_CKAN = {PACKAGE / "sources" / "http.py", PACKAGE / "integrity" / "ocds_schema.py"}

FORBIDDEN = {
    "ckanapi": {"RemoteCKAN"},
    "requests": {"Session", "session", "get", "post", "put", "delete", "head", "request"},
    "httpx": {"Client", "AsyncClient", "get", "post", "put", "delete", "head", "request", "stream"},
}

CSV = "เลขที่โครงการ,ชื่อโครงการ\n67000000001,จ้างขุดลอกคลอง\n".encode()
REPORT = {"valid": True, "privacy": {"findings": []}}


def http_stacks(source: str) -> list[str]:
    """The HTTP clients ``source`` builds or calls directly: ``module.Name`` per use."""
    found: list[str] = []
    aliases = {}  # local name -> module, from `import requests as r`
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in FORBIDDEN:
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN:
            found += [
                f"{node.module}.{a.name}" for a in node.names if a.name in FORBIDDEN[node.module]
            ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id)
            if module is not None and node.attr in FORBIDDEN[module]:
                found.append(f"{module}.{node.attr}")
    return found


def test_the_scan_finds_every_way_of_building_a_stack() -> None:
    assert http_stacks("import ckanapi\nckanapi.RemoteCKAN('u')") == ["ckanapi.RemoteCKAN"]
    assert http_stacks("from ckanapi import RemoteCKAN as R\nR('u')") == ["ckanapi.RemoteCKAN"]
    assert http_stacks("import requests as r\nr.get('u')") == ["requests.get"]
    assert http_stacks("import requests\ns = requests.Session()") == ["requests.Session"]
    assert http_stacks("from httpx import Client") == ["httpx.Client"]
    assert http_stacks("import ckanapi\nexcept_ = ckanapi.NotFound") == []


def test_only_the_client_builds_an_http_stack_for_ckan() -> None:
    offenders = {
        str(path.relative_to(ROOT)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != CLIENT
        and path not in NOT_CKAN
        and (uses := http_stacks(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    # The exempt modules are not talking to CKAN (its action API or its portal settings).
    for path in NOT_CKAN:
        text = path.read_text(encoding="utf-8")
        assert "/api/3/action" not in text, path
        assert "ckan_url" not in text, path
    assert http_stacks(CLIENT.read_text(encoding="utf-8"))  # the scan does see the client's


@pytest.fixture
def proxy(ckan_portal) -> Iterator[FaultProxy]:
    yield from running(FaultProxy(ckan_portal.url))


@pytest.fixture(scope="module")
def store(ckan, created, run_id) -> dict[str, str]:
    """A dataset with an uploaded CSV and an uploaded validation report; file URLs by name."""
    org = ckan.action.organization_create(name=f"one-client-{run_id}", title="ไคลเอนต์เดียว")
    created.append(("organization", org["name"]))
    name = f"one-client-store-{run_id}"
    ckan.action.package_create(name=name, title="ไฟล์", owner_org=org["id"])
    created.append(("dataset", name))
    urls = {}
    for file_name, content, fmt in (
        ("procurement.csv", CSV, "CSV"),
        ("validation-report.json", json.dumps(REPORT).encode(), "JSON"),
    ):
        upload = io.BytesIO(content)
        upload.name = file_name  # the file's name in its download URL
        resource = ckan.action.resource_create(
            package_id=name, name=file_name, format=fmt, upload=upload
        )
        urls[file_name] = resource["url"]
    urls["organization"] = org["id"]
    urls["dataset"] = name
    return urls


def _via(proxy: FaultProxy, url: str) -> str:
    return proxy.url + urlsplit(url).path


def _client(url: str, attempts: int) -> CKANClient:
    return CKANClient(url, None, timeout_s=30, max_attempts=attempts, backoff_initial_s=0.05)


@pytest.mark.timeout(300)
def test_the_reader_retries_a_503_on_calls_and_report_downloads(proxy, store) -> None:
    rules = load_config(ROOT / "datasets" / "ogp").methodology.portal
    proxy.on("license_list", reply(503)).on("package_search", reply(503, retry_after="0"))
    proxy.on("organization_list", reply(503))
    snapshot = read_portal(_client(proxy.url, 3), rules)
    assert proxy.pending() == {}
    assert ("license_list", "reply") in proxy.injected
    assert store["dataset"] in {d.name for d in snapshot.datasets}
    assert snapshot.validation[store["dataset"]].valid is True

    report_url = _via(proxy, store["validation-report.json"])
    resource = PortalResource(
        id="r", name="validation-report.json", format="JSON", url=report_url,
        page_url=report_url, datastore_active=False,
    )  # fmt: skip
    proxy.on("validation-report.json", reply(503))
    summary = _fetch_summary(_client(proxy.url, 3), resource)
    assert summary is not None
    assert summary.valid is True
    assert proxy.pending() == {}
    # Without the retry the same 503 is the reader's failure: the retry is what saved it.
    proxy.on("validation-report.json", reply(503))
    with pytest.raises(RetryableHTTPError, match="HTTP 503"):
        _fetch_summary(_client(proxy.url, 1), resource)


@pytest.mark.timeout(300)
def test_the_source_retries_a_503_on_package_show_and_the_file(
    proxy, store, ckan, created, run_id, tmp_path
) -> None:
    # The file is linked through the proxy, so its download meets the proxy's faults too.
    name = f"one-client-src-{run_id}"
    ckan.action.package_create(name=name, title="ลิงก์", owner_org=store["organization"])
    created.append(("dataset", name))
    link = _via(proxy, store["procurement.csv"])
    ckan.action.resource_create(package_id=name, name="procurement.csv", format="CSV", url=link)
    proxy.on("package_show", reply(503)).on("procurement.csv", reply(503), reply(502))
    source = CkanSource(url=proxy.url, dataset=name, formats=["CSV"])
    (landed,) = ckan_source.pull(source, LandingArea(tmp_path, "procurement", "rid"))
    assert landed.path.read_bytes() == CSV
    assert proxy.pending() == {}
    assert [a for a, _ in proxy.injected].count("procurement.csv") == 2


def test_a_ckan_error_keeps_the_servers_message(ckan_portal, anon, run_id) -> None:
    with pytest.raises(ckanapi.NotFound) as direct:
        anon.action.package_show(id=f"nothing-{run_id}")
    with pytest.raises(ckanapi.NotFound) as through_client:
        _client(ckan_portal.url, 2).call("package_show", {"id": f"nothing-{run_id}"})
    assert str(direct.value)  # the portal's own words ("Not found", in its locale) ...
    assert through_client.value.args == direct.value.args  # ... unchanged by the client


class _Files(http.server.BaseHTTPRequestHandler):
    """Serves any path, remembering each request's Authorization header; ``/away`` redirects
    to ``redirect_to``; ``/big`` is larger than the tests' reply cap."""

    seen: ClassVar[list[str | None]] = []
    redirect_to = ""

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"x" * (4096 if self.path == "/big" else 10)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def files() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Files.seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_downloads_send_the_token_to_the_portals_origin_only(files: str) -> None:
    portal = CKANClient(files, "secret-token", timeout_s=5, max_attempts=1)
    assert portal.download(f"{files}/a.csv").content == b"x" * 10
    elsewhere = CKANClient("http://127.0.0.1:9", "secret-token", timeout_s=5, max_attempts=1)
    assert elsewhere.download(f"{files}/b.csv").content == b"x" * 10
    assert _Files.seen == ["secret-token", None]


def test_downloads_keep_the_reply_cap_and_the_allowed_hosts(files: str) -> None:
    client = CKANClient(files, None, timeout_s=5, max_attempts=1, max_reply_bytes=1000)
    with pytest.raises(ReplyTooLargeError, match="1,000 bytes"):
        client.download(f"{files}/big")
    _Files.redirect_to = "http://localhost:9/elsewhere.csv"
    with pytest.raises(DisallowedHostError, match="localhost"):
        client.download(f"{files}/away", allowed_hosts=["127.0.0.1"])
    with pytest.raises(DisallowedHostError, match=r"example\.org"):
        client.download("http://example.org/x.csv", allowed_hosts=["127.0.0.1"])
    assert len(_Files.seen) == 2  # the refused redirect was not followed

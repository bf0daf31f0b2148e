"""datapackage.json with portal URLs as paths: only the paths change, the bytes are reproducible,
and the result validates when each file is served at its URL (a local HTTP server standing in
for the portal's download URLs; the real portal is in test_public_tools.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import frictionless
import pytest

from pipelines.publish.datapackage import (
    DATAPACKAGE_NAME,
    MissingPortalURLError,
    as_published,
    described_names,
    resource_urls,
    with_portal_paths,
)
from pipelines.publish.model import PublishRequest, ResourceFile


def descriptor(request: PublishRequest) -> ResourceFile:
    return next(r for r in request.resources if r.name == DATAPACKAGE_NAME)


def download_urls(base: str, request: PublishRequest) -> dict[str, str]:
    """CKAN-shaped download URLs, one resource id per file."""
    return {
        resource.name: f"{base}/dataset/pkg/resource/r{number}/download/{resource.name}"
        for number, resource in enumerate(request.resources)
    }


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A local HTTP server answering each registered path with its bytes (404 otherwise)."""
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()


def test_only_the_paths_change_and_the_bytes_are_reproducible(make_request) -> None:
    request = make_request("ag")
    built = descriptor(request)
    urls = download_urls("http://portal.test", request)

    resolved = with_portal_paths(built, urls)

    before, after = json.loads(built.content), json.loads(resolved.content)
    assert [r["path"] for r in after["resources"]] == [urls[n] for n in described_names(built)]
    for entry in after["resources"]:
        entry["path"] = next(n for n, url in urls.items() if url == entry["path"])
    assert after == before
    assert list(json.loads(resolved.content)) == list(before)  # key order kept
    assert with_portal_paths(built, dict(urls)).content == resolved.content
    assert (resolved.name, resolved.format, resolved.mimetype, resolved.description) == (
        built.name,
        built.format,
        built.mimetype,
        built.description,
    )
    assert resolved.content.endswith(b"\n")
    assert "ข้อมูลการจัดซื้อจัดจ้าง".encode() in resolved.content  # Thai unescaped


def test_a_described_file_without_a_url_is_refused(make_request) -> None:
    request = make_request("ag")
    urls = download_urls("http://portal.test", request)
    del urls["procurement-fy2025.csv"]
    with pytest.raises(MissingPortalURLError, match=r"procurement-fy2025\.csv"):
        with_portal_paths(descriptor(request), urls)


def test_as_published_touches_the_descriptor_only(make_request) -> None:
    request = make_request("ag")
    published = as_published(request, download_urls("http://portal.test", request))
    changed = [
        new.name
        for old, new in zip(request.resources, published.resources, strict=True)
        if old != new
    ]
    assert changed == [DATAPACKAGE_NAME]


def test_resource_urls_keep_the_first_resource_of_a_name() -> None:
    package = {
        "resources": [
            {"name": "a.csv", "url": "http://p/1"},
            {"name": "b.csv", "url": ""},
            {"name": "a.csv", "url": "http://elsewhere/2"},
        ]
    }
    assert resource_urls(package) == {"a.csv": "http://p/1"}


def test_the_descriptor_validates_when_each_file_is_at_its_url(make_request, served) -> None:
    base, files = served
    request = make_request("ag")
    urls = download_urls(base, request)
    published = as_published(request, urls)
    for resource in published.resources:
        files[urls[resource.name].removeprefix(base)] = resource.content

    report = frictionless.validate(urls[DATAPACKAGE_NAME])
    assert report.valid, report.flatten(["type", "note"])

    # Served at the old relative paths' place (the descriptor's own URL), it does not.
    files[urls["procurement-fy2024.csv"].removeprefix(base)] = descriptor(published).content
    broken = frictionless.validate(urls[DATAPACKAGE_NAME])
    assert not broken.valid

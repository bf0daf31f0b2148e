"""Which DataStore load path a portal gets (its status_show extensions, asked once per client),
and what the readiness report counts as served by the API while an xloader load is unfinished.
A local HTTP server plays status_show: no portal needed."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from pipelines.publish import xloader
from pipelines.publish.client import CKANClient
from pipelines.publish.xloader import (
    FAILED,
    LOAD_STATE_KEY,
    LOADED,
    LOADING,
    MIN_ROWS,
    MIN_ROWS_ENV,
    XloaderLoadError,
    loaded_marks,
    loads_by_xloader,
    offers_xloader,
)
from pipelines.readiness.portal_reader import _dataset


class _Status(http.server.BaseHTTPRequestHandler):
    extensions: ClassVar[list[str]] = []
    calls: ClassVar[list[str]] = []

    def do_POST(self) -> None:  # ckanapi posts every action
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).calls.append(self.path)
        body = json.dumps(
            {"success": True, "result": {"ckan_version": "2.12.0", "extensions": self.extensions}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[tuple[str, type[_Status]]]:
    handler = type("Handler", (_Status,), {"extensions": [], "calls": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def _client(url: str) -> CKANClient:
    return CKANClient(url, None, timeout_s=5, max_attempts=1)


def test_a_portal_listing_xloader_gets_the_xloader_path_asked_once_per_client(portal) -> None:
    url, handler = portal
    handler.extensions = ["datastore", "xloader", "datatables_view"]
    client = _client(url)
    assert offers_xloader(client) is True
    assert offers_xloader(client) is True
    assert loaded_marks(client) == {LOAD_STATE_KEY: LOADED}
    assert handler.calls == ["/api/action/status_show"]  # one question for the whole run
    assert offers_xloader(_client(url)) is True  # a new client (run) asks again
    assert len(handler.calls) == 2


def test_a_portal_without_xloader_keeps_the_datastore_upsert_path(portal) -> None:
    url, handler = portal
    handler.extensions = ["datastore", "datatables_view", "xloader_extra"]  # not the plugin
    client = _client(url)
    assert offers_xloader(client) is False
    assert loaded_marks(client) == {}  # the fallback's final patch is as before
    assert len(handler.calls) == 1


def _package(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "a-procurement",
        "title": "a",
        "organization": {"name": "a"},
        "license_id": "cc-by",
        "metadata_modified": "2026-01-01T00:00:00",
        "resources": resources,
    }


@pytest.mark.parametrize(
    ("active", "state", "served"),
    [
        (True, None, True),  # loaded by datastore_upsert (no mark): as before
        (True, LOADED, True),
        (True, LOADING, False),  # the table exists, the xloader job is queued or running
        (True, FAILED, False),  # the xloader job failed: the table may be empty or partial
        (False, LOADED, False),
    ],
)
def test_the_readiness_reader_counts_only_completed_loads(
    active: bool, state: str | None, served: bool
) -> None:
    resource: dict[str, Any] = {"id": "r1", "name": "a-fy2025.csv", "datastore_active": active}
    if state is not None:
        resource[LOAD_STATE_KEY] = state
    dataset = _dataset("http://portal", _package([resource]), {"cc-by"})
    assert dataset.resources[0].datastore_active is served


def test_the_upsert_path_can_be_chosen_on_a_portal_offering_xloader(
    portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = portal
    handler.extensions = ["datastore", "xloader"]
    monkeypatch.setenv("OGP_DATASTORE_LOADER", "upsert")
    assert offers_xloader(_client(url)) is False
    assert handler.calls == []  # not even asked
    monkeypatch.setenv("OGP_DATASTORE_LOADER", "copy")
    with pytest.raises(ValueError, match="OGP_DATASTORE_LOADER='copy': use auto or upsert"):
        offers_xloader(_client(url))


def test_a_table_below_the_threshold_goes_by_upsert_even_where_xloader_is_offered(
    portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = portal
    handler.extensions = ["datastore", "xloader"]
    client = _client(url)
    assert loads_by_xloader(client, MIN_ROWS) is True
    assert loads_by_xloader(client, MIN_ROWS - 1) is False
    monkeypatch.setenv(MIN_ROWS_ENV, "0")
    assert loads_by_xloader(client, 1) is True
    monkeypatch.setenv(MIN_ROWS_ENV, "ten")
    with pytest.raises(ValueError, match="OGP_XLOADER_MIN_ROWS='ten'"):
        loads_by_xloader(client, 1)
    handler.extensions = ["datastore"]
    monkeypatch.setenv(MIN_ROWS_ENV, "0")
    assert loads_by_xloader(_client(url), 10**7) is False  # no xloader, no job, whatever the size


class _JobStatus:
    """A client whose xloader_status answers from a script of (status, number of log lines)."""

    def __init__(self, script: list[tuple[str, int]]) -> None:
        self.script = script

    def remaining_s(self) -> float | None:
        return None

    def call(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        state, lines = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        logs = [{"level": "INFO", "message": f"line {n}"} for n in range(lines)]
        return {"job_id": "j1", "status": state, "task_info": {"logs": logs}}


def test_a_running_job_that_logs_nothing_for_the_stall_time_fails_with_its_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xloader, "STALL_S", 0.05)
    stuck = _JobStatus([("pending", 0), ("running", 1), ("running", 2)])  # then silent
    with pytest.raises(XloaderLoadError, match="logged nothing for 0 s while running") as error:
        xloader._wait(stuck, "r1", "j1", wait_s=30, poll_s=0.01)  # type: ignore[arg-type]
    assert "line 1" in str(error.value)  # the log tail comes with it


def test_a_queued_job_waits_and_a_job_that_keeps_logging_completes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xloader, "STALL_S", 0.05)
    # pending longer than the stall time (behind another load), then running and logging
    script = [("pending", 0)] * 12 + [("running", n) for n in range(1, 12)] + [("complete", 12)]
    done = xloader._wait(_JobStatus(script), "r1", "j1", wait_s=30, poll_s=0.01)  # type: ignore[arg-type]
    assert done["status"] == "complete"

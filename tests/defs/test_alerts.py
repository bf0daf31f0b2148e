"""The failure alert reaches a real webhook and names the agency and the failed step."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from pipelines.defs.alerts import run_failure_alert


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []  # noqa: RUF012 - shared with the test on purpose

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    _Hook.received.clear()
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_failed_run_posts_agency_and_step(webhook: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OGP_ALERT_WEBHOOK", webhook)
    partitions = dg.StaticPartitionsDefinition(["dla", "pcd"])

    @dg.asset(partitions_def=partitions)
    def clean_budget() -> None:
        raise ValueError("budget_2568.csv row 7 field disbursed: not a number")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [clean_budget], instance=instance, partition_key="pcd", raise_on_error=False
    )
    assert not result.success
    failure = result.get_run_failure_event()
    context = dg.build_run_status_sensor_context(
        sensor_name=run_failure_alert.name,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    run_failure_alert(context)

    assert len(_Hook.received) == 1
    alert = _Hook.received[0]
    assert alert["agency"] == "pcd"
    assert "clean_budget" in str(alert["failed"])
    assert "row 7 field disbursed" in str(alert["text"])
    assert "ValueError" not in str(alert["text"])  # the cause in a sentence, no class path
    assert "Error occurred while executing" not in str(alert["text"])

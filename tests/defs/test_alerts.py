"""The failure alert reaches a real webhook and names the agency and the failed step."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import ckanapi
import dagster as dg
import pytest
import requests
from dagster_shared.error import SerializableErrorInfo

from pipelines.defs.alerts import root_cause, run_failure_alert
from pipelines.integrity.red_flags import load_flag_specs


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


# --- root causes in one sentence, without class names (issue 12) -------------------------------


def failure_of(compute: Callable[[], object]) -> SerializableErrorInfo:
    """The error of a real Dagster step failure raised by ``compute``."""

    @dg.asset
    def publish_step() -> None:
        compute()

    result = dg.materialize([publish_step], raise_on_error=False)
    (event,) = [e for e in result.all_events if e.is_step_failure]
    assert event.step_failure_data is not None
    assert event.step_failure_data.error is not None
    return event.step_failure_data.error


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when this returns


def test_a_portal_that_is_down_is_named_with_its_address() -> None:
    port = closed_port()

    def call_portal() -> None:
        try:
            ckanapi.RemoteCKAN(f"http://127.0.0.1:{port}").action.status_show()
        except requests.ConnectionError as error:  # as the publisher wraps it
            raise RuntimeError(f"publishing decisions failed: {error}") from error

    cause = root_cause(failure_of(call_portal))
    assert (
        cause == f"the portal at http://127.0.0.1:{port} could not be reached (connection refused)"
    )


def test_a_refused_token_says_to_check_it() -> None:
    def refused() -> None:
        raise ckanapi.NotAuthorized({"__type": "Authorization Error", "message": "Access denied"})

    cause = root_cause(failure_of(refused))
    assert cause == "the portal refused the API token (authorization error): check OGP_CKAN_TOKEN"


def test_a_bad_red_flags_file_is_file_field_message(tmp_path: Path) -> None:
    config = tmp_path / "red_flags.yaml"
    config.write_text("flags: 7\n", encoding="utf-8")
    cause = root_cause(failure_of(lambda: load_flag_specs(config)))
    assert cause.startswith(f"{config}: flags: ")
    assert "validation error" not in cause
    assert "RedFlagsConfig" not in cause
    assert "type=" not in cause
    assert "pydantic" not in cause
    assert "\n" not in cause


def test_a_plain_error_keeps_its_message_on_one_line() -> None:
    def fails() -> None:
        raise ValueError("budget_2568.csv row 7:\n  disbursed is not a number")

    assert root_cause(failure_of(fails)) == "budget_2568.csv row 7: disbursed is not a number"

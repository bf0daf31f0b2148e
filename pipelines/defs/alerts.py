"""Run-failure alerting: a log line, and a webhook POST when ``OGP_ALERT_WEBHOOK`` is set.

The alert names the agency (the run's partition) and what failed (the failed step or the
blocking check), because a steward reading it at 7 a.m. needs to know whom to call.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from dataclasses import asdict, dataclass

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

log = logging.getLogger(__name__)

PARTITION_TAG = "dagster/partition"


@dataclass(frozen=True)
class Alert:
    job: str
    run_id: str
    agency: str | None
    failed: list[str]
    message: str

    def text(self) -> str:
        who = f"agency {self.agency}" if self.agency else "all agencies"
        return (
            f"ogp-pipeline run {self.run_id[:8]} of {self.job} failed for {who}: "
            f"{', '.join(self.failed) or 'unknown step'} — {self.message}"
        )


def innermost(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """Dagster wraps user errors ("Error occurred while executing op"): the original one."""
    while error.cause is not None:
        error = error.cause
    return error


def chain(error: SerializableErrorInfo) -> list[SerializableErrorInfo]:
    """The error and its causes, outermost first."""
    errors = [error]
    while errors[-1].cause is not None:
        errors.append(errors[-1].cause)
    return errors


def _is_dagster_wrapper(error: SerializableErrorInfo) -> bool:
    # "Error occurred while executing op ...", "Error occurred while loading ...": Dagster's own
    return error.cls_name is not None and error.cls_name.startswith("Dagster")


def plain_message(error: SerializableErrorInfo) -> str:
    """The error's message without its class path (``pkg.module.Error: ``), on one line."""
    text = error.message.strip()
    prefix, sep, rest = text.partition(": ")
    if sep and error.cls_name and prefix.rsplit(".", 1)[-1] == error.cls_name:
        text = rest
    return " ".join(text.split())


def root_cause(error: SerializableErrorInfo | None) -> str:
    """The failure in one sentence: the message of the first error raised by our code (the one
    Dagster wrapped), without class path or traceback; its causes are in its message."""
    if error is None:
        return "failed"
    errors = chain(error)
    chosen = next((e for e in errors if not _is_dagster_wrapper(e)), errors[-1])
    return plain_message(chosen) or chosen.cls_name or "failed"


def build_alert(context: dg.RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    failed: list[str] = []
    for event in context.get_step_failure_events():
        step = event.step_key or "?"
        error = event.step_failure_data.error if event.step_failure_data else None
        failed.append(f"{step}: {root_cause(error)}"[:300])
    return Alert(
        job=run.job_name,
        run_id=run.run_id,
        agency=run.tags.get(PARTITION_TAG),
        failed=failed,
        message=(context.failure_event.message or "")[:500],
    )


def send_webhook(alert: Alert, url: str, timeout_s: float = 10.0) -> None:
    body = json.dumps({"text": alert.text(), **asdict(alert)}, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout_s):  # noqa: S310
        pass


@dg.run_failure_sensor(
    name="ogp_run_failure_alert",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed run with its agency and failed step/check; POSTs it to "
    "OGP_ALERT_WEBHOOK when set.",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    alert = build_alert(context)
    context.log.error(alert.text())
    url = os.environ.get("OGP_ALERT_WEBHOOK")
    if url:
        try:
            send_webhook(alert, url)
        except OSError as exc:  # an alert channel being down must not hide the alert itself
            context.log.error(f"alert webhook failed: {exc}")

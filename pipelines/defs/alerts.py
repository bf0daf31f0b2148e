"""Run-failure alerting: a log line, and a webhook POST when ``OGP_ALERT_WEBHOOK`` is set.

The alert names the agency (the run's partition) and what failed (the failed step or the
blocking check), because a steward reading it at 7 a.m. needs to know whom to call.
"""

from __future__ import annotations

import json
import logging
import os
import re
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
    """The error's message without its class path (``pkg.module.Error: ``), its lines kept."""
    text = error.message.strip()
    prefix, sep, rest = text.partition(": ")
    if sep and error.cls_name and prefix.rsplit(".", 1)[-1] == error.cls_name:
        text = rest
    return text.strip()


INTERRUPTED = "the run was interrupted (Ctrl-C or SIGTERM) before it finished"
INTERRUPTION_ERRORS = {"DagsterExecutionInterruptedError", "KeyboardInterrupt"}
AUTH_REFUSED = "the portal refused the API token (authorization error): check OGP_CKAN_TOKEN"
# requests / urllib3: "HTTPConnectionPool(host='127.0.0.1', port=5000): Max retries exceeded ..."
UNREACHABLE = re.compile(r"(HTTPS?)ConnectionPool\(host='([^']*)', port=(\d+)\)")
UNREACHABLE_WHY = (
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("Name or service not known", "unknown host name"),
    ("Temporary failure in name resolution", "unknown host name"),
)
# pydantic: "[<file>: ]N validation error(s) for Model\n<field>\n  <message> [type=...]"
PYDANTIC = re.compile(r"^(?:(?P<file>.+?): )?\d+ validation errors? for \w+\n", re.S)
PYDANTIC_ERROR = re.compile(r"^(?P<loc>\S[^\n]*)\n {2}(?P<msg>[^\n]+?)(?: \[type=[^\n]*)?$", re.M)


def is_interruption(error: SerializableErrorInfo) -> bool:
    """Whether the error is Dagster's (or Python's) interruption: Ctrl-C or SIGTERM."""
    return any(e.cls_name in INTERRUPTION_ERRORS for e in chain(error))


def plain_sentence(text: str) -> str:
    """A message as the one sentence a steward reads: the portal unreachable or refusing the
    token, a pydantic validation error as ``<file>: <field>: <message>``, else the text on one
    line."""
    if found := UNREACHABLE.search(text):
        scheme, host, port = found.groups()
        why = next((short for long, short in UNREACHABLE_WHY if long in text), "no connection")
        return f"the portal at {scheme.lower()}://{host}:{port} could not be reached ({why})"
    if "Authorization Error" in text or "NotAuthorized" in text:
        return AUTH_REFUSED
    if found := PYDANTIC.match(text.strip()):
        errors = PYDANTIC_ERROR.findall(text.strip()[found.end() :])
        parts = [f"{loc}: {msg.strip()}" for loc, msg in errors]
        where = f"{found.group('file')}: " if found.group("file") else ""
        if parts:
            return where + "; ".join(parts)
    return " ".join(text.split())


def root_cause(error: SerializableErrorInfo | None) -> str:
    """The failure in one sentence, without class names or traceback: the message of the first
    error raised by our code (the one Dagster wrapped), in the words of :func:`plain_sentence`;
    an interrupted run says so. The summary of ``ogp run`` and the failure alert both use it."""
    if error is None:
        return "failed"
    if is_interruption(error):
        return INTERRUPTED
    errors = chain(error)
    chosen = next((e for e in errors if not _is_dagster_wrapper(e)), errors[-1])
    text = plain_message(chosen)
    for cause in errors[errors.index(chosen) :]:  # the portal, the token: named by any cause
        if cause.cls_name == "NotAuthorized":  # ckanapi's
            return AUTH_REFUSED
        sentence = plain_sentence(cause.message)
        if sentence.startswith("the portal "):
            return sentence
    return plain_sentence(text) if text else chosen.cls_name or "failed"


def exception_sentence(error: BaseException) -> str:
    """:func:`root_cause` of a Python exception (and its causes), outside Dagster: the one
    line a command prints instead of a traceback."""

    def info(exc: BaseException, depth: int = 0) -> SerializableErrorInfo:
        cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        inner = info(cause, depth + 1) if cause is not None and depth < 10 else None
        return SerializableErrorInfo(str(exc), [], type(exc).__name__, inner)

    return root_cause(info(error))


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

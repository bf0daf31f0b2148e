"""Is the process running a Dagster run still alive? Runs killed with SIGKILL are marked failed.

Whatever orchestrates a run -- ``ogp run`` (in-process) or a run worker launched by the daemon
or the UI -- records its pid, host and process start time as run tags (:func:`worker_tags`).
From those:

* ``ogp run`` and the run-locked executor, once they hold a scope's run lock, mark failed that
  scope's runs still STARTING/STARTED whose process is gone (:func:`fail_dead_runs`), so the
  QueuedRunCoordinator's per-agency limit does not wait for them forever;
* the daemon's run monitoring asks :class:`LocalRunLauncher` (the instance's run launcher, see
  pipelines/deploy/*.yaml) about every STARTED run: a worker gone from this host is FAILED and
  run monitoring marks the run failed -- also runs of an ``ogp run`` that was killed.

The start time (from ``/proc``, with the boot id) guards against a recycled pid; a zombie counts
as dead. A run recorded on another host, or without tags, is never judged from here.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import dagster as dg
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._serdes import ConfigurableClassData

from pipelines.locks import run_scope

PID_TAG = "ogp/pid"
HOST_TAG = "ogp/host"
START_TAG = "ogp/pid_start"
RUN_TAG = "ogp/worker_run"  # re-executions copy tags: only a record of this very run counts
PROC = Path("/proc")
IN_PROGRESS = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def process_start(pid: int) -> str | None:
    """``<boot id>:<start time in clock ticks>`` of a live process; None when it is gone or a
    zombie (Linux ``/proc``)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        boot = (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces and ")"
    state, start = fields[0], fields[19]  # fields 3 and 22 of proc(5)
    return None if state in {"Z", "X", "x"} else f"{boot}:{start}"


def worker_tags(run_id: str) -> dict[str, str]:
    """Run tags naming this process as the orchestrator of run ``run_id``."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), RUN_TAG: run_id}
    start = process_start(os.getpid())
    if start is not None:
        tags[START_TAG] = start
    return tags


def worker_alive(run: dg.DagsterRun) -> bool | None:
    """Whether the process recorded in a run's tags lives; None when this host cannot tell."""
    tags = run.tags
    pid, host = tags.get(PID_TAG), tags.get(HOST_TAG)
    if tags.get(RUN_TAG) != run.run_id or not pid or not pid.isdigit():
        return None
    if host != socket.gethostname():
        return None
    if PROC.joinpath("self", "stat").exists():
        current = process_start(int(pid))
        recorded = tags.get(START_TAG)
        return current is not None and (recorded is None or current == recorded)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def gone_message(tags: Mapping[str, str], by: str) -> str:
    return (
        f"The process running this run (pid {tags.get(PID_TAG)} on {tags.get(HOST_TAG)}) is "
        f"gone: it was killed or crashed. Marked failed by {by} so the agency's next run can "
        "proceed; the operating system released its lock. Start the run again."
    )


def fail_dead_runs(instance: dg.DagsterInstance, scope: str, by: str) -> list[dg.DagsterRun]:
    """Mark failed the scope's unfinished runs whose recorded process is gone on this host.

    Call it while holding the scope's run lock: then no live run of the scope can be among them,
    and two callers never report the same run."""
    failed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        if run_scope(run.tags) != scope or worker_alive(run) is not False:
            continue
        instance.report_run_failed(
            run,
            gone_message(run.tags, by),
            JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
        )
        failed.append(run)
    return failed


class LocalRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher (runs in the code server's subprocesses) that run monitoring
    can ask whether a run's worker still lives: the pid and host it recorded as run tags."""

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> Self:
        return cls(inst_data=inst_data)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        if worker_alive(run) is False:
            return CheckRunHealthResult(
                WorkerStatus.FAILED, gone_message(run.tags, "run monitoring")
            )
        # alive, not yet recorded (still starting) or on another host: the code server's own
        # check, start_timeout_seconds and max_runtime_seconds cover those
        return CheckRunHealthResult(WorkerStatus.RUNNING)

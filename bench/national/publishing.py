"""Agencies published per hour through the production set-up, one configuration at a time.

A configuration is an executor for the agency runs (``in_process``: every step inside the run
worker; ``celery``: steps on N Celery workers started by ``ogp workers -n N``) and its own
group of sample agencies (publishing is idempotent: a second configuration publishing the same
agencies would write nothing). Its runs are queued first (``dagster job launch``, the UI's
Launch button), then ``dagster-daemon`` dequeues them under the production instance config
(``pipelines/deploy/dagster.yaml``: PostgreSQL storage, at most 8 runs at once, one per
agency). The rate is the group's size over the time from the first run's start to the last
run's end, read from the instance's run records.

Where the time goes: each step's duration from its events (publish steps, which are the
portal's requests and waits, apart from the others), and the CPU seconds each process used
while the configuration ran (the CKAN server, the portal's PostgreSQL and its xloader job
worker, the Celery workers, the daemon with its run workers), read from ``/proc``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORTAL_RUN = REPO / ".portal" / "run"
# The code the runs execute: this checkout, or a snapshot of it (bench_national.py sets it, so
# commits landing in the checkout during a long run do not change the code under measurement).
CODE = {"root": REPO}
CLOCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Outcome:
    label: str
    agencies: int
    wall_s: float
    statuses: dict[str, int]
    step_s: dict[str, float]  # "publish" / "other": summed step durations
    # process group -> CPU seconds during the configuration (None: restarted meanwhile)
    cpu_s: dict[str, float | None]
    runs: list[str] = field(default_factory=list)
    # requests the publish steps sent to the portal (their receipts): waiting for an xloader
    # job is polling xloader_status, so a long queue at the portal shows here
    portal_requests: int = 0

    @property
    def per_hour(self) -> float:
        return self.agencies * 3600 / self.wall_s if self.wall_s else 0.0


# --- CPU from /proc --------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _own_cpu(pid: int) -> float:
    """User + system time of the process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / CLOCK


def tree_cpu(pids: list[int]) -> float:
    tree = _children()
    seen: set[int] = set()
    todo = list(pids)
    total = 0.0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _own_cpu(pid)
        todo.extend(tree.get(pid, []))
    return total


def _pid_file(path: Path) -> list[int]:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return [int(path.read_text().split()[0])]
    return []


def portal_pids() -> dict[str, list[int]]:
    return {
        "CKAN server": _pid_file(PORTAL_RUN / "ckan.pid"),
        "portal PostgreSQL": _pid_file(REPO / ".portal" / "pg" / "data" / "postmaster.pid"),
        "xloader job worker": _pid_file(PORTAL_RUN / "worker.pid"),
    }


# --- the configuration ---------------------------------------------------------------------


def _run(argv: list[str], env: dict[str, str], log: Path, timeout: float = 600) -> None:
    with log.open("ab") as out:
        subprocess.run(
            argv,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=timeout,
        )


def launch(agency: str, executor: str, env: dict[str, str], log: Path) -> str:
    """Queue one agency_job run (the daemon is not running yet: it stays queued)."""
    run_id = str(uuid.uuid4())
    _run(
        [
            str(BIN / "dagster"),
            "job",
            "launch",
            "-w",
            str(CODE["root"] / "workspace.yaml"),
            "-j",
            "agency_job",
            "--run-id",
            run_id,
            "--tags",
            json.dumps({"dagster/partition": agency}),
            "--config-json",
            json.dumps({"execution": {"config": {executor: {}}}}),
        ],
        env,
        log,
    )
    return run_id


def workers(count: int, env: dict[str, str], log: Path) -> None:
    """``ogp workers -n N`` (0: stop them)."""
    argv = [str(BIN / "ogp"), "workers"] + (["-n", str(count)] if count else ["--stop"])
    _run(argv, env, log, timeout=300)


def worker_pids(build_dir: Path) -> list[int]:
    return [pid for path in (build_dir / "workers").glob("worker-*.pid") for pid in _pid_file(path)]


def start_daemon(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(CODE["root"] / "workspace.yaml")],
            cwd=CODE["root"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    """SIGTERM the daemon's session (it and its code server), by its id."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(daemon.pid, signal.SIGTERM)
    try:
        daemon.wait(60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait(10)


def wait_finished(run_ids: list[str], timeout: float) -> list[Any]:
    import dagster as dg

    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.get() as instance:
        while True:
            records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
            if len(records) == len(run_ids) and all(r.dagster_run.is_finished for r in records):
                return list(records)
            if time.monotonic() > deadline:
                states = sorted(str(r.dagster_run.status) for r in records)
                raise TimeoutError(f"runs not finished after {timeout:.0f} s: {states}")
            time.sleep(2)


def step_seconds(run_ids: list[str]) -> dict[str, float]:
    """Summed step durations, publish steps (portal requests) apart from the others."""
    import dagster as dg

    totals = {"publish": 0.0, "other": 0.0}
    with dg.DagsterInstance.get() as instance:
        for run_id in run_ids:
            started: dict[str, float] = {}
            for event in instance.all_logs(run_id):
                dagster_event = event.dagster_event
                if dagster_event is None or dagster_event.step_key is None:
                    continue
                key = dagster_event.step_key
                if dagster_event.event_type_value == "STEP_START":
                    started[key] = event.timestamp
                elif dagster_event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                    kind = "publish" if key.startswith("published_") else "other"
                    totals[kind] += event.timestamp - started.pop(key, event.timestamp)
    return totals


def measure(
    label: str,
    executor: str,
    worker_count: int,
    agencies: tuple[str, ...],
    env: dict[str, str],
    logs: Path,
) -> Outcome:
    """Queue the group's runs, start the workers and the daemon, wait, stop them; the outcome.

    ``env`` is the world's, with the production instance under ``DAGSTER_HOME``; this process
    must have the same settings (it reads the instance)."""
    build_dir = Path(env["OGP_BUILD_DIR"])
    receipts_dir = Path(env["OGP_DATA_DIR"]) / "publish" / "receipts"
    known = set(receipts_dir.glob("*.json"))
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{label.replace(' ', '-')}.log"
    run_ids = [launch(agency, executor, env, log) for agency in agencies]
    if worker_count:
        workers(worker_count, env, log)  # returns once they answer: start-up is not counted
    pids = {**portal_pids(), "Celery workers": worker_pids(build_dir)}
    before = {name: tree_cpu(found) for name, found in pids.items()}
    daemon = start_daemon(env, log)
    try:
        records = wait_finished(run_ids, timeout=3600)
        after = {name: tree_cpu(found) for name, found in pids.items()}
        after["daemon, code server, run workers"] = tree_cpu([daemon.pid])
        restarted = {name for name, found in portal_pids().items() if found != pids[name]}
    finally:
        stop_daemon(daemon)
        if worker_count:
            workers(0, env, log)
    # a portal process restarted meanwhile (another engineer's `portalctl up`): not measured
    cpu = {
        name: None if name in restarted else after[name] - before.get(name, 0.0) for name in after
    }
    starts = [r.start_time for r in records if r.start_time]
    ends = [r.end_time for r in records if r.end_time]
    statuses: dict[str, int] = {}
    for record in records:
        status = record.dagster_run.status.value
        statuses[status] = statuses.get(status, 0) + 1
    requests = sum(
        int(json.loads(path.read_text(encoding="utf-8")).get("requests", 0))
        for path in set(receipts_dir.glob("*.json")) - known
    )
    return Outcome(
        label,
        len(agencies),
        max(ends) - min(starts) if starts and ends else 0.0,
        statuses,
        step_seconds(run_ids),
        cpu,
        run_ids,
        requests,
    )

"""A run killed with SIGKILL is marked failed and the agency's next run publishes: for `ogp run`
(no daemon: the next `ogp run` finds the dead run), and under the Dagster daemon (the code server
or run monitoring fails it; the next queued run of the agency starts and succeeds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import ckanapi
import dagster as dg
import pytest

from pipelines.liveness import PID_TAG
from pipelines.locks import hold, lock_path
from pipelines.settings import REPO_ROOT

from .conftest import SandboxFactory
from .sandbox import (
    BIN,
    Sandbox,
    catalog,
    child_env,
    failure_message,
    has_started_a_step,
    instance,
    ogp_run,
    runs_of,
    start,
    stop,
    wait_for,
)

FINISHED = dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE


def status(sandbox: Sandbox, run_id: str) -> dg.DagsterRunStatus:
    with instance(sandbox) as dagster:
        run = dagster.get_run_by_id(run_id)
        assert run is not None
        return run.status


def started_agency_run(sandbox: Sandbox, agency: str, after: set[str]) -> str | None:
    """The id of the agency's newest agency_job run once it has started a step."""
    with instance(sandbox) as dagster:
        for record in reversed(runs_of(dagster, "agency_job", agency)):
            run = record.dagster_run
            if run.run_id in after or run.status != dg.DagsterRunStatus.STARTED:
                continue
            if has_started_a_step(dagster, run.run_id):
                return run.run_id
    return None


def published_by(sandbox: Sandbox, run_id: str) -> list[str]:
    """The datasets a run published (its ``published_<family>`` materializations)."""
    with instance(sandbox) as dagster:
        records = dagster.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    agency = sandbox.agencies[0]
    keys = [record.event_log_entry.dagster_event.asset_key for record in records]  # type: ignore[union-attr]
    return sorted(
        f"{agency}-{key.path[-1].removeprefix('published_')}"
        for key in keys
        if key is not None and key.path[-1].startswith("published_")
    )


def assert_published(ckan: ckanapi.RemoteCKAN, sandbox: Sandbox, run_id: str) -> None:
    """The run published the agency's data (every family its checks let through: pcd's drops
    pass them), and the portal has it with its DataStore rows."""
    names = published_by(sandbox, run_id)
    assert names, f"run {run_id} published nothing"
    datasets = catalog(ckan, names)
    assert sorted(datasets) == names
    for name, resources in datasets.items():
        assert any(rows for rows in resources.values() if rows), (name, resources)


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_killed_ogp_run_is_failed_by_the_next_one_which_publishes(
    sandboxes: SandboxFactory, ckan: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    sandbox = sandboxes("k", 1)
    agency = sandbox.agencies[0]
    first = ogp_run(sandbox, tmp_path / "killed.log", agency)
    try:
        killed = wait_for(
            "the agency run to start a step",
            lambda: started_agency_run(sandbox, agency, set()),
            600,
        )
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(30) == -signal.SIGKILL
    finally:
        stop(first)
    # nobody else is watching (no daemon): the run stays STARTED, holding the agency's queue slot
    assert status(sandbox, killed) == dg.DagsterRunStatus.STARTED

    log = tmp_path / "next.log"
    second = ogp_run(sandbox, log, agency, OGP_LOCK_WAIT_S="0")  # the lock must be free at once
    try:
        code = second.wait(900)
    finally:
        stop(second)
    output = log.read_text(errors="replace")
    assert code == 0, output[-3000:]
    assert "Marked failed" in output
    assert status(sandbox, killed) == dg.DagsterRunStatus.FAILURE
    with instance(sandbox) as dagster:
        message = failure_message(dagster, killed)
        assert f"pid {first.pid}" in message
        assert "killed or crashed" in message
        latest = runs_of(dagster, "agency_job", agency)[-1].dagster_run
    assert latest.run_id != killed
    assert latest.status in FINISHED
    assert_published(ckan, sandbox, latest.run_id)


def launch(sandbox: Sandbox, agency: str, log: Path) -> str:
    """Submit an agency_job run to the instance's queue, as the UI's Launch button does."""
    run_id = str(uuid.uuid4())
    command = [
        str(BIN / "dagster"),
        "job",
        "launch",
        "-w",
        str(REPO_ROOT / "workspace.yaml"),
        "-j",
        "agency_job",
        "--run-id",
        run_id,
        "--tags",
        json.dumps({"dagster/partition": agency}),
        # steps inside the run worker: what is killed and watched is the run worker itself, and
        # a fresh interpreter per step (imports ~3 s, GX ~3 s) would triple the run's CPU time
        "--config-json",
        json.dumps({"execution": {"config": {"in_process": {}}}}),
    ]
    with log.open("ab") as out:
        subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=child_env(sandbox),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=300,
        )
    return run_id


def run_record(sandbox: Sandbox, run_id: str) -> dg.DagsterRun | None:
    with instance(sandbox) as dagster:
        return dagster.get_run_by_id(run_id)


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_daemon_fails_killed_runs_and_starts_the_agencys_next_run(
    sandboxes: SandboxFactory, ckan: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    sandbox = sandboxes("d", 1)
    agency = sandbox.agencies[0]
    daemon_log = tmp_path / "daemon.log"
    daemon = start(
        [str(BIN / "dagster-daemon"), "run", "-w", str(REPO_ROOT / "workspace.yaml")],
        sandbox,
        daemon_log,
    )
    # the test holds the agency's procurement writer lock: the first run waits on it inside a
    # step, so it is still running when the second is queued and when its worker is killed
    held = hold(lock_path(agency, "procurement", Path(sandbox.env["OGP_DATA_DIR"])), wait_s=0)
    try:
        with held:
            # 1. a run launched through the queue: SIGKILL its run worker mid-run
            first = launch(sandbox, agency, tmp_path / "launch.log")

            def worker_pid() -> int | None:
                run = run_record(sandbox, first)
                if run is None or PID_TAG not in run.tags:
                    return None
                with instance(sandbox) as dagster:
                    return int(run.tags[PID_TAG]) if has_started_a_step(dagster, first) else None

            pid = wait_for("the launched run to start a step", worker_pid, 600)
            second = launch(sandbox, agency, tmp_path / "launch.log")
            # the queue holds the agency's second run while the first is running
            assert status(sandbox, second) == dg.DagsterRunStatus.QUEUED
            assert status(sandbox, first) == dg.DagsterRunStatus.STARTED
            os.kill(pid, signal.SIGKILL)
            killed_at = time.monotonic()
            wait_for(
                "the killed run to be marked failed",
                lambda: status(sandbox, first) == dg.DagsterRunStatus.FAILURE,
                180,
            )
        print(f"run worker killed -> run failed: {time.monotonic() - killed_at:.1f} s")
        wait_for(
            "the agency's next run to finish",
            lambda: status(sandbox, second) in FINISHED,
            900,
            poll=2,
        )
        with instance(sandbox) as dagster:
            print(f"killed run worker {pid}: {failure_message(dagster, first)}")
        # it ran to the end and published (a family blocked by its checks would fail the run)
        assert_published(ckan, sandbox, second)

        # 2. an `ogp run` killed while the daemon runs: no code server watches it, run
        # monitoring does (the launcher's worker health check)
        before = {first, second}
        cli = ogp_run(sandbox, tmp_path / "cli.log", agency)
        try:
            killed = wait_for(
                "the ogp run to start a step",
                lambda: started_agency_run(sandbox, agency, before),
                600,
            )
            os.kill(cli.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            cli.wait(30)
        finally:
            stop(cli)
        wait_for(
            "run monitoring to mark the killed ogp run failed",
            lambda: status(sandbox, killed) == dg.DagsterRunStatus.FAILURE,
            180,
            poll=1,
        )
        print(f"ogp run killed -> run failed by monitoring: {time.monotonic() - killed_at:.1f} s")
        with instance(sandbox) as dagster:
            message = failure_message(dagster, killed)
        print(f"killed ogp run {cli.pid}: {message}")
        assert "Detected run worker status" in message  # run monitoring's words
        assert f"pid {cli.pid}" in message
    finally:
        stop(daemon)
        print(f"--- daemon.log\n{daemon_log.read_text(errors='replace')[-4000:]}")

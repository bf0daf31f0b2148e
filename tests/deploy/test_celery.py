"""Dagster on Celery (issue 18): with the Celery executor selected by run config, a run's steps
execute in the processes of the workers `ogp workers` started -- the step's pid is a worker's,
not the run's -- still under the agency's run lock; and an agency job run that way on
PostgreSQL instance storage publishes and gates exactly what an in-process run does."""

# No `from __future__ import annotations`: Dagster reads the context annotation at run time.

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import ckanapi
import dagster as dg
import pyarrow.parquet as pq
import pytest
from dagster._core.execution.job_execution_result import JobExecutionResult

from pipelines.celery_app import broker_address
from pipelines.defs.locking import run_locked_executor
from pipelines.liveness import PID_TAG
from pipelines.locks import run_lock
from pipelines.settings import get_settings
from tests.conftest import Portal

from .celery_workers import (
    PRODUCTION_YAML,
    RUN_CELERY_YAML,
    live_pids,
    ogp_workers,
    portal_postgres,
    running_workers,
    worker_folder,
)
from .conftest import SandboxFactory
from .lock_probe import lock_probe_job
from .sandbox import BIN, FAMILIES, Sandbox, catalog, child_env, instance, runs_of, start, stop


def celery_probe_job() -> dg.JobDefinition:
    """The lock probe (tests/deploy/lock_probe.py): where its step ran, whether the run lock of
    its agency was held by the run's process while it did."""
    return lock_probe_job("celery_probe_job", "celery_probe", ["tcelery"])


CELERY_RUN_CONFIG: dict[str, object] = {"execution": {"config": {"celery": {}}}}


def step_pids(dagster: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """Step key -> the pid that started it (Dagster records the pid of every event)."""
    events = dagster.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    return {
        str(event.step_key): event.dagster_event.pid  # type: ignore[union-attr,misc]
        for event in events
    }


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_celery_step_runs_in_a_worker_process_under_the_run_lock(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OGP_CELERY_QUEUE", f"ogp-t{run_id}-probe")  # this test's workers only
    get_settings.cache_clear()
    with (
        running_workers(os.environ, 1) as [worker],
        dg.instance_for_test(temp_dir=str(tmp_path)) as dagster,
    ):
        result = dg.execute_job(
            dg.reconstructable(celery_probe_job),
            instance=dagster,
            tags={"dagster/partition": "tcelery"},
            run_config=CELERY_RUN_CONFIG,
        )
        assert result.success
        [materialization] = result.asset_materializations_for_node("celery_probe")
        pids = step_pids(dagster, result.run_id)
        run = dagster.get_run_by_id(result.run_id)
        assert run is not None
    assert worker != os.getpid()
    assert materialization.metadata["pid"].value == worker  # the step ran in the worker
    assert pids == {"celery_probe": worker}
    assert run.tags[PID_TAG] == str(os.getpid())  # this process orchestrated the run ...
    assert materialization.metadata["held"].value is True  # ... holding the agency's lock
    with run_lock("tcelery", wait_s=0):  # released when the run ended
        pass


# A step that a worker can be killed or stopped in: it records each start (by pid) in
# OGP_TEST_PROBE_DIR and, on its first start only, sleeps OGP_TEST_PROBE_SLEEP seconds.
SLOW_PARTITIONS = dg.StaticPartitionsDefinition(["tslow"])


@dg.asset(partitions_def=SLOW_PARTITIONS)
def slow_probe(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    folder = Path(os.environ["OGP_TEST_PROBE_DIR"])
    (folder / f"started-{os.getpid()}").touch()
    if len(list(folder.glob("started-*"))) == 1:
        time.sleep(float(os.environ["OGP_TEST_PROBE_SLEEP"]))
    (folder / f"done-{os.getpid()}").touch()
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


def slow_probe_job() -> dg.JobDefinition:
    job = dg.define_asset_job("slow_probe_job", partitions_def=SLOW_PARTITIONS)
    return dg.Definitions(
        assets=[slow_probe], jobs=[job], executor=run_locked_executor
    ).resolve_job_def("slow_probe_job")


def started_in(folder: Path, timeout: float = 90) -> int:
    """The pid of the first start of the slow probe (waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := sorted(folder.glob("started-*")):
            return int(found[0].name.removeprefix("started-"))
        time.sleep(0.2)
    raise AssertionError(f"the slow probe did not start within {timeout} s")


def run_slow_probe(dagster: dg.DagsterInstance, during: Callable[[], None]) -> JobExecutionResult:
    """The slow probe's run on Celery (in this thread: Dagster wants the main thread), with
    ``during`` called in another thread; its failure fails the test."""
    failures: list[BaseException] = []

    def call() -> None:
        try:
            during()
        except BaseException as error:  # reported below
            failures.append(error)

    helper = threading.Thread(target=call, daemon=True)
    helper.start()
    result = dg.execute_job(
        dg.reconstructable(slow_probe_job),
        instance=dagster,
        tags={"dagster/partition": "tslow"},
        run_config=CELERY_RUN_CONFIG,
        raise_on_error=False,
    )
    helper.join(60)
    assert not failures, failures
    assert not helper.is_alive()
    return result


def slow_probe_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queue: str, sleep_s: int, **extra: str
) -> tuple[Path, Path, dict[str, str]]:
    """The slow probe's folder and a Dagster home in ``tmp_path``, and the environment of the
    run and its workers: the Celery queue, the probe's folder and sleep, and ``extra``."""
    probe, home = tmp_path / "probe", tmp_path / "dagster_home"
    probe.mkdir()
    home.mkdir()
    settings = {"OGP_CELERY_QUEUE": queue, "OGP_TEST_PROBE_DIR": str(probe), **extra}
    for name, value in {**settings, "OGP_TEST_PROBE_SLEEP": str(sleep_s)}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return probe, home, dict(os.environ)


@pytest.mark.timeout(240)
def test_a_step_whose_worker_is_killed_is_executed_again_by_the_next_worker(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe, home, env = slow_probe_settings(
        tmp_path,
        monkeypatch,
        f"ogp-t{run_id}-kill",
        sleep_s=600,  # the first start never ends by itself
        OGP_CELERY_VISIBILITY_TIMEOUT="5",  # redelivered 5 s after taken
    )
    replaced: list[int] = []

    def kill_and_replace() -> None:
        pid = started_in(probe)
        assert pid == live_pids(env)[0]  # the step runs in the worker
        os.kill(pid, signal.SIGKILL)
        again = ogp_workers(env, "-n", "1")  # worker 0 is gone: a new one is started
        assert again.returncode == 0, again.stdout + again.stderr
        replaced.append(live_pids(env)[0])

    with (
        running_workers(env, 1) as [first],
        dg.instance_for_test(temp_dir=str(home)) as dagster,
    ):
        result = run_slow_probe(dagster, kill_and_replace)
        assert result.success
        [materialization] = result.asset_materializations_for_node("slow_probe")
    [second] = replaced
    assert second != first
    assert materialization.metadata["pid"].value == second  # the step ran again, on the new one
    assert sorted(path.name for path in probe.iterdir()) == sorted(
        [f"started-{first}", f"started-{second}", f"done-{second}"]
    )


@pytest.mark.timeout(240)
def test_workers_stop_lets_the_running_step_finish_and_report(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe, home, env = slow_probe_settings(tmp_path, monkeypatch, f"ogp-t{run_id}-stop", sleep_s=6)
    stops: list[subprocess.CompletedProcess[str]] = []

    def stop_mid_step() -> None:
        started_in(probe)
        stops.append(ogp_workers(env, "--stop", "--timeout", "90"))

    with (
        running_workers(env, 1) as [worker],
        dg.instance_for_test(temp_dir=str(home)) as dagster,
    ):
        result = run_slow_probe(dagster, stop_mid_step)
        assert result.success
        [materialization] = result.asset_materializations_for_node("slow_probe")
    [stopped] = stops
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert stopped.stdout.splitlines() == [f"stopped worker 0 (pid {worker})"]
    assert materialization.metadata["pid"].value == worker  # finished where it started
    assert sorted(path.name for path in probe.iterdir()) == [f"done-{worker}", f"started-{worker}"]
    assert "Got shutdown from remote" in (worker_folder(env) / "worker-0.log").read_text(
        errors="replace"
    )


@pytest.mark.timeout(120)
def test_a_celery_run_with_no_worker_on_its_queue_fails_at_once_with_one_line(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = f"ogp-t{run_id}-none"
    monkeypatch.setenv("OGP_CELERY_QUEUE", queue)
    get_settings.cache_clear()
    with dg.instance_for_test(temp_dir=str(tmp_path)) as dagster:
        result = dg.execute_job(
            dg.reconstructable(celery_probe_job),
            instance=dagster,
            tags={"dagster/partition": "tcelery"},
            run_config=CELERY_RUN_CONFIG,
            raise_on_error=False,
        )
        logs = dagster.all_logs(result.run_id)
    assert not result.success
    [failure] = [log for log in logs if log.dagster_event and log.dagster_event.is_run_failure]
    error = failure.dagster_event.event_specific_data.error  # type: ignore[union-attr]
    assert error is not None
    assert error.cls_name == "NoWorkerError"
    assert error.message.strip() == (
        f"pipelines.celery_app.NoWorkerError: no Celery worker takes steps from queue {queue} on "
        f"{broker_address(get_settings())}: start `ogp workers`"
    )
    assert not [log for log in logs if "Submitting celery task" in log.message]  # none sent


def generic(text: str, agency: str) -> str:
    return text.replace(agency, "<agency>")


def gated(sandbox: Sandbox) -> dict[str, object]:
    """Per family: the gate's report (minus the input's hash, which holds the agency code) and
    the rows it let through, with the agency code made generic."""
    [agency] = sandbox.agencies
    found: dict[str, object] = {}
    for family in FAMILIES:
        folder = Path(sandbox.env["OGP_DATA_DIR"]) / "validation" / family / agency
        report = json.loads(generic((folder / "report.json").read_text("utf-8"), agency))
        report.pop("input_sha256")
        rows = pq.read_table(folder / "publishable.parquet").to_pylist()
        found[family] = {
            "report": report,
            "rows": json.loads(generic(json.dumps(rows, default=str), agency)),
        }
    return found


def published(ckan: ckanapi.RemoteCKAN, sandbox: Sandbox) -> dict[str, dict[str, int | None]]:
    [agency] = sandbox.agencies
    return {
        generic(name, agency): {generic(res, agency): rows for res, rows in resources.items()}
        for name, resources in catalog(ckan, sandbox.datasets()).items()
    }


def execute(sandbox: Sandbox, log: Path, config: Path, **env: str) -> subprocess.Popen[bytes]:
    """`dagster job execute` of the agency job for the sandbox's agency: the command's process
    orchestrates the run, the run config picks the executor."""
    [agency] = sandbox.agencies
    argv = [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-a", "defs"]
    argv += ["-j", "agency_job", "--tags", json.dumps({"dagster/partition": agency})]
    return start([*argv, "-c", str(config)], sandbox, log, **env)


def finish(process: subprocess.Popen[bytes], log: Path) -> int:
    try:
        return process.wait(900)
    finally:
        stop(process)
        print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")


# marked portal and slow from its `sandboxes` fixture (tests/conftest.py)
@pytest.mark.timeout(1800)
def test_an_agency_job_on_celery_workers_gates_and_publishes_what_an_in_process_run_does(
    sandboxes: SandboxFactory,
    ckan: ckanapi.RemoteCKAN,
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local, distributed = sandboxes("ip", 1), sandboxes("cw", 1)
    in_process = tmp_path / "in_process.yaml"
    in_process.write_text("execution:\n  config:\n    in_process: {}\n", encoding="utf-8")
    home = tmp_path / "pg_home"  # the production instance: PostgreSQL storage, queued runs
    home.mkdir()
    shutil.copyfile(PRODUCTION_YAML, home / "dagster.yaml")
    logs = tmp_path / "in_process.log", tmp_path / "celery.log"
    with portal_postgres(f"dagster_t{run_id}") as postgres:
        env = {"DAGSTER_HOME": str(home), "OGP_CELERY_QUEUE": f"ogp-t{run_id}-cw", **postgres}
        # the workers get the run's environment: contracts, data folder, portal, instance
        with running_workers(child_env(distributed, **env), 2) as workers:
            runs = (
                execute(local, logs[0], in_process),
                execute(distributed, logs[1], RUN_CELERY_YAML, **env),
            )
            codes = [finish(process, log) for process, log in zip(runs, logs, strict=True)]
        assert codes == [0, 0]
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with dg.DagsterInstance.get() as dagster:
            assert type(dagster.run_storage).__name__ == "PostgresRunStorage"
            [record] = runs_of(dagster, "agency_job", distributed.agencies[0])
            pids = step_pids(dagster, record.dagster_run.run_id)
            orchestrator = int(record.dagster_run.tags[PID_TAG])
    # every step ran in a worker process, none in the run's
    assert len(pids) >= 3 * len(FAMILIES), pids  # raw, clean, published of each family at least
    assert set(pids.values()) <= set(workers), (pids, workers)
    assert orchestrator not in pids.values()
    with instance(local) as dagster:
        [record] = runs_of(dagster, "agency_job", local.agencies[0])
        local_pids = set(step_pids(dagster, record.dagster_run.run_id).values())
    assert local_pids == {int(record.dagster_run.tags[PID_TAG])}  # in process: the run's own

    # the same gate verdicts and rows, the same catalog, DataStore rows included
    assert gated(distributed) == gated(local)
    expected = published(ckan, local)
    assert sorted(expected) == ["<agency>-budget", "<agency>-decisions", "<agency>-procurement"]
    assert all(any(rows for rows in res.values() if rows) for res in expected.values()), expected
    assert published(ckan, distributed) == expected


def test_the_executor_follows_the_settings_and_run_config_never_holds_the_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster._config import validate_config

    from pipelines.defs.locking import executor_config_schema

    monkeypatch.delenv("OGP_EXECUTOR", raising=False)
    get_settings.cache_clear()
    assert executor_config_schema().default_value == {"multiprocess": {}}  # `make demo`
    monkeypatch.setenv("OGP_EXECUTOR", "celery")
    get_settings.cache_clear()
    field = executor_config_schema()
    assert field.default_value == {"celery": {}}
    assert validate_config(field.config_type, {"celery": {}}).success
    assert validate_config(field.config_type, {"in_process": {}}).success
    # the broker URL may hold a password: it is read from the environment, never run config
    leaked = {"celery": {"broker": "redis://:password@127.0.0.1:6380/3"}}
    assert not validate_config(field.config_type, leaked).success

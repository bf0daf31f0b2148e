"""The agency locks (pipelines/locks.py) and the dead-run detection (pipelines/liveness.py),
without the portal: locks held by real processes, killed with SIGKILL."""

# No `from __future__ import annotations`: Dagster reads the context annotation at run time.

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import dagster as dg
import pytest
from dagster._core.launcher import WorkerStatus
from dagster._core.test_utils import create_run_for_test

from pipelines.dagster_home import LOCAL_INSTANCE_YAML, ensure_dagster_home
from pipelines.defs.locking import step_lock
from pipelines.files import replace_atomically
from pipelines.liveness import (
    HOST_TAG,
    PID_TAG,
    RUN_TAG,
    LocalRunLauncher,
    fail_dead_runs,
    worker_alive,
    worker_tags,
)
from pipelines.locks import LockBusyError, hold, lock_path, run_lock
from pipelines.settings import get_settings

from .lock_probe import lock_probe_job
from .sandbox import restore_signals

HOLDER = """
import sys, time
from pipelines.locks import hold, lock_path
with hold(lock_path(sys.argv[1], sys.argv[3]), owner={"run": "holder-test"}):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    released = time.time()  # just before the lock goes
print(released, flush=True)
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def hold_in_child(scope: str, seconds: float, kind: str = "run") -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, scope, str(seconds), kind],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        preexec_fn=restore_signals,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


@pytest.mark.timeout(60)
def test_a_killed_holder_releases_the_lock(data_dir: Path) -> None:
    child = hold_in_child("tagency", 300)
    try:
        with pytest.raises(LockBusyError) as busy, run_lock("tagency", wait_s=0):
            pass
        assert f"pid {child.pid}" in str(busy.value)
        assert "holder-test" in str(busy.value)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        # the lock file stays; the lock does not
        assert lock_path("tagency").exists()
        with run_lock("tagency", wait_s=5):
            pass
    finally:
        child.kill()
        child.wait(10)


@pytest.mark.timeout(60)
def test_a_second_run_waits_for_the_first(data_dir: Path) -> None:
    child = hold_in_child("tagency", 1.5)
    messages: list[str] = []
    try:
        started = time.monotonic()
        with run_lock("tagency", wait_s=30, on_wait=messages.append):
            assert child.poll() is not None or time.monotonic() - started > 0.5
        assert len(messages) == 1
        assert messages[0].startswith("waiting for tagency.run.lock")
        # another scope is independent
        child2 = hold_in_child("tother", 300)
        try:
            with run_lock("tagency", wait_s=0):
                pass
        finally:
            child2.kill()
            child2.wait(10)
    finally:
        child.kill()
        child.wait(10)


def test_gives_up_after_the_wait(data_dir: Path) -> None:
    with run_lock("tagency"):
        started = time.monotonic()
        # the same process opening the file again is a second holder, like another run
        with pytest.raises(LockBusyError, match="gave up after"), run_lock("tagency", wait_s=0.6):
            pass
        assert time.monotonic() - started >= 0.5


def test_liveness_of_recorded_workers() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        tags = {PID_TAG: str(child.pid), HOST_TAG: socket.gethostname(), RUN_TAG: "r1"}
        # the start time a worker records is its own; take the child's from /proc
        from pipelines.liveness import START_TAG, process_start

        start = process_start(child.pid)
        assert start is not None
        tags[START_TAG] = start
        run = dg.DagsterRun(job_name="j", run_id="r1", tags=tags)
        assert worker_alive(run) is True
        assert (
            worker_alive(run.with_tags({**tags, START_TAG: "other-boot:1"})) is False
        )  # pid reuse
        assert worker_alive(run.with_tags({**tags, HOST_TAG: "elsewhere"})) is None
        assert worker_alive(dg.DagsterRun(job_name="j", run_id="r2", tags=tags)) is None  # copied
        os.kill(child.pid, signal.SIGKILL)
        time.sleep(0.5)
        assert worker_alive(run) is False  # a zombie (not yet reaped) is dead
        child.wait(10)
        assert worker_alive(run) is False
    finally:
        child.kill()
        child.wait(10)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(10)
    return child.pid


def test_dead_runs_of_the_scope_are_marked_failed(data_dir: Path) -> None:
    with dg.instance_for_test() as instance:
        gone = {PID_TAG: str(dead_pid()), HOST_TAG: socket.gethostname()}

        def run(agency: str | None, tags: dict[str, str], name: str) -> dg.DagsterRun:
            run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
            partition = {"dagster/partition": agency} if agency else {}
            return create_run_for_test(
                instance,
                job_name="agency_job",
                run_id=run_id,
                status=dg.DagsterRunStatus.STARTED,
                tags={**partition, **tags, RUN_TAG: run_id},
            )

        dead = run("ta", gone, "dead-ta")
        alive = run("ta", worker_tags(str(uuid.uuid5(uuid.NAMESPACE_URL, "alive-ta"))), "alive-ta")
        other_scope = run("tb", gone, "dead-tb")
        other_host = run("ta", {**gone, HOST_TAG: "elsewhere"}, "elsewhere-ta")
        catalog = run(None, gone, "dead-catalog")

        failed = fail_dead_runs(instance, "ta", by="the test")
        assert [r.run_id for r in failed] == [dead.run_id]

        def status(r: dg.DagsterRun) -> dg.DagsterRunStatus:
            record = instance.get_run_by_id(r.run_id)
            assert record is not None
            return record.status

        assert status(dead) == dg.DagsterRunStatus.FAILURE
        for untouched in (alive, other_scope, other_host, catalog):
            assert status(untouched) == dg.DagsterRunStatus.STARTED
        failure = instance.all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert "killed or crashed" in (failure[0].message or "")
        assert fail_dead_runs(instance, "_catalog", by="the test")[0].run_id == catalog.run_id

        launcher = LocalRunLauncher()
        assert launcher.supports_check_run_worker_health
        assert launcher.check_run_worker_health(other_scope).status == WorkerStatus.FAILED
        assert launcher.check_run_worker_health(alive).status == WorkerStatus.RUNNING
        assert launcher.check_run_worker_health(other_host).status == WorkerStatus.RUNNING


PROBE_PARTITIONS = dg.StaticPartitionsDefinition(["ta", "tb"])


def probe_job() -> dg.JobDefinition:
    """The lock probe (tests/deploy/lock_probe.py) for the agencies ta and tb."""
    return lock_probe_job("probe_job", "probe", PROBE_PARTITIONS.get_partition_keys())


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode", ["multiprocess", "in_process"])
def test_launched_runs_hold_their_agency_lock(data_dir: Path, mode: str) -> None:
    with dg.instance_for_test() as instance:
        stale = create_run_for_test(
            instance,
            job_name="probe_job",
            run_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "stale-ta")),
            status=dg.DagsterRunStatus.STARTED,
            tags={
                "dagster/partition": "ta",
                PID_TAG: str(dead_pid()),
                HOST_TAG: socket.gethostname(),
                RUN_TAG: str(uuid.uuid5(uuid.NAMESPACE_URL, "stale-ta")),
            },
        )
        result = dg.execute_job(
            dg.reconstructable(probe_job),
            instance=instance,
            tags={"dagster/partition": "ta"},
            run_config={"execution": {"config": {mode: {}}}},
        )
        assert result.success
        materialization = result.asset_materializations_for_node("probe")[0]
        assert materialization.metadata["held"].value is True
        step_pid = materialization.metadata["pid"].value
        assert (step_pid != os.getpid()) == (mode == "multiprocess")
        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        assert run.tags[PID_TAG] == str(os.getpid())
        stale_now = instance.get_run_by_id(stale.run_id)
        assert stale_now is not None
        assert stale_now.status == dg.DagsterRunStatus.FAILURE
    # released when the run ended
    with run_lock("ta", wait_s=0):
        pass


def test_instance_config_follows_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = LOCAL_INSTANCE_YAML.read_text(encoding="utf-8")
    assert "run_monitoring:" in shipped
    assert "LocalRunLauncher" in shipped
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # a copy made before run monitoring was configured is ours: it is brought up to date
    first_line = shipped.partition("\n")[0]
    (home / "dagster.yaml").write_text(f"{first_line}\ntelemetry:\n  enabled: false\n")
    ensure_dagster_home()
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == shipped
    # a copy whose first line a steward changed is theirs
    custom = "# my instance\ntelemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(custom)
    ensure_dagster_home()
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == custom
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert instance.run_monitoring_enabled is False
    (home / "dagster.yaml").write_text(shipped)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        assert isinstance(instance.run_launcher, LocalRunLauncher)


def test_partial_files_are_private_to_each_write(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    partials: list[Path] = []

    def write(path: Path) -> None:
        partials.append(path)
        path.write_text("a\n")

    replace_atomically(target, write)
    replace_atomically(target, write)
    assert partials[0] != partials[1]
    assert str(os.getpid()) in partials[0].name

    def fail(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_atomically(target, fail)
    assert target.read_text() == "a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


@dg.asset(partitions_def=PROBE_PARTITIONS)
def writer(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    with step_lock(context, "decisions"):
        return dg.MaterializeResult(metadata={"wrote_at": time.time()})


@pytest.mark.timeout(120)
def test_a_writing_step_waits_for_a_straggler_of_its_agency_and_family(data_dir: Path) -> None:
    # e.g. the step process of a killed run worker, still finishing its step
    child = hold_in_child("ta", 2, kind="decisions")
    try:
        result = dg.materialize([writer], partition_key="ta")
        assert child.stdout is not None
        released = float(child.stdout.readline())
        child.wait(30)
    finally:
        child.kill()
        child.wait(10)
    wrote_at = result.asset_materializations_for_node("writer")[0].metadata["wrote_at"].value
    assert isinstance(wrote_at, float)
    assert wrote_at >= released  # the step wrote only once the straggler let go
    # a writer of another agency does not hold this one up
    other = hold_in_child("tb", 300, kind="decisions")
    try:
        assert dg.materialize([writer], partition_key="ta").success
    finally:
        other.kill()
        other.wait(10)


@pytest.mark.parametrize("name", ["dagster.local.yaml", "dagster.yaml"])
def test_both_instance_configs_monitor_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster._core.instance.config import dagster_instance_config

    for variable in ("HOST", "PORT", "USER", "PASSWORD", "DB"):
        monkeypatch.setenv(f"DAGSTER_PG_{variable}", "1")
    config, _ = dagster_instance_config(str(LOCAL_INSTANCE_YAML.parent), name)  # schema-checked
    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert 0 < monitoring["poll_interval_seconds"] <= 60
    assert 0 < monitoring["start_timeout_seconds"] <= 600
    assert monitoring["max_resume_run_attempts"] == 0  # the default launcher cannot resume
    assert config["run_launcher"] == {"module": "pipelines.liveness", "class": "LocalRunLauncher"}


def test_a_step_of_a_run_already_ended_writes_nothing(data_dir: Path) -> None:
    """A straggling step process of a killed run worker, once its run is marked failed."""
    with dg.instance_for_test() as instance:
        ended = create_run_for_test(
            instance,
            job_name="agency_job",
            status=dg.DagsterRunStatus.FAILURE,
            tags={"dagster/partition": "ta"},
        )
        context = SimpleNamespace(
            partition_key="ta", has_partition_key=True, run_id=ended.run_id, instance=instance
        )
        wrote = []
        with (
            pytest.raises(dg.Failure, match="already ended"),
            step_lock(cast(dg.AssetExecutionContext, context), "decisions"),
        ):
            wrote.append(True)
        assert wrote == []
        # the lock it took is released: the next run's step goes on
        with hold(lock_path("ta", "decisions"), wait_s=0):
            pass

"""`ogp workers` (issue 18): starts N Celery workers by PID, idempotently; stops and lists them
by PID (never a process that merely took over a recorded pid); a broker that does not answer is
one line on stderr, without a traceback or the broker's password."""

from __future__ import annotations

import os
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.commands.workers import Worker, host_of
from tests.conftest import Portal

from .celery_workers import BIN, live_pids, ogp_workers, running_workers, worker_folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """A process that is not gone and not a zombie (its parent, `ogp workers`, has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X", "x"}


def test_a_broker_that_does_not_answer_is_one_line_without_the_password() -> None:
    port = _free_port()  # nothing listens there
    password = "s3cret-broker-password"
    env = {**os.environ, "OGP_CELERY_BROKER_URL": f"redis://:{password}@127.0.0.1:{port}/3"}
    done = ogp_workers(env, "-n", "1", timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error / ข้อผิดพลาด: the Celery broker ")
    assert f"redis://127.0.0.1:{port}/3 does not answer" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert password not in done.stdout + done.stderr
    assert not list(worker_folder(env).glob("worker-*.pid"))  # nothing started


def test_workers_start_once_shrink_stop_and_list_by_pid(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OGP_CELERY_QUEUE", f"ogp-t{run_id}-cli")
    env = dict(os.environ)
    with running_workers(env, 2) as [first, second]:
        assert len({first, second, os.getpid()}) == 3
        again = ogp_workers(env, "-n", "2")  # idempotent: the same two processes
        assert again.returncode == 0, again.stderr
        assert f"worker 0 already running (pid {first})" in again.stdout
        assert f"worker 1 already running (pid {second})" in again.stdout
        assert live_pids(env) == {0: first, 1: second}

        fewer = ogp_workers(env, "-n", "1")  # the one beyond -n is stopped, the other kept
        assert fewer.returncode == 0, fewer.stderr
        assert f"stopped worker 1 (pid {second})" in fewer.stdout
        assert live_pids(env) == {0: first}
        assert not alive(second)

        listed = ogp_workers(env, "--status")
        assert listed.returncode == 0, listed.stderr
        assert f"worker 0: running, pid {first}" in listed.stdout
        assert "worker 1" not in listed.stdout

        # a recorded pid now held by another process (here: this test) is not a worker
        (worker_folder(env) / "worker-1.pid").write_text(f"{os.getpid()}\n")
        listed = ogp_workers(env, "--status")
        assert "worker 1: gone" in listed.stdout
        assert live_pids(env) == {0: first}

        stopped = ogp_workers(env, "--stop")
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.splitlines() == [f"stopped worker 0 (pid {first})"]
        assert not alive(first)
        assert live_pids(env) == {}
        assert not list(worker_folder(env).glob("worker-*.pid"))
    # this test's process survived the stop of a pid file naming it
    again = ogp_workers(env, "--stop")
    assert alive(os.getpid())
    assert again.stdout.strip() == "no worker was running"
    assert ogp_workers(env, "--status").stdout.startswith("no workers")


def test_two_concurrent_starts_give_the_asked_number_of_workers(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OGP_CELERY_QUEUE", f"ogp-t{run_id}-race")
    env = dict(os.environ)
    try:
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda _: ogp_workers(env, "-n", "2"), range(2)))
        assert [d.returncode for d in done] == [0, 0], [d.stdout + d.stderr for d in done]
        outputs = "".join(d.stdout for d in done)
        assert outputs.count("started worker") == 2, outputs  # one start each, the other waited
        assert outputs.count("already running") == 2, outputs
        assert sorted(live_pids(env)) == [0, 1]
        assert len(set(live_pids(env).values())) == 2
    finally:
        stopped = ogp_workers(env, "--stop", "--timeout", "30")
    assert stopped.returncode == 0, stopped.stderr
    assert live_pids(env) == {}


@pytest.mark.parametrize("args", [["-n", "65"], ["-n", "-1"], ["--timeout", "0"]])
def test_out_of_range_counts_and_timeouts_are_refused(args: list[str]) -> None:
    done = ogp_workers(os.environ, *args)
    assert done.returncode == 2, done.stdout + done.stderr  # a usage error
    assert "Invalid value" in done.stderr
    assert not list(worker_folder(os.environ).glob("worker-*.pid"))


def test_a_build_folder_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.write_text("not a folder\n")
    for args in (["-n", "1"], ["--status"], ["--stop"]):
        done = ogp_workers({**os.environ, "OGP_BUILD_DIR": str(build)}, *args)
        assert done.returncode == 1, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"error / ข้อผิดพลาด: cannot use the workers' run dir {build}/")
        assert "Traceback" not in done.stderr
    assert build.read_text() == "not a folder\n"


@pytest.mark.parametrize("command", [["run"], ["workers", "--status"]])
def test_an_invalid_setting_is_one_line_naming_the_variable_and_the_allowed_values(
    command: list[str],
) -> None:
    broker = "redis://:s3cret-broker-password@127.0.0.1:1/3"
    env = {**os.environ, "OGP_EXECUTOR": "bogus", "OGP_CELERY_BROKER_URL": broker}
    done = subprocess.run(
        [str(BIN / "ogp"), *command], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "error / ข้อผิดพลาด: invalid setting OGP_EXECUTOR: "
        "Input should be 'multiprocess', 'in_process' or 'celery'"
    ]
    assert "bogus" not in done.stderr  # the value is not echoed: another might be a secret


def test_readiness_is_read_from_this_start_not_from_an_older_log_line(
    ckan_portal: Portal,  # the portal's Redis is the broker
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a worker that stays alive without ever becoming ready: it sleeps before Celery starts
    (tmp_path / "sitecustomize.py").write_text(
        "import pathlib, time\n"
        "argv = pathlib.Path('/proc/self/cmdline').read_bytes().split(b'\\0')\n"
        "if b'celery' in argv and b'worker' in argv:\n"
        "    time.sleep(60)\n"
    )
    monkeypatch.setenv("OGP_CELERY_QUEUE", f"ogp-t{run_id}-ready")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    folder = worker_folder(env)
    folder.mkdir(parents=True)
    node = host_of(Worker(folder, 0))
    (folder / "worker-0.log").write_text(f"[earlier] {node} ready.\n")  # a previous start's
    try:
        done = ogp_workers(env, "-n", "1", "--timeout", "3")
    finally:
        stopped = ogp_workers(env, "--stop", "--timeout", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 worker(s) did not start" in done.stderr
    assert stopped.returncode == 0, stopped.stderr
    assert live_pids(env) == {}

"""``ogp workers [-n N] [--stop] [--status]``: the Celery workers that execute the steps of runs
using the Celery executor (``execution: {config: {celery: {}}}`` or ``OGP_EXECUTOR=celery``).

Each worker is ``celery -A pipelines.celery_app worker --pool solo``: one process that executes
one step at a time, in itself (a step's pid is its worker's), so N workers run N steps at once.
They are started detached, with this environment (data, contracts and broker settings), and
kept by PID in ``<build>/workers/worker-<i>.pid`` beside their logs, like the portal's
processes. Starting is idempotent: ``-n 2`` leaves two running workers alone, starts the
missing ones and stops those numbered beyond. ``--stop`` asks each worker, through the broker,
for a warm shutdown (it finishes the step it is executing first) and kills it by PID if it has
not exited within ``--timeout`` (its step then goes back to the queue); ``--status`` lists them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import typer

from pipelines.locks import hold
from pipelines.settings import Settings, get_settings

EXIT_BROKER_DOWN = 1
EXIT_NOT_STARTED = 1
MAX_WORKERS = 64  # one machine's share; more machines run `ogp workers` each


def _error(message: str, code: int) -> typer.Exit:
    typer.echo(f"error / ข้อผิดพลาด: {message}", err=True)
    return typer.Exit(code)


def run_dir(settings: Settings) -> Path:
    return settings.build_dir / "workers"


@dataclass(frozen=True)
class Worker:
    """Worker number ``index`` of the run dir ``folder``."""

    folder: Path
    index: int

    @property
    def pid_file(self) -> Path:
        return self.folder / f"worker-{self.index}.pid"

    @property
    def log(self) -> Path:
        return self.folder / f"worker-{self.index}.log"

    @property
    def name(self) -> str:
        """The Celery node name (unique per run dir on this host: ``%h`` is the host name)."""
        digest = hashlib.sha256(str(self.folder.resolve()).encode()).hexdigest()[:6]
        return f"ogp{self.index}-{digest}@%h"

    def command(self) -> list[str]:
        from pipelines.celery_app import APP_MODULE

        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            APP_MODULE,
            "worker",
            "--pool",
            "solo",  # the step runs in the worker process itself
            "--loglevel",
            "INFO",
            "--hostname",
            self.name,
            "--queues",
            get_settings().celery_queue,
            "--without-gossip",  # mingle stays: a new worker learns the revoked steps
        ]

    def pid(self) -> int | None:
        """The worker's pid, if its pid file names a live process that is this worker."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _is_ours(pid, self.name) else None


def _is_ours(pid: int, name: str) -> bool:
    """Alive, not a zombie, and running this worker's command line (guards a recycled pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat.rsplit(")", 1)[1].split()[0] in {"Z", "X", "x"}:
        return False
    return name.encode() in cmdline


def recorded(folder: Path) -> list[Worker]:
    """Every worker with a pid file in ``folder``, by number."""
    found = []
    for path in folder.glob("worker-*.pid"):
        with contextlib.suppress(ValueError):
            found.append(Worker(folder, int(path.stem.removeprefix("worker-"))))
    return sorted(found, key=lambda worker: worker.index)


def check_broker(settings: Settings) -> None:
    """Fail with one line (no traceback, no credentials) when the broker does not answer."""
    from kombu import Connection

    from pipelines.celery_app import broker_address, broker_url

    try:
        with Connection(broker_url(settings), connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=5)
    except Exception as error:  # kombu wraps the transport's errors variously
        reason = " ".join(str(error).split()).replace(broker_url(settings), "<broker>")
        raise _error(
            f"the Celery broker {broker_address(settings)} does not answer ({reason}); "
            "start the local portal's Redis with `make portal`, or set OGP_CELERY_BROKER_URL",
            EXIT_BROKER_DOWN,
        ) from None


def _start(worker: Worker) -> tuple[int, int]:
    """Start the worker; its pid and the size its log had (readiness is read after it)."""
    worker.folder.mkdir(parents=True, exist_ok=True)
    with worker.log.open("ab") as log:
        offset = log.tell()
        process = subprocess.Popen(
            worker.command(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,  # detached: it outlives this command
            preexec_fn=_default_signals,
        )
    worker.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
    return process.pid, offset


def _default_signals() -> None:
    # a worker started from a shell that ignores SIGTERM could not be stopped cleanly
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(worker: Worker, timeout: float, settings: Settings) -> int | None:
    """A warm shutdown through the broker (the worker finishes the step it executes, then
    exits), then SIGKILL after ``timeout`` (its step goes back to the queue: it was never
    acknowledged). Not SIGTERM: Dagster turns that into an interrupt of the running step."""
    pid = worker.pid()
    if pid is not None:
        if not _shutdown(worker, settings):
            with contextlib.suppress(ProcessLookupError):  # no broker: the worker cannot
                os.kill(pid, signal.SIGTERM)  # report a step anyway
        deadline = time.monotonic() + timeout
        while _is_ours(pid, worker.name) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.2)
        if _is_ours(pid, worker.name):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            while _is_ours(pid, worker.name):
                _reap(pid)
                time.sleep(0.1)
    worker.pid_file.unlink(missing_ok=True)
    return pid


def _shutdown(worker: Worker, settings: Settings) -> bool:
    """Celery's remote-control warm shutdown to this worker's node only; False when the
    broker cannot take it."""
    from pipelines.celery_app import make_worker_app

    try:
        make_worker_app(settings).control.shutdown(destination=[host_of(worker)])
    except Exception:  # kombu wraps the transport's errors variously
        return False
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
        os.waitpid(pid, os.WNOHANG)


def wait_ready(workers: Mapping[Worker, int], settings: Settings, timeout: float) -> list[str]:
    """Wait until every worker answers a ping through the broker, or has logged that it is
    ready (a solo worker already executing a queued step answers no ping until that step is
    done); the names that never did. ``workers`` maps each to its log's size at its start."""
    from pipelines.celery_app import make_worker_app

    app = make_worker_app(settings)
    nodes = {host_of(w): w for w in workers}
    waiting = set(nodes)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        if any(nodes[node].pid() is None for node in waiting):
            break  # one exited: it will never answer
        waiting = {
            node
            for node in waiting
            if f"{node} ready." not in _tail(nodes[node].log, 200, workers[nodes[node]])
        }
        if waiting:
            for reply in app.control.ping(destination=sorted(waiting), timeout=1.0) or []:
                waiting -= set(reply)
    return sorted(waiting)


def _tail(path: Path, lines: int = 5, offset: int = 0) -> str:
    """The last ``lines`` of ``path`` written after its first ``offset`` bytes."""
    with contextlib.suppress(OSError), path.open("rb") as log:
        log.seek(offset)
        return "\n".join(log.read().decode(errors="replace").splitlines()[-lines:])
    return ""


def workers(
    count: int = typer.Option(
        2,
        "-n",
        "--count",
        min=0,
        max=MAX_WORKERS,
        help="How many workers to keep running (one step each).",
    ),
    stop: bool = typer.Option(False, "--stop", help="Stop every worker, by PID."),
    status: bool = typer.Option(False, "--status", help="List the workers and exit."),
    timeout: float = typer.Option(
        120.0,
        "--timeout",
        min=1.0,
        help="Seconds to wait for a worker to start, or to finish its step.",
    ),
) -> None:
    """Start (idempotent), stop or list the Celery workers executing the steps of runs that use
    the Celery executor; the broker is the local portal's Redis unless OGP_CELERY_BROKER_URL
    says otherwise."""
    settings = get_settings()
    folder = run_dir(settings)
    try:
        # one `ogp workers` at a time per run dir (two concurrent `-n 2` give two workers)
        with hold(folder / "workers.lock", wait_s=math.inf, owner={"command": "ogp workers"}):
            _workers(settings, folder, count, stop=stop, status=status, timeout=timeout)
    except OSError as error:  # the build folder is a file, unwritable, full...
        where = error.filename or folder
        raise _error(
            f"cannot use the workers' run dir {folder} ({where}: {error.strerror or error})",
            EXIT_NOT_STARTED,
        ) from None


def _workers(
    settings: Settings, folder: Path, count: int, *, stop: bool, status: bool, timeout: float
) -> None:
    if status:
        _status(folder)
        return
    if stop:
        running = [worker for worker in recorded(folder) if worker.pid() is not None]
        for worker in recorded(folder):
            pid = _stop(worker, timeout, settings)
            if pid is not None:
                typer.echo(f"stopped worker {worker.index} (pid {pid})")
        if not running:
            typer.echo("no worker was running")
        return

    from pipelines.celery_app import broker_address

    check_broker(settings)
    for worker in recorded(folder):
        if worker.index >= count:
            pid = _stop(worker, timeout, settings)
            if pid is not None:
                typer.echo(f"stopped worker {worker.index} (pid {pid}): beyond -n {count}")
    started: dict[Worker, int] = {}
    for index in range(count):
        worker = Worker(folder, index)
        pid = worker.pid()
        if pid is not None:
            typer.echo(f"worker {index} already running (pid {pid})")
            continue
        pid, started[worker] = _start(worker)
        typer.echo(f"started worker {index} (pid {pid}), log {worker.log}")
    silent = wait_ready(started, settings, timeout) if started else []
    if silent:
        failed = [w for w in started if host_of(w) in silent]
        detail = "; ".join(f"worker {w.index}: {_tail(w.log, 3, started[w])}" for w in failed)
        raise _error(f"{len(silent)} worker(s) did not start: {detail}", EXIT_NOT_STARTED)
    typer.echo(f"{count} worker(s) on {broker_address(settings)}, run dir {folder}")


def host_of(worker: Worker) -> str:
    from celery.utils.nodenames import default_nodename, host_format

    return str(host_format(default_nodename(worker.name)))


def _status(folder: Path) -> None:
    workers = recorded(folder)
    if not workers:
        typer.echo(f"no workers ({folder})")
        return
    for worker in workers:
        pid = worker.pid()
        state = f"running, pid {pid}" if pid is not None else "gone"
        typer.echo(f"worker {worker.index}: {state}  {host_of(worker)}  log {worker.log}")

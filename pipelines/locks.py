"""One run per agency at a time: advisory locks that the operating system releases when the
process holding them dies (``fcntl.flock``; the lock file staying behind means nothing).

Lock files live in ``<data_dir>/locks/``, so every process that writes the same data directory
(``ogp run``, the Dagster daemon's run workers, the UI's) sees the same locks. A *scope* is an
agency code, or ``_catalog`` for the unpartitioned jobs (registry, CKAN organizations, readiness
report), which write state shared by all agencies.

* ``<scope>.run.lock`` -- the **run lock**, held for a whole run by the process orchestrating
  it: ``ogp run`` around each ``execute_in_process`` (pipelines/runner.py), or the run worker of
  a run the daemon or UI launched, through the code location's executor
  (:func:`run_locked_executor`). A second run of the same scope waits for it (bounded:
  ``OGP_LOCK_WAIT_S``, default 900 s) and then gives up as *busy* -- it never starts.
* ``<scope>.<family>.lock`` -- the **writer lock**, held by each step that writes one family's
  state of the scope (raw landing, clean + validation gate, publish) for the step's duration
  (:func:`step_lock`). In one process (``ogp run``: in-process executor) it is simply taken
  after the run lock. With the multiprocess executor the steps are child processes of the run
  worker; when the worker is SIGKILLed the OS frees the run lock at once, but a step process
  already running may still finish its step -- the next run's steps wait here instead of writing
  beside it, and a step that finds its own run already ended writes nothing. Locks per family
  keep the families of one agency running in parallel.

The holder writes who it is (pid, host, run) into the file while it holds the lock, so a busy
message can say who holds it; the content is informational only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from pipelines.settings import get_settings

CATALOG_SCOPE = "_catalog"  # never an agency code: those start with a letter
PARTITION_TAG = "dagster/partition"


class LockSettings(BaseSettings):
    """``OGP_LOCK_WAIT_S``: how long a run waits for another run of the same agency."""

    model_config = SettingsConfigDict(env_prefix="OGP_LOCK_", extra="ignore")

    wait_s: float = 900.0
    poll_s: float = 0.25


class LockBusyError(RuntimeError):
    """Another live process holds the lock and did not release it in time."""

    def __init__(self, path: Path, holder: str, waited_s: float) -> None:
        self.path, self.holder, self.waited_s = path, holder, waited_s
        super().__init__(
            f"busy: {path.name} is held by {holder}; gave up after {waited_s:.0f} s "
            "(set OGP_LOCK_WAIT_S or --wait to wait longer)"
        )


def run_scope(tags: Mapping[str, str]) -> str:
    """The scope of a run: its agency partition, or the catalog for unpartitioned jobs."""
    return tags.get(PARTITION_TAG) or CATALOG_SCOPE


def lock_path(scope: str, kind: str = "run", data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / "locks" / f"{scope}.{kind}.lock"


def describe_holder(path: Path) -> str:
    """Who wrote the lock file last (the holder, while the lock is held)."""
    try:
        owner = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        owner = {}
    if not owner:
        return "another process"
    detail = f"pid {owner.get('pid')} on {owner.get('host')} since {owner.get('since')}"
    return f"{owner['run']} ({detail})" if owner.get("run") else detail


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def hold(
    path: Path,
    *,
    wait_s: float | None = None,
    owner: Mapping[str, Any] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on ``path``, waiting at most ``wait_s`` (default from the
    environment) for its holder; raise :class:`LockBusyError` when it is still held then."""
    settings = LockSettings()
    wait_s = settings.wait_s if wait_s is None else wait_s
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_CLOEXEC: a program this process starts must not keep the lock alive after it exits
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        started = time.monotonic()
        if not _try_lock(fd):
            if on_wait is not None:
                on_wait(f"waiting for {path.name}, held by {describe_holder(path)}")
            while not _try_lock(fd):
                waited = time.monotonic() - started
                if waited >= wait_s:
                    raise LockBusyError(path, describe_holder(path), waited)
                time.sleep(min(settings.poll_s, max(wait_s - waited, 0.01)))
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            **(owner or {}),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock (so does dying)


def run_lock(
    scope: str,
    *,
    wait_s: float | None = None,
    owner: Mapping[str, Any] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> contextlib.AbstractContextManager[None]:
    """The run lock of one agency (or of the catalog)."""
    return hold(lock_path(scope, "run"), wait_s=wait_s, owner=owner, on_wait=on_wait)


def writer_lock(
    scope: str, family: str, *, wait_s: float | None = None, owner: Mapping[str, Any] | None = None
) -> contextlib.AbstractContextManager[None]:
    """The writer lock of one family of one agency (or of the catalog)."""
    return hold(lock_path(scope, family), wait_s=wait_s, owner=owner)

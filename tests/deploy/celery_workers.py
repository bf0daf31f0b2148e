"""What the Celery tests (issue 18) share: `ogp workers` run as a steward would, on a queue of
the test's own on the portal's Redis (so no other worker takes its steps), and a Dagster
database of its own in the portal's PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from pipelines.commands.workers import Worker, recorded
from pipelines.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "portal"))
from portalkit.postgres import Postgres
from portalkit.settings import Settings
from portalkit.system import postgres_bin_dir

BIN = Path(sys.executable).parent
PRODUCTION_YAML = REPO_ROOT / "pipelines" / "deploy" / "dagster.yaml"
RUN_CELERY_YAML = REPO_ROOT / "pipelines" / "deploy" / "run_celery.yaml"


def ogp_workers(
    env: Mapping[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`ogp workers ARGS` in the repository, as a steward runs it."""
    return subprocess.run(
        [str(BIN / "ogp"), "workers", *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def worker_folder(env: Mapping[str, str]) -> Path:
    return Path(env["OGP_BUILD_DIR"]) / "workers"


def live_pids(env: Mapping[str, str]) -> dict[int, int]:
    """Worker number -> pid of the workers running for ``env``'s build folder."""
    found = {worker.index: worker.pid() for worker in recorded(worker_folder(env))}
    return {index: pid for index, pid in found.items() if pid is not None}


@contextlib.contextmanager
def running_workers(env: Mapping[str, str], count: int) -> Iterator[list[int]]:
    """``count`` workers started by `ogp workers -n`, stopped by `ogp workers --stop` after."""
    started = ogp_workers(env, "-n", str(count))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        pids = live_pids(env)
        assert sorted(pids) == list(range(count)), (pids, started.stdout)
        yield [pids[index] for index in range(count)]
    finally:
        stopped = ogp_workers(env, "--stop", "--timeout", "30")
        for index in range(count):  # a last resort, by the pid this test's workers recorded
            pid = Worker(worker_folder(env), index).pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for log in sorted(worker_folder(env).glob("worker-*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@contextlib.contextmanager
def portal_postgres(name: str) -> Iterator[dict[str, str]]:
    """A role and database ``name`` in the local portal's PostgreSQL (dropped afterwards), as
    the DAGSTER_PG_* variables of pipelines/deploy/dagster.yaml."""
    settings = Settings.from_env()
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None, "PostgreSQL server binaries are missing (apt: postgresql)"
    server = Postgres(settings, bin_dir)
    password = secrets.token_urlsafe(12)  # letters, digits, '-' and '_': nothing to quote
    server.psql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    try:
        server.psql(f"CREATE DATABASE {name} OWNER {name}")
        yield {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(settings.pg_port),
            "DAGSTER_PG_USER": name,
            "DAGSTER_PG_PASSWORD": password,
            "DAGSTER_PG_DB": name,
        }
    finally:
        server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.psql(f"DROP ROLE IF EXISTS {name}")

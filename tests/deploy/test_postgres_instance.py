"""The production instance config (pipelines/deploy/dagster.yaml: PostgreSQL storage, queued
runs with per-agency limits) runs a whole agency job against a real PostgreSQL server."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import dagster as dg
import pytest
import sqlalchemy as sa

from pipelines.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "portal"))
from portalkit.postgres import Postgres
from portalkit.settings import Settings
from portalkit.system import postgres_bin_dir

from .conftest import SandboxFactory
from .sandbox import child_env

PRODUCTION_YAML = REPO_ROOT / "pipelines" / "deploy" / "dagster.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dagster_postgres(service_dir: Path) -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL cluster with a password login for Dagster, over TCP."""
    home = service_dir
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None, "PostgreSQL server binaries are missing (apt: postgresql)"
    settings = Settings(home=home, venv=home, ckan_port=0, pg_port=_free_port(), redis_port=0)
    server = Postgres(settings, bin_dir)
    log = home / "setup.log"
    server.init(log)
    server.start(log)
    password = secrets.token_urlsafe(12)
    server.psql(f"CREATE ROLE dagster LOGIN PASSWORD '{password}'")
    server.psql("CREATE DATABASE dagster OWNER dagster")
    try:
        yield {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(settings.pg_port),
            "DAGSTER_PG_USER": "dagster",
            "DAGSTER_PG_PASSWORD": password,
            "DAGSTER_PG_DB": "dagster",
        }
    finally:
        server.stop()


# The agency job of the real code location, for a sandbox agency: the definitions read the
# registry when they are imported, so the job runs in a process of the sandbox's environment.
AGENCY_JOB = """
import sys
import dagster as dg
from pipelines.definitions import defs
with dg.DagsterInstance.get() as instance:
    job = defs.resolve_job_def("agency_job")
    agency = sys.argv[1]
    result = job.execute_in_process(instance=instance, partition_key=agency, raise_on_error=False)
print(result.run_id)
sys.exit(0 if result.success else 1)
"""


# marked portal and slow from its `sandboxes` fixture (tests/conftest.py)
def test_agency_job_runs_on_postgres_instance_storage(
    dagster_postgres: dict[str, str],
    sandboxes: SandboxFactory,
    ckan: ckanapi.RemoteCKAN,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = sandboxes("pg", 1)  # its own agency (a copy of a clean demo agency's drops)
    [agency] = sandbox.agencies
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PRODUCTION_YAML, home / "dagster.yaml")
    job = subprocess.run(
        [sys.executable, "-c", AGENCY_JOB, agency],
        cwd=REPO_ROOT,
        env=child_env(sandbox, DAGSTER_HOME=str(home), **dagster_postgres),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    run_id = job.stdout.strip().splitlines()[-1]

    for name, value in dagster_postgres.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        run = instance.get_run_by_id(run_id)
        assert run is not None
        assert run.tags["dagster/partition"] == agency
        for name in ("clean_procurement", "published_procurement", "procurement_ocds"):
            event = instance.get_latest_materialization_event(dg.AssetKey(name))
            assert event is not None, name
            assert event.run_id == run_id
    # published under the sandbox agency's names only
    assert [ckan.action.package_show(id=name)["name"] for name in sandbox.datasets()] == (
        sandbox.datasets()
    )

    # the run and its events really live in PostgreSQL
    env = dagster_postgres
    engine = sa.create_engine(
        f"postgresql+psycopg2://{env['DAGSTER_PG_USER']}:{env['DAGSTER_PG_PASSWORD']}"
        f"@127.0.0.1:{env['DAGSTER_PG_PORT']}/{env['DAGSTER_PG_DB']}"
    )
    with engine.connect() as connection:
        runs = connection.execute(
            sa.text("SELECT count(*) FROM runs WHERE run_id = :id"), {"id": run_id}
        ).scalar_one()
        checks = connection.execute(
            sa.text(
                "SELECT count(*) FROM event_logs WHERE run_id = :id "
                "AND dagster_event_type = 'ASSET_CHECK_EVALUATION'"
            ),
            {"id": run_id},
        ).scalar_one()
    engine.dispose()
    assert runs == 1
    assert checks >= 9  # schema, suite, privacy on each of the three families
    assert os.environ["DAGSTER_HOME"] == str(home)

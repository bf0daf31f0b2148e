"""The portal's private PostgreSQL cluster under .portal/pg (CKAN and DataStore databases)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .procs import as_service_user, chown_to_service_user, pid_alive, run, stop_pid
from .settings import PortalError, Secrets, Settings

SUPERUSER = "postgres"
CKAN_DB, CKAN_USER = "ckan_default", "ckan_default"
DATASTORE_DB, DATASTORE_RO_USER = "datastore_default", "datastore_default"


@dataclass(frozen=True)
class Postgres:
    settings: Settings
    bin_dir: Path

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    # -- state ------------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.settings.pg_data / "PG_VERSION").exists()

    def pid(self) -> int | None:
        """The postmaster PID from postmaster.pid, if that process is alive."""
        try:
            lines = (self.settings.pg_data / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def ready(self) -> bool:
        proc = subprocess.run(
            [
                self.tool("pg_isready"),
                "-q",
                "-h",
                str(self.settings.pg_socket_dir),
                "-p",
                str(self.settings.pg_port),
            ],
            capture_output=True,
        )
        return proc.returncode == 0

    # -- lifecycle --------------------------------------------------------------------------
    def init(self, log: Path) -> None:
        s = self.settings
        s.pg_data.mkdir(parents=True, exist_ok=True)
        s.pg_socket_dir.mkdir(parents=True, exist_ok=True)
        s.pg_data.chmod(0o700)
        s.pg_socket_dir.chmod(0o700)  # the socket trusts local users: keep others out
        chown_to_service_user(s.pg_dir, s.pg_data, s.pg_socket_dir)
        # C.UTF-8 character classes make pg_trgm treat Thai letters as word characters
        run(
            as_service_user(
                [
                    self.tool("initdb"),
                    "-D",
                    str(s.pg_data),
                    "-U",
                    SUPERUSER,
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                ]
            ),
            what="initdb",
            log=log,
        )

    def start(self, log: Path) -> None:
        s = self.settings
        if not s.pg_log.exists():
            s.pg_log.touch()
            chown_to_service_user(s.pg_log)
        options = (
            f"-p {s.pg_port} -k {s.pg_socket_dir} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        # fsync off: a disposable development cluster, where start-up and bulk loads matter
        # more than crash safety. Production CKAN points at its own database.
        run(
            as_service_user(
                [
                    self.tool("pg_ctl"),
                    "-D",
                    str(s.pg_data),
                    "-l",
                    str(s.pg_log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            what="PostgreSQL start",
            log=log,
            timeout=90,
        )
        if not self.ready():
            raise PortalError(f"PostgreSQL did not become ready; see {s.pg_log}")

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        proc = subprocess.run(
            as_service_user(
                [
                    self.tool("pg_ctl"),
                    "-D",
                    str(self.settings.pg_data),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "30",
                    "stop",
                ]
            ),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or pid_alive(pid):
            stop_pid(pid, name="PostgreSQL")
        for _ in range(100):  # pg_ctl -w returns when the pid file is gone; be sure
            if not pid_alive(pid):
                return
            time.sleep(0.1)

    # -- SQL --------------------------------------------------------------------------------
    def psql(self, sql: str, *, db: str = "postgres", what: str = "psql") -> str:
        return run(
            as_service_user(
                [
                    self.tool("psql"),
                    "-X",
                    "-q",
                    "-t",
                    "-A",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    str(self.settings.pg_socket_dir),
                    "-p",
                    str(self.settings.pg_port),
                    "-U",
                    SUPERUSER,
                    "-d",
                    db,
                ]
            ),
            input_text=sql,
            what=what,
        )

    def create_databases(self, secrets: Secrets) -> None:
        """Roles and databases for CKAN and the DataStore (idempotent)."""
        ckan_pw = secrets.ckan_db_password.replace("'", "''")
        ro_pw = secrets.datastore_ro_password.replace("'", "''")
        # names are our constants; passwords are generated (token_urlsafe) and quote-escaped
        self.psql(
            f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{CKAN_USER}') THEN
                CREATE ROLE {CKAN_USER} LOGIN PASSWORD '{ckan_pw}';
              END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DATASTORE_RO_USER}') THEN
                CREATE ROLE {DATASTORE_RO_USER} LOGIN PASSWORD '{ro_pw}';
              END IF;
            END $$;
        """,  # noqa: S608
            what="create roles",
        )
        existing = self.psql("SELECT datname FROM pg_database").split()
        for db in (CKAN_DB, DATASTORE_DB):
            if db not in existing:
                self.psql(
                    f"CREATE DATABASE {db} OWNER {CKAN_USER} ENCODING 'UTF8'",
                    what=f"create database {db}",
                )
        # pg_trgm backs the search extension's indexes; created here as superuser
        self.psql("CREATE EXTENSION IF NOT EXISTS pg_trgm", db=CKAN_DB, what="pg_trgm")

    def url(self, user: str, password: str, db: str) -> str:
        # unix socket: nothing but this machine's local users can reach it
        return (
            f"postgresql://{user}:{password}@/{db}"
            f"?host={self.settings.pg_socket_dir}&port={self.settings.pg_port}"
        )

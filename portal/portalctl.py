#!/usr/bin/env python3
"""Bring the local CKAN 2.12 portal up or down, or report its health.

    python3 portal/portalctl.py up       # install (first time), start, wait until healthy
    python3 portal/portalctl.py status   # exit 0 when healthy, 1 otherwise
    python3 portal/portalctl.py down     # stop the job worker, CKAN, Redis, PostgreSQL by PID
    python3 portal/portalctl.py restart  # restart only CKAN (after changing the extension)

Standard library only: it runs before the project's virtualenv exists. Everything lives under
.portal/ (or $OGP_PORTAL_DIR); ports come from OGP_CKAN_PORT, OGP_PG_PORT, OGP_REDIS_PORT.
The portal runs ckanext-xloader and CKAN's job worker (`ckan jobs worker`, which runs its
loads); OGP_PORTAL_XLOADER=0 runs a portal without them.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portalkit import system
from portalkit.ckan import ADMIN_USER, Ckan, config_fingerprint
from portalkit.postgres import CKAN_DB, Postgres
from portalkit.procs import port_in_use
from portalkit.redis import Redis
from portalkit.settings import PortalError, Secrets, Settings
from portalkit.worker import Worker

__all__ = ["PortalError", "down", "main", "restart", "status", "up"]


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One portalctl at a time (parallel test workers all call `up`)."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    with (settings.run_dir / "portalctl.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _services(settings: Settings) -> tuple[Postgres | None, Redis | None, Ckan]:
    """The three services; PostgreSQL/Redis are None when their binaries are missing."""
    pg_bin = system.postgres_bin_dir()
    redis = shutil.which("redis-server")
    return (
        Postgres(settings, pg_bin) if pg_bin else None,
        Redis(settings, redis) if redis else None,
        Ckan(settings),
    )


def _worker(settings: Settings) -> Worker:
    return Worker(settings, Ckan(settings).exe)


def _worker_as_wanted(settings: Settings) -> bool:
    """The job worker runs (and is registered in Redis) exactly when xloader is on."""
    worker = _worker(settings)
    return worker.healthy() if settings.xloader else worker.pid() is None


def _all_healthy(settings: Settings) -> bool:
    pg, redis, ckan = _services(settings)
    return bool(
        pg
        and pg.pid()
        and pg.ready()
        and redis
        and redis.pid()
        and redis.ping()
        and ckan.pid()
        and ckan.healthy()
        and settings.token_file.exists()
        and _worker_as_wanted(settings)
    )


def _runs_current_config(settings: Settings) -> bool:
    """Whether the running CKAN was started with the configuration `up` would give it now
    (ckan.ini as rendered from portal/ckan.ini.tmpl, the theme, the dataset schema)."""
    pg, redis, ckan = _services(settings)
    if pg is None or redis is None or not (settings.home / "secrets.json").exists():
        return False
    wanted = config_fingerprint(ckan.render_ini(pg, redis.url, Secrets.load_or_create(settings)))
    worker = _worker(settings)
    return ckan.runs_config(wanted) and (not settings.xloader or worker.runs_config(wanted))


def _check_port(port: int, env_name: str, service: str) -> None:
    if port_in_use(port):
        raise PortalError(
            f"port {port} ({service}) is already in use by another program.\n"
            f"  fix: stop that program, or choose another port, e.g. {env_name}={port + 1}"
        )


def _write_env(settings: Settings, ckan: Ckan, pg: Postgres, redis: Redis) -> None:
    env = {
        "url": settings.url,
        "api_token_file": str(settings.token_file),
        "admin_user": ADMIN_USER,
        "ckan_version": ckan.version(),
        "ckan_ini": str(settings.ckan_ini),
        "ckan_venv": str(settings.venv),
        "storage_path": str(settings.storage),
        "postgres": {
            "socket_dir": str(settings.pg_socket_dir),
            "port": settings.pg_port,
            "database": CKAN_DB,
        },
        "redis_url": redis.url,
        "logs": str(settings.log_dir),
        "xloader": settings.xloader,
    }
    settings.env_file.write_text(json.dumps(env, indent=2) + "\n")


def up() -> int:
    """Start the portal (installing what is missing); returns a process exit code."""
    settings = Settings.from_env()
    settings.make_dirs()
    with _locked(settings):
        if _all_healthy(settings) and _runs_current_config(settings):
            print(f"portal: already up at {settings.url}")
            return 0
        started: list[Callable[[], None]] = []  # undo list: stop what *this* run started
        t0 = time.monotonic()
        try:
            _up(settings, started)
        except BaseException as exc:
            for stop in reversed(started):
                try:
                    stop()
                except PortalError as stop_exc:
                    print(f"portal: while cleaning up: {stop_exc}", file=sys.stderr)
            if not isinstance(exc, PortalError):
                raise
            print(f"portal: up failed: {exc}", file=sys.stderr)
            print(f"portal: set-up log: {settings.log_dir / 'setup.log'}", file=sys.stderr)
            return 1
        print(
            f"portal: up at {settings.url} in {time.monotonic() - t0:.1f}s "
            f"(token in {settings.token_file})"
        )
        return 0


def _up(settings: Settings, started: list[Callable[[], None]]) -> None:
    log = settings.log_dir / "setup.log"
    system.ensure_packages(log)
    pg_bin, redis_server = system.require_binaries()
    pg, redis, ckan = Postgres(settings, pg_bin), Redis(settings, redis_server), Ckan(settings)

    # check every port we are about to take before starting anything
    if pg.pid() is None:
        _check_port(settings.pg_port, "OGP_PG_PORT", "PostgreSQL")
    if redis.pid() is None:
        _check_port(settings.redis_port, "OGP_REDIS_PORT", "Redis")
    if ckan.pid() is None:
        _check_port(settings.ckan_port, "OGP_CKAN_PORT", "CKAN")

    ckan.ensure_venv(log)
    secrets = Secrets.load_or_create(settings)
    db_stamp = settings.state_dir / "db-initialised"

    if not pg.initialised():
        db_stamp.unlink(missing_ok=True)  # a new cluster needs the database steps again
        pg.init(log)
    if pg.pid() is None:
        pg.start(log)
        started.append(pg.stop)
    if redis.pid() is None:
        redis.start(log)
        started.append(redis.stop)

    fingerprint = ckan.write_ini(pg, redis.url, secrets)
    if not db_stamp.exists():
        print("portal: creating databases and the sysadmin (first run)", flush=True)
        pg.create_databases(secrets)
        ckan.init_database(pg, secrets, log)
        settings.token_file.unlink(missing_ok=True)
        settings.xloader_token_file.unlink(missing_ok=True)
        db_stamp.write_text("ok\n")
    if settings.xloader and ckan.xloader_token() is None:
        # xloader's jobs call CKAN's API with a token of their own, written into ckan.ini
        ckan.create_token(log, settings.xloader_token_file, "ogp-xloader")
        fingerprint = ckan.write_ini(pg, redis.url, secrets)

    worker = _worker(settings)
    pid = ckan.pid()
    if pid is not None and not ckan.runs_config(fingerprint):
        # started with another ckan.ini, theme or schema (or by an older portalctl)
        print("portal: configuration changed; restarting CKAN", flush=True)
        worker.stop()
        ckan.stop()
        pid = None
    if pid is None:
        ckan.start(fingerprint)
        started.append(ckan.stop)
    elif not _answers_within(ckan, seconds=60):  # busy is fine, hung is not
        raise PortalError(
            f"CKAN (pid {pid}) is running but does not answer status_show; see "
            f"{ckan.log_file}\n  fix: python3 portal/portalctl.py down && "
            "python3 portal/portalctl.py up"
        )
    if not ckan.token_works():
        ckan.create_token(log)
        if not ckan.token_works():
            raise PortalError("the new API token is rejected by CKAN; see logs/ckan.log")
    if settings.xloader and not ckan.token_works(settings.xloader_token_file):
        print("portal: xloader's API token is rejected; making a new one", flush=True)
        ckan.create_token(log, settings.xloader_token_file, "ogp-xloader")
        fingerprint = ckan.write_ini(pg, redis.url, secrets)
        worker.stop()
        ckan.stop()
        ckan.start(fingerprint)
    _ensure_worker(settings, worker, fingerprint, started)
    _write_env(settings, ckan, pg, redis)


def _ensure_worker(
    settings: Settings, worker: Worker, fingerprint: str, started: list[Callable[[], None]]
) -> None:
    """One job worker when xloader is on (reused while it runs this configuration), none
    when it is off."""
    if not settings.xloader:
        worker.stop()
        return
    if worker.pid() is not None and not (worker.runs_config(fingerprint) and worker.healthy()):
        print("portal: restarting the job worker", flush=True)
        worker.stop()
    if worker.pid() is None:
        worker.start(fingerprint)
        started.append(worker.stop)


def _answers_within(ckan: Ckan, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ckan.healthy():
            return True
        time.sleep(1)
    return False


def down() -> int:
    """Stop the job worker, CKAN, Redis and PostgreSQL (in that order); returns a process exit
    code."""
    settings = Settings.from_env()
    pg, redis, ckan = _services(settings)
    with _locked(settings):
        try:
            _worker(settings).stop()  # whether or not xloader is on now
            ckan.stop()
            if redis:
                redis.stop()
            if pg:
                pg.stop()
        except PortalError as exc:
            print(f"portal: down failed: {exc}", file=sys.stderr)
            return 1
    print("portal: down")
    return 0


def restart() -> int:
    """Restart the CKAN web process only (e.g. after changing ckanext-pgsearch), then `up`."""
    settings = Settings.from_env()
    with _locked(settings):
        Ckan(settings).stop()
    return up()


def status() -> int:
    """Print each service's health; 0 when the whole portal is healthy."""
    settings = Settings.from_env()
    pg, redis, ckan = _services(settings)
    checks = {
        "postgres": bool(pg and pg.pid() and pg.ready()),
        "redis": bool(redis and redis.pid() and redis.ping()),
        "ckan": bool(ckan.pid() and ckan.healthy()),
        "api_token": settings.token_file.exists(),
    }
    worker = _worker(settings)
    if settings.xloader:
        checks["worker"] = worker.healthy()
    for name, ok in checks.items():
        print(f"{name:10} {'ok' if ok else 'DOWN'}")
    if settings.xloader:
        print(f"{'':10} job worker pid {worker.pid()} (xloader on)")
    else:
        print(f"{'worker':10} off (OGP_PORTAL_XLOADER=0)")
    healthy = all(checks.values()) and _worker_as_wanted(settings)
    version = ckan.version() if checks["ckan"] else None
    print(
        f"portal     {'healthy' if healthy else 'not healthy'} at {settings.url}"
        + (f" (CKAN {version})" if version else "")
    )
    return 0 if healthy else 1


COMMANDS: dict[str, Callable[[], int]] = {
    "up": up,
    "down": down,
    "restart": restart,
    "status": status,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        return COMMANDS[args[0]]()
    except PortalError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Operating-system prerequisites: Debian packages and the binaries they provide."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .procs import IS_ROOT, run
from .settings import PortalError

# Debian package -> why the portal needs it
DEBIAN_PACKAGES = {
    "redis-server": "CKAN refuses to start without Redis",
    "libpq-dev": "psycopg2 is built from source against libpq",
    "libmagic1": "CKAN guesses upload types with python-magic",
    "gcc": "psycopg2 is built from source",
}
POSTGRES_PACKAGE = "postgresql"  # Debian's default server version (15 on bookworm)


def _installed(package: str) -> bool:
    proc = subprocess.run(["dpkg", "-s", package], capture_output=True, text=True)
    return proc.returncode == 0 and "Status: install ok installed" in proc.stdout


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server bin dir (OGP_PG_BIN overrides)."""
    override = os.environ.get("OGP_PG_BIN")
    if override:
        return Path(override)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_packages(log: Path) -> None:
    """As root, apt-get install whatever is missing; otherwise say what to install."""
    if not shutil.which("dpkg"):
        return  # not Debian: rely on the binary checks below
    missing = [p for p in DEBIAN_PACKAGES if not _installed(p)]
    if postgres_bin_dir() is None:
        missing.append(POSTGRES_PACKAGE)
    if not missing:
        return
    if not IS_ROOT:
        raise PortalError(
            "missing Debian packages: "
            + " ".join(missing)
            + f"\n  fix: sudo apt-get install -y {' '.join(missing)}"
        )
    print(f"portal: installing Debian packages: {' '.join(missing)}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    try:
        run(cmd, what="apt-get install", env=env, log=log)
    except PortalError:  # usually a stale package list: refresh once and retry
        run(["apt-get", "update", "-qq"], what="apt-get update", env=env, log=log)
        run(cmd, what="apt-get install", env=env, log=log)


def require_binaries() -> tuple[Path, str]:
    """PostgreSQL's bin dir and the redis-server path, or a clear error."""
    pg_bin = postgres_bin_dir()
    if pg_bin is None or not (pg_bin / "pg_ctl").exists():
        raise PortalError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql.\n"
            "  fix: apt-get install -y postgresql   (or set OGP_PG_BIN to their directory)"
        )
    redis = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if redis is None:
        raise PortalError("redis-server not found.\n  fix: apt-get install -y redis-server")
    if IS_ROOT and not shutil.which("runuser"):
        raise PortalError("runuser not found (util-linux); it runs PostgreSQL as 'postgres'")
    return pg_bin, redis

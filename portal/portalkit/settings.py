"""Where the local portal lives and which ports it uses (all overridable by environment)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PORTAL_SRC = Path(__file__).resolve().parent.parent  # the repository's portal/ folder
REPO_ROOT = PORTAL_SRC.parent


class PortalError(RuntimeError):
    """A failure with a message that tells the user what is wrong and how to fix it."""


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        port = int(raw)
    except ValueError as exc:
        raise PortalError(f"{name}={raw!r} is not a port number") from exc
    if not 0 < port < 65536:
        raise PortalError(f"{name}={port} is out of range")
    return port


def _reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can walk down to ``path`` (x on every parent)."""
    for folder in [path, *path.parents]:
        try:
            mode = folder.stat().st_mode
        except FileNotFoundError:
            continue  # not created yet: we create it 0755
        if not mode & 0o001:
            return False
    return True


def _switch(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise PortalError(f"{name}={raw!r}: use 1 or 0")


@dataclass(frozen=True)
class Settings:
    home: Path
    venv: Path
    ckan_port: int
    pg_port: int
    redis_port: int
    # ckanext-xloader and its job worker; OGP_PORTAL_XLOADER=0 runs a portal without them
    # (the publisher then loads the DataStore through datastore_upsert, its fallback)
    xloader: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("OGP_PORTAL_DIR") or REPO_ROOT / ".portal").resolve()
        # a second portal (e.g. the search benchmark's) may share an installed virtualenv
        venv = Path(os.environ.get("OGP_PORTAL_VENV") or home / "venv").resolve()
        return cls(
            home=home,
            venv=venv,
            ckan_port=_port("OGP_CKAN_PORT", 5000),
            pg_port=_port("OGP_PG_PORT", 5433),
            redis_port=_port("OGP_REDIS_PORT", 6380),
            xloader=_switch("OGP_PORTAL_XLOADER", True),
        )

    # -- layout under .portal --------------------------------------------------------------
    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def pg_dir(self) -> Path:
        """Owned by the postgres user when we run as root. A clone in a private folder (such as
        root's home, mode 0700) is out of that user's reach, so its cluster then lives under
        /var/lib/ogp-portal, named after the portal's folder (OGP_PG_DIR overrides both)."""
        override = os.environ.get("OGP_PG_DIR")
        if override:
            return Path(override).resolve()
        if os.geteuid() == 0 and not _reachable_by_others(self.home):
            digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
            return Path("/var/lib/ogp-portal") / digest / "pg"
        return self.home / "pg"

    @property
    def pg_data(self) -> Path:
        return self.pg_dir / "data"

    @property
    def pg_socket_dir(self) -> Path:
        return self.pg_dir / "socket"

    @property
    def pg_log(self) -> Path:
        return self.pg_dir / "postgres.log"

    @property
    def redis_dir(self) -> Path:
        return self.home / "redis"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def storage(self) -> Path:
        return self.home / "storage"

    @property
    def ckan_ini(self) -> Path:
        return self.home / "ckan.ini"

    @property
    def token_file(self) -> Path:
        return self.home / "api_token"

    @property
    def xloader_token_file(self) -> Path:
        """The API token ckanext-xloader's jobs call CKAN with (written into ckan.ini)."""
        return self.home / "xloader_token"

    @property
    def env_file(self) -> Path:
        return self.home / "env.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ckan_port}"

    def make_dirs(self) -> None:
        for d in (
            self.home,
            self.run_dir,
            self.log_dir,
            self.state_dir,
            self.storage,
            self.redis_dir,
            self.pg_dir,
        ):
            d.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Secrets:
    """Generated once per portal and kept in .portal/secrets.json (mode 0600)."""

    secret_key: str
    ckan_db_password: str
    datastore_ro_password: str
    admin_password: str

    @classmethod
    def load_or_create(cls, settings: Settings) -> Secrets:
        path = settings.home / "secrets.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        # token_urlsafe never yields '%' or '$', which ckan.ini interpolation would mangle
        made = cls(*(secrets.token_urlsafe(24) for _ in range(4)))
        write_private(path, json.dumps(made.__dict__, indent=2))
        return made


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (created 0600, never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    path.chmod(0o600)

"""CKAN itself: its virtualenv, ckan.ini, database set-up, admin token and the web process."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .postgres import CKAN_DB, CKAN_USER, DATASTORE_DB, DATASTORE_RO_USER, Postgres
from .procs import read_pid, run, start_service, stop_pid
from .settings import PORTAL_SRC, REPO_ROOT, PortalError, Secrets, Settings, write_private

ADMIN_USER = "ogp_admin"
EXTENSION_DIR = PORTAL_SRC / "ckanext-pgsearch"
THEME_DIR = PORTAL_SRC / "theme"  # templates and static files (extra_template_paths)
AGENCIES_CSV = REPO_ROOT / "datasets" / "agencies" / "agencies.csv"
REPORT_INPUTS = REPO_ROOT / "datasets" / "ogp" / "inputs.yaml"
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12))  # CKAN 2.12's supported interpreters
# the portal is on 127.0.0.1: never send its requests (or the token) through an http_proxy
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def featured_organizations() -> list[str]:
    """The registry's agencies, then the readiness report's organization: the home page lists
    these first (ckan.featured_orgs). Read with the standard library (no YAML parser here)."""
    names: list[str] = []
    if AGENCIES_CSV.exists():
        with AGENCIES_CSV.open(encoding="utf-8", newline="") as fh:
            names = [row["agency_code"].strip() for row in csv.DictReader(fh)]
    if REPORT_INPUTS.exists():
        block = REPORT_INPUTS.read_text(encoding="utf-8").partition("\npublication:")[2]
        found = re.search(r"^\s+organization:\s*([a-z0-9_-]+)\s*$", block, re.MULTILINE)
        if found:
            names.append(found.group(1))
    return [name for name in dict.fromkeys(names) if re.fullmatch(r"[a-z0-9_-]{2,100}", name)]


def config_fingerprint(ini_text: str) -> str:
    """What CKAN reads only when it starts: the rendered ckan.ini, the dataset schema and the
    theme (Jinja caches templates while debug is off). A change to any of them means that a
    running CKAN must be restarted to show it."""
    digest = hashlib.sha256(ini_text.encode("utf-8"))
    files = [("schemas/dataset.yaml", PORTAL_SRC / "schemas" / "dataset.yaml")]
    files += [
        (f"theme/{path.relative_to(THEME_DIR)}", path)
        for path in sorted(THEME_DIR.rglob("*"))
        if path.is_file()
    ]
    for name, path in files:
        digest.update(b"\0" + name.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Ckan:
    settings: Settings

    @property
    def exe(self) -> str:
        return str(self.settings.bin / "ckan")

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / "ckan.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.log_dir / "ckan.log"

    # -- virtualenv -------------------------------------------------------------------------
    def requirements_hash(self) -> str:
        digest = hashlib.sha256(sys.version.encode())
        for name in ("requirements.txt", "constraints.txt"):
            digest.update((PORTAL_SRC / name).read_bytes())
        digest.update((EXTENSION_DIR / "pyproject.toml").read_bytes())
        return digest.hexdigest()

    def ensure_venv(self, log: Path) -> bool:
        """Create/refresh .portal/venv when the pinned requirements changed. True if it did."""
        stamp = self.settings.venv / "ogp-requirements.sha256"  # travels with the venv
        wanted = self.requirements_hash()
        if stamp.exists() and stamp.read_text().strip() == wanted and Path(self.exe).exists():
            return False
        if sys.version_info[:2] not in SUPPORTED_PYTHONS:
            raise PortalError(
                f"CKAN 2.12 needs Python 3.10-3.12; this is {sys.version.split()[0]}"
                "\n  fix: run portalctl with python3.11"
            )
        print(
            "portal: installing CKAN 2.12 into .portal/venv (first run takes a few minutes)",
            flush=True,
        )
        venv = self.settings.venv
        if not (venv / "bin" / "python").exists():
            run([sys.executable, "-m", "venv", str(venv)], what="python -m venv", log=log)
        pip = [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
        ]
        run([*pip, "--upgrade", "pip", "setuptools", "wheel"], what="pip (tools)", log=log)
        run(
            [
                *pip,
                "-r",
                str(PORTAL_SRC / "requirements.txt"),
                "-c",
                str(PORTAL_SRC / "constraints.txt"),
            ],
            what="pip install CKAN",
            log=log,
            timeout=1800,
        )
        # editable: the search extension's code is read from portal/ on every CKAN start
        run(
            [*pip, "--no-deps", "-e", str(EXTENSION_DIR)],
            what="pip install ckanext-pgsearch",
            log=log,
        )
        stamp.write_text(wanted)
        return True

    # -- configuration ----------------------------------------------------------------------
    def render_ini(self, pg: Postgres, redis_url: str, secrets: Secrets) -> str:
        s = self.settings
        template = Template((PORTAL_SRC / "ckan.ini.tmpl").read_text(encoding="utf-8"))
        return template.substitute(
            SECRET_KEY=secrets.secret_key,
            SQLALCHEMY_URL=pg.url(CKAN_USER, secrets.ckan_db_password, CKAN_DB),
            DATASTORE_WRITE_URL=pg.url(CKAN_USER, secrets.ckan_db_password, DATASTORE_DB),
            DATASTORE_READ_URL=pg.url(
                DATASTORE_RO_USER, secrets.datastore_ro_password, DATASTORE_DB
            ),
            SITE_URL=s.url,
            REDIS_URL=redis_url,
            STORAGE_PATH=str(s.storage),
            # scheming loads schemas from "module:path" or from a URL
            DATASET_SCHEMA=(PORTAL_SRC / "schemas" / "dataset.yaml").as_uri(),
            THEME_DIR=str(THEME_DIR),
            FEATURED_ORGS=" ".join(featured_organizations()),
            XLOADER_PLUGIN="xloader" if s.xloader else "",
            # xloader's own tables (jobs and their logs) live in CKAN's database
            XLOADER_JOBS_DB=pg.url(CKAN_USER, secrets.ckan_db_password, CKAN_DB),
            XLOADER_API_TOKEN=self.xloader_token() or "NOT_SET",
        )

    def write_ini(self, pg: Postgres, redis_url: str, secrets: Secrets) -> str:
        """Render ckan.ini; returns the fingerprint of what CKAN must run with."""
        text = self.render_ini(pg, redis_url, secrets)
        write_private(self.settings.ckan_ini, text)  # it holds the database passwords
        return config_fingerprint(text)

    # -- which configuration the running CKAN has -------------------------------------------
    @property
    def config_stamp(self) -> Path:
        """Fingerprint of the configuration the running CKAN was started with."""
        return self.settings.run_dir / "ckan.config.sha256"

    def runs_config(self, fingerprint: str) -> bool:
        """Whether the running CKAN was started with this configuration. A CKAN started by
        an older portalctl has no stamp: it runs an unknown configuration, so False."""
        try:
            return self.config_stamp.read_text().strip() == fingerprint
        except OSError:
            return False

    def cli(self, *args: str, what: str, log: Path, input_text: str | None = None) -> str:
        return run(
            [self.exe, "-c", str(self.settings.ckan_ini), *args],
            what=what,
            log=log,
            input_text=input_text,
            cwd=self.settings.home,
        )

    # -- database and admin -----------------------------------------------------------------
    def init_database(self, pg: Postgres, secrets: Secrets, log: Path) -> None:
        """Create CKAN's tables, plugin tables and DataStore permissions (idempotent)."""
        self.cli("db", "init", what="ckan db init", log=log)
        # plugin migrations (activity, ...) are applied by `db upgrade`, not by `db init`
        self.cli("db", "upgrade", what="ckan db upgrade", log=log)
        perms = self.cli(
            "datastore", "set-permissions", what="ckan datastore set-permissions", log=log
        )
        pg.psql(perms, db=DATASTORE_DB, what="DataStore permissions")
        users = self.cli("user", "list", what="ckan user list", log=log)
        if f"name={ADMIN_USER}" not in users:
            self.cli(
                "user",
                "add",
                ADMIN_USER,
                f"email={ADMIN_USER}@example.org",
                f"password={secrets.admin_password}",
                what="ckan user add",
                log=log,
            )
        self.cli("sysadmin", "add", ADMIN_USER, what="ckan sysadmin add", log=log)

    def create_token(
        self, log: Path, path: Path | None = None, name: str = "ogp-portalctl"
    ) -> None:
        """A fresh API token for the sysadmin, written 0600 and never printed or logged."""
        out = run(
            [
                self.exe,
                "-c",
                str(self.settings.ckan_ini),
                "user",
                "token",
                "add",
                ADMIN_USER,
                name,
            ],
            what="ckan user token add",
            cwd=self.settings.home,
        )  # no log=: the output is the secret
        lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
        if not lines:
            raise PortalError("ckan user token add printed no token")
        write_private(path or self.settings.token_file, lines[-1] + "\n")

    def xloader_token(self) -> str | None:
        """The token xloader's jobs use (.portal/xloader_token), None before it is made."""
        try:
            return self.settings.xloader_token_file.read_text().strip() or None
        except OSError:
            return None

    def token_works(self, path: Path | None = None) -> bool:
        try:
            token = (path or self.settings.token_file).read_text().strip()
        except OSError:
            return False
        req = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 URL
            f"{self.settings.url}/api/3/action/user_show?id={ADMIN_USER}",
            headers={"Authorization": token},
        )
        try:
            with _LOCAL.open(req, timeout=10) as resp:
                return bool(json.load(resp).get("result", {}).get("sysadmin"))
        except (urllib.error.URLError, OSError, ValueError):
            return False

    # -- web process ------------------------------------------------------------------------
    def pid(self) -> int | None:
        return read_pid(self.pid_file, must_contain=str(self.settings.ckan_ini))

    def version(self) -> str | None:
        """ckan_version from status_show, or None when CKAN does not answer."""
        try:
            with _LOCAL.open(f"{self.settings.url}/api/3/action/status_show", timeout=5) as resp:
                return str(json.load(resp)["result"]["ckan_version"])
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            return None

    def healthy(self) -> bool:
        return (self.version() or "").startswith("2.12")

    def start(self, fingerprint: str) -> None:
        s = self.settings
        self.config_stamp.unlink(missing_ok=True)
        # -r: no reloader, -D: no debugger (both would fork or expose a console); -t threads
        start_service(
            [
                self.exe,
                "-c",
                str(s.ckan_ini),
                "run",
                "-H",
                "127.0.0.1",
                "-p",
                str(s.ckan_port),
                "-r",
                "-D",
                "-t",
            ],
            what="CKAN",
            log_file=self.log_file,
            pid_file=self.pid_file,
            cwd=s.home,
            ready=lambda _pid: self.healthy(),
            timeout=180,
        )
        self.config_stamp.write_text(f"{fingerprint}\n")

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            stop_pid(pid, name="CKAN", group=True)  # its own session: stop the whole group
        self.pid_file.unlink(missing_ok=True)
        self.config_stamp.unlink(missing_ok=True)

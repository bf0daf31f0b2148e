"""Fixtures for tests against the real local CKAN portal (portal/portalctl.py).

The portal is brought up once per test session (a no-op taking well under a second when it is
already running) and left running afterwards, so that repeated runs and parallel workers share
it; `python3 portal/portalctl.py down` stops it. Every test names what it creates with a
per-run suffix, so the tests can run again and again against a long-lived portal.

Markers: a test using the portal, browser or sandbox fixtures is marked portal, browser or slow
here; `make test` runs every test in parallel (pytest-xdist, `--dist loadgroup`), each with
data/, build/ and the Dagster home of its own, then the ones marked exclusive alone. A fixture
set up once per session or module is set up once per *worker*: the tests sharing an expensive
one are put in one xdist group here, so one worker runs them and the fixture runs once.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PORTALCTL = REPO_ROOT / "portal" / "portalctl.py"


@dataclass(frozen=True)
class Portal:
    url: str
    token_file: Path
    env: dict[str, object]

    @property
    def token(self) -> str:
        return self.token_file.read_text().strip()

    def api(self) -> ckanapi.RemoteCKAN:
        """ckanapi client authenticated as the portal's sysadmin."""
        return ckanapi.RemoteCKAN(self.url, apikey=self.token, user_agent="ogp-tests/1")

    def anonymous(self) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, user_agent="ogp-tests/1")


def portal_home() -> Path:
    return Path(os.environ.get("OGP_PORTAL_DIR") or REPO_ROOT / ".portal")


# What a test needs, read from the fixtures it uses (their whole closure, so a fixture built on
# `ckan_portal` counts too). Tests that need something no fixture shows carry an explicit mark.
PORTAL_FIXTURES = frozenset({"ckan_portal"})
BROWSER_FIXTURES = frozenset({"browser"})
# whole pipeline runs (`ogp run`, a daemon) in a sandbox catalog: tests/deploy/sandbox.py
SLOW_FIXTURES = frozenset({"sandboxes", "sandbox", "scenario", "demo_catalog"})
MARKS_FROM_FIXTURES = {
    "portal": PORTAL_FIXTURES,
    "browser": BROWSER_FIXTURES,
    "slow": SLOW_FIXTURES,
}


def needed_marks(fixturenames: list[str] | tuple[str, ...]) -> set[str]:
    """The markers a test using these fixtures must carry."""
    used = set(fixturenames)
    return {mark for mark, fixtures in MARKS_FROM_FIXTURES.items() if used & fixtures}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with portal / browser / slow from the fixtures it uses, and put the slow
    ones (whole pipeline runs, 10-60 s each) first, so parallel workers start on them and the
    suite does not end waiting for one of them."""
    for item in items:
        have = {mark.name for mark in item.iter_markers()}
        for mark in sorted(needed_marks(getattr(item, "fixturenames", ())) - have):
            item.add_marker(getattr(pytest.mark, mark))
        group = xdist_group(item)
        if group and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Session fixtures that run whole pipelines (minutes each): their users share one worker.
SHARED_RUN_GROUPS = {"demo_catalog": "demo-catalog", "scenario": "run-scenario"}
DEMO_CATALOG_GROUP = SHARED_RUN_GROUPS["demo_catalog"]


def xdist_group(item: pytest.Item) -> str | None:
    """The group a test must run in: the shared run it uses, else its module when it uses a
    fixture of module scope (set up once per worker otherwise: e.g. a demo run of the flags)."""
    used = set(getattr(item, "fixturenames", ()))
    for fixture, group in SHARED_RUN_GROUPS.items():
        if fixture in used:
            return group
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    if any(defs and defs[-1].scope == "module" for defs in definitions.values()):
        return item.nodeid.split("::", 1)[0]
    return None


# The folders a run writes by default (in the checkout, shared with `make demo` and every other
# test process), and where a unit test writes them instead unless it names its own.
SHARED_FOLDERS = {"OGP_DATA_DIR": "data", "OGP_BUILD_DIR": "build", "DAGSTER_HOME": "dagster_home"}


@pytest.fixture(autouse=True)
def tests_write_no_shared_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Tests run in parallel: each gets data/, build/ (with data/locks) and the Dagster home
    in a folder of its own, so two workers never write the same file and no test writes the
    demo's. A test (or sandbox) that names its own folders keeps them."""
    from pipelines.settings import get_settings

    root = tmp_path_factory.mktemp("shared-folders")
    for variable, folder in SHARED_FOLDERS.items():
        if variable not in os.environ:
            monkeypatch.setenv(variable, str(root / folder))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def ckan_portal() -> Portal:
    proc = subprocess.run(
        [sys.executable, str(PORTALCTL), "up"], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        pytest.fail(f"portalctl up failed:\n{proc.stdout}\n{proc.stderr}")
    env = json.loads((portal_home() / "env.json").read_text())
    return Portal(url=str(env["url"]), token_file=Path(str(env["api_token_file"])), env=env)


@pytest.fixture(scope="session")
def run_id() -> str:
    """A short suffix unique to this test session (CKAN names: lowercase, digits, '-')."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def ckan(ckan_portal: Portal) -> ckanapi.RemoteCKAN:
    return ckan_portal.api()


@pytest.fixture(scope="session")
def created(ckan: ckanapi.RemoteCKAN) -> Iterator[list[tuple[str, str]]]:
    """Register ("dataset"|"organization"|"group", name) to purge at the end of the session,
    so test runs leave the shared portal as they found it (OGP_TEST_KEEP=1 keeps them)."""
    items: list[tuple[str, str]] = []
    yield items
    if os.environ.get("OGP_TEST_KEEP"):
        return
    # datasets first: an organization cannot be purged while it still owns datasets
    order = {"dataset": 0, "group": 1, "organization": 2}
    for kind, name in sorted(items, key=lambda item: order[item[0]]):
        with contextlib.suppress(ckanapi.NotFound):
            ckan.call_action(f"{kind}_purge", {"id": name})


@pytest.fixture(scope="session")
def anon(ckan_portal: Portal) -> ckanapi.RemoteCKAN:
    return ckan_portal.anonymous()


@pytest.fixture
def service_dir() -> Iterator[Path]:
    """A temporary folder the postgres service user can enter (pytest's own tmp folders are
    private to root, and PostgreSQL refuses to run as root)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="ogp-service-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def ocds_schema_dir() -> Path:
    # CI names a local copy (no network); elsewhere the pipeline's own download and cache
    if "OGP_OCDS_SCHEMA_DIR" in os.environ:
        directory = Path(os.environ["OGP_OCDS_SCHEMA_DIR"])
    else:
        from pipelines.integrity.ocds_schema import OcdsSchemaError, schema_directory

        try:
            directory = schema_directory()
        except OcdsSchemaError as error:
            raise FileNotFoundError(
                f"the OCDS 1.1.5 schema is not available ({error}); set OGP_OCDS_SCHEMA_DIR to a "
                "folder holding release-schema.json (see the README)"
            ) from None
    if not (directory / "release-schema.json").is_file():
        raise FileNotFoundError(
            f"the OCDS 1.1.5 schema copy is missing at {directory}; "
            "set OGP_OCDS_SCHEMA_DIR to a folder holding release-schema.json (see the README)"
        )
    return directory


# The demo catalog as `make demo` publishes it, under test names: one `ogp run` per session,
# shared by the modules that read it (they carry xdist_group(DEMO_CATALOG_GROUP), so one
# worker runs them all and the run happens once; DEMO_CATALOG_GROUP, above).


@pytest.fixture(scope="session")
def demo_catalog(
    tmp_path_factory: pytest.TempPathFactory,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[Any]:
    """(sandbox, result) of one `ogp run` of every demo agency's drops, every family, sent by
    test agencies t<run_id>dc<code> (tests/deploy/sandbox.py); purged at the end."""
    from pipelines.contracts import load_agencies
    from tests.deploy.sandbox import DemoCatalog, make_sandbox, on_portal, run

    demo = [agency.agency_code for agency in load_agencies(REPO_ROOT / "datasets")]
    root = tmp_path_factory.mktemp("demo-catalog")
    made = make_sandbox(root / "box", f"{run_id}dc", 0, ocds_schema_dir, demo_agencies=demo)
    with on_portal(ckan, ckan_portal.token_file.parent, made) as sandbox:
        yield DemoCatalog(sandbox, run(sandbox, "demo-catalog"))


CHROMIUM = Path("/usr/bin/chromium")  # Debian's (apt: chromium fonts-thai-tlwg); never downloaded
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # this machine's network is closed: without these Chromium retries Google's hosts forever
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright. Missing Chromium fails, never skips:
    `make test` installs it, and the page tests are the proof the public sees the data."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file(), "Chromium is missing: apt-get install chromium fonts-thai-tlwg"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()

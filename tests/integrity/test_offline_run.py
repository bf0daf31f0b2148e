"""Offline is a normal condition: the demo catalog run as `ogp run` (a sandbox of test agencies,
tests/deploy/sandbox.py) with the OCDS schema unreachable and no OGP_OCDS_SCHEMA_DIR publishes
every family of every agency; only the OCDS package is withheld, with its reason on the dataset
page. An unchanged offline re-run, failing for another cause (HTTP 500 instead of a refused
connection), changes nothing on the portal: the public text names neither cause nor URL. The
first run with the schema publishes the package and removes the note; going offline again
removes the package published by that earlier run (it would describe older data) and brings the
note back.

Four `ogp run`s against the real local portal (two agencies, then one at a time where one is
enough); every dataset and organization is purged afterwards.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import dagster as dg
import pytest
import requests

from pipelines.settings import REPO_ROOT
from tests.conftest import Portal
from tests.deploy.sandbox import (
    BIN,
    FAMILIES,
    Sandbox,
    child_env,
    instance,
    make_sandbox,
    on_portal,
)

pytestmark = [pytest.mark.portal, pytest.mark.timeout(2400)]

UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens, connecting is refused
OCDS = "ocds-release-package.json"
WITHHELD_EN = f"{OCDS} is withheld from this version"
WITHHELD_TH = f"ยังไม่เผยแพร่ {OCDS}"
REASON = f"the OCDS 1.1.5 schema could not be downloaded from {UNREACHABLE}"
PUBLIC = "the official OCDS 1.1.5 schema could not be obtained when this dataset was published"
RUN_TIMEOUT_S = 1200  # a hang guard for one `ogp run`, not a timing assertion


@pytest.fixture
def sandbox(
    tmp_path: Path,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[Sandbox]:
    made = make_sandbox(tmp_path / "offline", f"{run_id}off", 2, ocds_schema_dir)
    with on_portal(ckan, ckan_portal.token_file.parent, made) as on:
        yield on


def ogp_run(
    sandbox: Sandbox, log: Path, *agencies: str, online: bool, url: str = UNREACHABLE
) -> None:
    """`ogp run` in the sandbox, the schema folder given (online) or absent with the download
    pointed at ``url`` (offline); it must end with exit code 0 either way."""
    env = child_env(sandbox)
    if not online:
        env.pop("OGP_OCDS_SCHEMA_DIR", None)
        env["OGP_OCDS_SCHEMA_URL"] = url
    argv = [str(BIN / "ogp"), "run"]
    for agency in agencies:
        argv += ["--agency", agency]
    with log.open("wb") as out:
        done = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    console = log.read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, f"ogp run exited {done.returncode}:\n{console[-4000:]}"


@contextlib.contextmanager
def failing_server() -> Iterator[str]:
    """A schema URL whose server answers HTTP 500 (an outage of another kind than refused)."""

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(500)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/schema/1__1__5/"
    finally:
        server.shutdown()
        server.server_close()


def datasets(ckan: ckanapi.RemoteCKAN, agency: str) -> dict[str, dict[str, Any]]:
    return {family: ckan.action.package_show(id=f"{agency}-{family}") for family in FAMILIES}


def ocds_status(sandbox: Sandbox, agency: str) -> dict[str, str]:
    """The text metadata of the latest procurement_ocds materialization of the agency."""
    with instance(sandbox) as dagster:
        records = dagster.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("procurement_ocds"), asset_partitions=[agency]
            ),
            limit=1,
        ).records
    assert records, f"procurement_ocds of {agency} was not materialized"
    materialization = records[0].asset_materialization
    assert materialization is not None
    return {
        key: str(value.value)
        for key, value in materialization.metadata.items()
        if key in {"status", "reason"}
    }


def assert_withheld(
    ckan: ckanapi.RemoteCKAN, portal: Portal, sandbox: Sandbox, agency: str
) -> None:
    published = datasets(ckan, agency)
    for family, package in published.items():
        assert not package["private"], f"{agency}-{family} is not public"
        csvs = [r for r in package["resources"] if r["name"].startswith(f"{family}")]
        assert csvs, f"{agency}-{family} has no data resource"
        assert all(r.get("datastore_active") for r in csvs if r["format"] == "CSV")
    procurement = published["procurement"]
    names = [r["name"] for r in procurement["resources"]]
    assert OCDS not in names
    for name in ("red-flags.csv", "datapackage.json", "validation-report.json"):
        assert name in names
    descriptor = requests.get(
        next(r["url"] for r in procurement["resources"] if r["name"] == "datapackage.json"),
        timeout=60,
    ).json()
    described = [json.dumps(resource) for resource in descriptor["resources"]]
    assert [d for d in described if OCDS in d] == []
    assert any("red-flags.csv" in d for d in described)
    assert WITHHELD_EN in descriptor["description"]
    assert WITHHELD_TH in procurement["notes"]
    assert WITHHELD_EN in procurement["notes_en"]
    assert PUBLIC in procurement["notes_en"]
    page = requests.get(f"{portal.url}/dataset/{agency}-procurement", timeout=60)
    assert page.status_code == 200
    assert WITHHELD_TH in page.text
    assert PUBLIC in page.text
    for public in (descriptor["description"], procurement["notes"], procurement["notes_en"]):
        assert UNREACHABLE not in public, "the public text names no URL"
        assert "no network" not in public, "nor the cause"
    for family in ("decisions", "budget"):
        assert WITHHELD_EN not in published[family]["notes_en"]
    status = ocds_status(sandbox, agency)
    assert status["status"] == "withheld"
    assert status["reason"].startswith(REASON)
    assert "OGP_OCDS_SCHEMA_DIR" in status["reason"]
    folder = Path(sandbox.env["OGP_DATA_DIR"]) / "integrity" / "procurement" / agency
    assert not (folder / "ocds_release_package.json").exists()


def assert_package_published(
    ckan: ckanapi.RemoteCKAN, portal: Portal, sandbox: Sandbox, agency: str
) -> None:
    procurement = ckan.action.package_show(id=f"{agency}-procurement")
    ocds = next((r for r in procurement["resources"] if r["name"] == OCDS), None)
    assert ocds is not None, f"{agency}-procurement has no OCDS package"
    package = requests.get(ocds["url"], timeout=60).json()
    assert package["releases"]
    assert WITHHELD_EN not in procurement["notes"]
    assert WITHHELD_EN not in procurement["notes_en"]
    page = requests.get(f"{portal.url}/dataset/{agency}-procurement", timeout=60)
    assert WITHHELD_TH not in page.text
    assert ocds_status(sandbox, agency) == {"status": "published"}


def test_offline_run_withholds_only_the_ocds_package_until_the_schema_is_there(
    sandbox: Sandbox, ckan: ckanapi.RemoteCKAN, ckan_portal: Portal, tmp_path: Path
) -> None:
    first, second = sandbox.agencies

    # (a) offline, nothing published before: every family published, the package withheld
    ogp_run(sandbox, tmp_path / "offline.log", online=False)
    for agency in sandbox.agencies:
        assert_withheld(ckan, ckan_portal, sandbox, agency)

    # an unchanged offline re-run, the schema failing for another cause, changes nothing
    before = {f: p["metadata_modified"] for f, p in datasets(ckan, first).items()}
    with failing_server() as broken:
        ogp_run(sandbox, tmp_path / "offline-again.log", first, online=False, url=broken)
    assert f"(HTTP 500 from {broken}release-schema.json)" in ocds_status(sandbox, first)["reason"]
    assert {f: p["metadata_modified"] for f, p in datasets(ckan, first).items()} == before

    # (b) the schema is available: the package is published, the note removed
    ogp_run(sandbox, tmp_path / "online.log", online=True)
    for agency in sandbox.agencies:
        assert_package_published(ckan, ckan_portal, sandbox, agency)

    # offline again: the package of the earlier run leaves the dataset, the note comes back
    ogp_run(sandbox, tmp_path / "offline-later.log", second, online=False)
    assert_withheld(ckan, ckan_portal, sandbox, second)
    assert_package_published(ckan, ckan_portal, sandbox, first)

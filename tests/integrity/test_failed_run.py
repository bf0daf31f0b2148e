"""A derived file that fails never costs its family the publication: `ogp run` in a sandbox of
one test agency (tests/deploy/sandbox.py) with OGP_OCDS_SCHEMA_DIR set to an empty folder
publishes the procurement data (CSV with its DataStore table, datapackage.json, report, red
flags) without the OCDS package; the dataset page says the package could not be produced for
this publication (and not why), procurement_ocds materialized with status "failed" and its check
``ocds_package_valid`` failed with the reason. The next run with the schema publishes the
package and removes the note.

Two `ogp run`s against the real local portal; every dataset and organization is purged after.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import dagster as dg
import pytest
import requests

from pipelines.integrity.partition import NOT_PRODUCED
from pipelines.settings import REPO_ROOT
from tests.conftest import Portal
from tests.deploy.sandbox import BIN, Sandbox, child_env, instance, make_sandbox, on_portal
from tests.integrity.test_offline_run import (
    OCDS,
    RUN_TIMEOUT_S,
    WITHHELD_EN,
    WITHHELD_TH,
    assert_package_published,
    ocds_status,
)

pytestmark = [pytest.mark.portal, pytest.mark.timeout(1800)]


@pytest.fixture
def sandbox(
    tmp_path: Path,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[Sandbox]:
    made = make_sandbox(tmp_path / "failed", f"{run_id}fail", 1, ocds_schema_dir)
    with on_portal(ckan, ckan_portal.token_file.parent, made) as on:
        yield on


def ogp_run(sandbox: Sandbox, log: Path, schema_dir: Path) -> int:
    """`ogp run` in the sandbox with OGP_OCDS_SCHEMA_DIR=``schema_dir``; its exit code."""
    env = child_env(sandbox)
    env["OGP_OCDS_SCHEMA_DIR"] = str(schema_dir)
    with log.open("wb") as out:
        done = subprocess.run(
            [str(BIN / "ogp"), "run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    return done.returncode


def ocds_check(sandbox: Sandbox, agency: str) -> dg.AssetCheckEvaluation:
    """The latest evaluation of ``ocds_package_valid`` for the agency's partition."""
    key = dg.AssetCheckKey(dg.AssetKey("procurement_ocds"), "ocds_package_valid")
    with instance(sandbox) as dagster:
        records = dagster.event_log_storage.get_asset_check_execution_history(key, limit=5)
    evaluations = [
        record.event.dagster_event.event_specific_data
        for record in records
        if record.partition == agency
        and record.event is not None
        and record.event.dagster_event is not None
    ]
    done = [e for e in evaluations if isinstance(e, dg.AssetCheckEvaluation)]
    assert done, f"ocds_package_valid of {agency} was not evaluated"
    return done[0]


def test_an_unusable_schema_folder_costs_the_family_only_its_package(
    sandbox: Sandbox,
    ckan: ckanapi.RemoteCKAN,
    ckan_portal: Portal,
    ocds_schema_dir: Path,
    tmp_path: Path,
) -> None:
    (agency,) = sandbox.agencies
    empty = tmp_path / "empty-schema"
    empty.mkdir()

    code = ogp_run(sandbox, tmp_path / "failed.log", empty)
    console = (tmp_path / "failed.log").read_text(encoding="utf-8", errors="replace")
    # a step failed: exit 1 and the summary says which, with its cause, while the data is published
    assert code == 1, f"ogp run exited {code}:\n{console[-4000:]}"
    ocds_rows = [line for line in console.splitlines() if "OCDS package" in line]
    assert ocds_rows, console[-4000:]
    assert "failed" in ocds_rows[0], console[-4000:]

    procurement = ckan.action.package_show(id=f"{agency}-procurement")
    assert not procurement["private"]
    names = [r["name"] for r in procurement["resources"]]
    assert OCDS not in names, console[-4000:]
    for name in ("red-flags.csv", "datapackage.json", "validation-report.json"):
        assert name in names, f"{name} missing (exit {code}):\n{console[-4000:]}"
    csvs = [r for r in procurement["resources"] if r["format"] == "CSV" and "fy" in r["name"]]
    assert csvs
    assert all(r.get("datastore_active") for r in csvs)
    descriptor = requests.get(
        next(r["url"] for r in procurement["resources"] if r["name"] == "datapackage.json"),
        timeout=60,
    ).json()
    assert [r for r in descriptor["resources"] if OCDS in json.dumps(r)] == []
    assert WITHHELD_TH in procurement["notes"]
    assert WITHHELD_EN in procurement["notes_en"]
    assert NOT_PRODUCED.reason in procurement["notes_en"]
    assert NOT_PRODUCED.reason_th in procurement["notes"]
    page = requests.get(f"{ckan_portal.url}/dataset/{agency}-procurement", timeout=60)
    assert page.status_code == 200
    assert NOT_PRODUCED.reason in page.text
    for public in (procurement["notes"], procurement["notes_en"], descriptor["description"]):
        assert str(empty) not in public, "the cause stays off the public text"
        assert "unusable" not in public

    status = ocds_status(sandbox, agency)
    assert status["status"] == "failed"
    assert status["reason"].startswith("the OCDS schema is unusable: ")
    assert str(empty) in status["reason"]
    check = ocds_check(sandbox, agency)
    assert not check.passed
    assert check.severity is dg.AssetCheckSeverity.ERROR
    assert check.description == status["reason"]

    # the schema is there again: the package is published, the note gone
    code = ogp_run(sandbox, tmp_path / "good.log", ocds_schema_dir)
    good = (tmp_path / "good.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, f"ogp run exited {code}:\n{good[-4000:]}"
    assert_package_published(ckan, ckan_portal, sandbox, agency)
    assert ocds_check(sandbox, agency).passed

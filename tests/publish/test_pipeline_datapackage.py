"""The whole pipeline (``ogp run``, as ``make demo`` runs it) publishes the demo catalog, every
family including the ones added as data only, with datapackage.json files that ``frictionless
validate <portal URL>`` finds VALID; a second run over the same drops uploads none of them again.

The ``demo_catalog`` fixture (tests/conftest.py) gives each of the 7 demo agencies' drops to a
test agency of its own name, so this proves what a demo run publishes (the demo catalog under
test names) without touching the demo catalog: CI never runs the demo.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import ckanapi
import frictionless
import pytest
import requests

from pipelines.contracts import load_agencies
from pipelines.publish.datapackage import DATAPACKAGE_NAME
from pipelines.settings import REPO_ROOT
from tests.conftest import DEMO_CATALOG_GROUP, Portal
from tests.deploy.sandbox import FAMILIES, DemoCatalog, Sandbox, ogp_run, stop

pytestmark = [
    pytest.mark.portal,
    pytest.mark.timeout(2400),
    pytest.mark.xdist_group(DEMO_CATALOG_GROUP),
]

# What a demo run's checks block (nothing is published for them); every other generated
# partition is. The data-only families are sent by a few agencies only (datasets/drops/README.md).
BLOCKED = {("dla", "decisions"), ("doh", "budget")}
DATA_ONLY_SENT = {
    ("cgd", "asset_declarations"),
    ("rid", "asset_declarations"),
    ("cgd", "forum_meetings"),
    ("obec", "forum_meetings"),
}


def rerun(sandbox: Sandbox, log: Path, *agencies: str) -> None:
    process = ogp_run(sandbox, log, *agencies)
    try:
        code = process.wait(1200)  # a hang guard
    except subprocess.TimeoutExpired:
        code = None
    finally:
        stop(process)
    assert code == 0, log.read_text(errors="replace")[-3000:]


def descriptors(anon: ckanapi.RemoteCKAN, sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """Each published dataset's datapackage.json resource, by (demo agency, family)."""
    found = {}
    for agency in sandbox.agencies:
        for family in sandbox.families:
            try:
                package = anon.action.package_show(id=f"{agency}-{family}")
            except ckanapi.NotFound:
                continue
            entry = next(r for r in package["resources"] if r["name"] == DATAPACKAGE_NAME)
            found[f"{sandbox.demo_agency_of(agency)}-{family}"] = entry
    return found


def test_the_demo_catalog_published_by_a_pipeline_run_validates_from_the_portal_and_rerun_keeps_it(
    demo_catalog: DemoCatalog, ckan_portal: Portal, anon: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    sandbox = demo_catalog.sandbox
    demo = [agency.agency_code for agency in load_agencies(REPO_ROOT / "datasets")]
    assert demo == ["cgd", "pcd", "dla", "rid", "fda", "doh", "obec"]
    assert sorted(sandbox.origin.values()) == sorted(demo)
    assert {"asset_declarations", "forum_meetings"} <= set(sandbox.families)
    assert demo_catalog.result.code == 0, demo_catalog.result.console[-4000:]

    first = descriptors(anon, sandbox)
    every_agency_sends = (*FAMILIES, "procurement_bids")  # the families bench/generate.py writes
    generated = {
        (code, family)
        for code in demo
        for family in every_agency_sends
        if (code, family) not in BLOCKED
    }
    expected = {f"{code}-{family}" for code, family in generated | DATA_ONLY_SENT}
    summary = demo_catalog.result.console[-4000:]
    assert (sorted(expected - set(first)), sorted(set(first) - expected)) == ([], []), summary
    assert len(first) == 30  # 26 of the 28 generated demo datasets, and 4 sent as data only
    invalid = {}
    for name, entry in first.items():
        report = frictionless.validate(entry["url"])  # as the public runs it: the URL only
        if not report.valid:
            invalid[name] = report.flatten(["type", "note"])[:3]
    assert invalid == {}
    for name, entry in first.items():
        if name.endswith("-procurement"):
            stated = json.loads(requests.get(entry["url"], timeout=60).content)
            paths = [resource["path"] for resource in stated["resources"]]
            assert any(path.endswith("/ocds-release-package.json") for path in paths), name
            assert all(path.startswith(f"{ckan_portal.url}/dataset/") for path in paths)

    # The rerun: one agency whose drops are CSV and one whose drops are XLSX (each agency's run
    # is the same steps; two keep the whole-catalog run above the only slow part).
    again_for = {code: demo for code, demo in sandbox.origin.items() if demo in ("cgd", "pcd")}
    rerun(sandbox, tmp_path / "second.log", *again_for)

    again = descriptors(anon, sandbox)
    keep = ("id", "content_hash", "last_modified", "metadata_modified")
    assert {n: [e[k] for k in keep] for n, e in again.items()} == {
        n: [e[k] for k in keep] for n, e in first.items()
    }
    assert {name.split("-")[0] for name in again} >= set(again_for.values())

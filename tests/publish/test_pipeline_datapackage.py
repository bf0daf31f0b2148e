"""The whole pipeline (``ogp run``, as ``make demo`` runs it) publishes datapackage.json files that
``frictionless validate <portal URL>`` finds VALID, and a second run over the same drops uploads
none of them again.

A sandbox (tests/deploy/sandbox.py) gives one test agency the demo agency's drops under its own
name, so this proves what a demo run publishes without touching the demo catalog.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import frictionless
import pytest
import requests

from pipelines.publish.datapackage import DATAPACKAGE_NAME
from tests.conftest import Portal
from tests.deploy.sandbox import Sandbox, make_sandbox, ogp_run, purge, stop

pytestmark = [pytest.mark.portal, pytest.mark.timeout(2400)]


@pytest.fixture
def sandbox(
    tmp_path: Path,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[Sandbox]:
    made = make_sandbox(tmp_path / "box", f"{run_id}dp", 1, ocds_schema_dir)
    made.env["OGP_PORTAL_DIR"] = str(ckan_portal.token_file.parent)
    yield made
    purge(ckan, made)


def run(sandbox: Sandbox, log: Path) -> None:
    process = ogp_run(sandbox, log)
    try:
        code = process.wait(1200)  # a hang guard
    except subprocess.TimeoutExpired:
        code = None
    finally:
        stop(process)
    assert code == 0, log.read_text(errors="replace")[-3000:]


def descriptors(anon: ckanapi.RemoteCKAN, sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """Each published dataset's datapackage.json resource, by dataset."""
    found = {}
    for name in sandbox.datasets():
        package = anon.action.package_show(id=name)
        found[name] = next(r for r in package["resources"] if r["name"] == DATAPACKAGE_NAME)
    return found


def test_a_pipeline_run_publishes_datapackages_valid_from_the_portal_and_rerun_keeps_them(
    sandbox: Sandbox, ckan_portal: Portal, anon: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    run(sandbox, tmp_path / "first.log")
    first = descriptors(anon, sandbox)
    assert sorted(first) == sorted(sandbox.datasets())  # decisions, procurement, budget
    for name, entry in first.items():
        report = frictionless.validate(entry["url"])
        assert report.valid, (name, report.flatten(["type", "note"])[:5])
    procurement = next(entry for name, entry in first.items() if name.endswith("-procurement"))
    stated = json.loads(requests.get(procurement["url"], timeout=60).content)
    paths = [resource["path"] for resource in stated["resources"]]
    assert any(path.endswith("/ocds-release-package.json") for path in paths)
    assert all(path.startswith(f"{ckan_portal.url}/dataset/") for path in paths)

    run(sandbox, tmp_path / "second.log")

    again = descriptors(anon, sandbox)
    keep = ("id", "content_hash", "last_modified", "metadata_modified")
    assert {n: [e[k] for k in keep] for n, e in again.items()} == {
        n: [e[k] for k in keep] for n, e in first.items()
    }

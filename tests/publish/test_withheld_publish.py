"""A derived resource withheld (the OCDS package while its schema is offline), against the real
local portal: an earlier copy is removed from the dataset, the page says why in Thai and English,
an unchanged re-run writes nothing, and the first run with the package puts it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from pipelines.contracts import load_spec
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.model import PublishRequest, ResourceFile
from pipelines.publish.receipt import PublishReceipt
from pipelines.publish.request import WITHHELD_KEY, ReportPaths, WithheldResource, build_request

from .publish_samples import procurement_table, sample_agency

pytestmark = pytest.mark.portal

OCDS = "ocds-release-package.json"
REASON = "the OCDS 1.1.5 schema could not be downloaded from http://127.0.0.1:9/ (no network)"
ENGLISH = f"{OCDS} is withheld from this version"
THAI = f"ยังไม่เผยแพร่ {OCDS}"


def request_for(agency: str, report: ReportPaths, *, withheld: bool) -> PublishRequest:
    spec = load_spec("procurement")
    derived = spec.derived_resources[0]
    assert derived.name == OCDS
    table = procurement_table({2024: 3})
    if withheld:
        item = WithheldResource(
            OCDS, derived.description.th, derived.description.en, REASON, "ออฟไลน์"
        )
        return build_request(spec, sample_agency(agency), table, report, withheld=[item])
    package = ResourceFile(
        name=OCDS,
        content=b'{"releases": [], "version": "1.1"}',
        format=derived.format,
        mimetype=derived.mimetype,
        description=f"{derived.description.th} / {derived.description.en}",
    )
    return build_request(spec, sample_agency(agency), table, report, extra_resources=[package])


def publish(portal: Any, request: PublishRequest, tmp_path: Path) -> PublishReceipt:
    publisher = CKANPublisher(url=portal.url)
    return publisher.publish([request], receipts_dir=tmp_path / "receipts")


def test_withheld_package_is_removed_explained_and_restored(
    ckan_portal, agency, report_files, tmp_path
):
    api, name = ckan_portal.api(), f"{agency}-procurement"
    publish(ckan_portal, request_for(agency, report_files, withheld=False), tmp_path)
    first = api.action.package_show(id=name)
    assert OCDS in [r["name"] for r in first["resources"]]
    ocds_id = next(r["id"] for r in first["resources"] if r["name"] == OCDS)

    receipt = publish(ckan_portal, request_for(agency, report_files, withheld=True), tmp_path)

    (dataset,) = receipt.datasets
    assert dataset.action == "update"
    assert ("removed-withheld", ocds_id) in [(r.action, r.id) for r in dataset.resources]
    assert dataset.stray_resources == []
    package = api.action.package_show(id=name)
    names = [r["name"] for r in package["resources"]]
    assert OCDS not in names
    assert names == [r["name"] for r in first["resources"] if r["name"] != OCDS]
    assert THAI in package["notes"]
    assert ENGLISH in package["notes"]
    assert ENGLISH in package["notes_en"]
    assert REASON in package["notes_en"]
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras[WITHHELD_KEY] == OCDS
    # What a visitor sees: the dataset page, anonymously.
    page = requests.get(f"{ckan_portal.url}/dataset/{name}", timeout=60)
    assert page.status_code == 200
    assert THAI in page.text
    assert "is withheld from this version" in page.text
    assert REASON in page.text

    # Unchanged re-run while still withheld: nothing is written.
    again = publish(ckan_portal, request_for(agency, report_files, withheld=True), tmp_path)
    assert again.datasets[0].action == "unchanged"
    assert again.bytes_uploaded == 0
    after = api.action.package_show(id=name)
    assert after["metadata_modified"] == package["metadata_modified"]

    # The first run with the package: published again, the paragraph and the extra gone.
    publish(ckan_portal, request_for(agency, report_files, withheld=False), tmp_path)
    restored = api.action.package_show(id=name)
    assert [r["name"] for r in restored["resources"]] == [r["name"] for r in first["resources"]]
    assert ENGLISH not in restored["notes"]
    assert ENGLISH not in restored["notes_en"]
    assert WITHHELD_KEY not in {e["key"] for e in restored["extras"]}

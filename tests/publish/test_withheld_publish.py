"""A derived resource withheld (the OCDS package while its schema is offline), against the real
local portal: an earlier copy is removed from the dataset, the page says why in Thai and English,
an unchanged re-run writes nothing, and the first run with the package puts it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from pipelines.contracts import load_spec
from pipelines.integrity.ocds_schema import OcdsSchemaUnavailableError
from pipelines.integrity.partition import Withheld, withhold_package
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.model import PublishRequest, ResourceFile
from pipelines.publish.receipt import PublishReceipt
from pipelines.publish.request import (
    WITHHELD_KEY,
    ReportPaths,
    WithheldResource,
    build_request,
    withheld_resources,
)

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


def test_two_offline_runs_with_different_causes_upload_nothing(
    ckan_portal, agency, report_files, tmp_path
):
    """The public text of a withheld package does not depend on the cause of the outage (nor on
    the URL): a refused connection one run and an HTTP 500 the next change nothing."""
    spec = load_spec("procurement")
    causes = [
        OcdsSchemaUnavailableError(
            "http://127.0.0.1:9/schema/1__1__5/", "no network: the host could not be reached"
        ),
        OcdsSchemaUnavailableError(
            "https://steward:s3cretpass@mirror.example/schema/1__1__5/?token=tok3n",
            "HTTP 500 from https://mirror.example/schema/1__1__5/release-schema.json",
        ),
    ]
    assert causes[0].reason != causes[1].reason
    receipts, shown = [], []
    for run, offline in enumerate(causes):
        data_dir = tmp_path / f"run{run}"
        withhold_package(agency, data_dir, Withheld(offline.what, offline.what_th))
        withheld = withheld_resources(spec, agency, data_dir)
        request = build_request(
            spec,
            sample_agency(agency),
            procurement_table({2024: 3}),
            report_files,
            withheld=withheld,
        )
        receipts.append(publish(ckan_portal, request, tmp_path))
        shown.append(ckan_portal.api().action.package_show(id=f"{agency}-procurement"))

    assert receipts[0].datasets[0].action == "create"
    assert receipts[1].datasets[0].action == "unchanged"
    assert receipts[1].bytes_uploaded == 0
    assert shown[1]["metadata_modified"] == shown[0]["metadata_modified"]
    package = shown[1]
    descriptor = requests.get(
        next(r["url"] for r in package["resources"] if r["name"] == "datapackage.json"),
        timeout=60,
    ).json()
    public = [package["notes"], package["notes_en"], descriptor["description"]]
    for text in public:
        assert causes[0].what in text
        for private in ("127.0.0.1:9", "mirror.example", "s3cretpass", "tok3n", "HTTP 500"):
            assert private not in text
    assert causes[0].what_th in package["notes"]

"""The package metadata resolves, against the real local portal: the package's ``uri`` is the
resource's portal URL and answers 200 with the package's own bytes once published (the resource
is created under an id derived from the dataset and resource names, so the package can name it
before it exists); the publisher's uri and the publication policy answer 200; the licence is the
one the portal reports for the published dataset. Datasets and organizations are the test's own
(t<uuid>), purged at the end of the session."""

import json
import uuid

import pytest
import requests

from pipelines.contracts import load_spec
from pipelines.integrity.ocds_config import load_ocds_config
from pipelines.integrity.ocds_export import Buyer, export_release_package, write_release_package
from pipelines.integrity.partition import (
    Withheld,
    clear_withheld,
    package_path,
    withhold_package,
)
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.model import ResourceFile, stable_resource_id
from pipelines.publish.request import (
    ReportPaths,
    build_request,
    derived_resources,
    withheld_resources,
)
from pipelines.settings import get_settings
from tests.publish.publish_samples import procurement_table, sample_agency

pytestmark = pytest.mark.portal

OCDS = "ocds-release-package.json"


@pytest.fixture
def agency(created):
    name = f"t{uuid.uuid4().hex[:10]}"
    created.extend([("dataset", f"{name}-procurement"), ("organization", name)])
    return name


@pytest.fixture
def portal_settings(ckan_portal, monkeypatch):
    monkeypatch.setenv("OGP_CKAN_URL", ckan_portal.url)
    get_settings.cache_clear()
    yield ckan_portal
    get_settings.cache_clear()


@pytest.fixture
def report(tmp_path):
    json_path, html_path = tmp_path / "report.json", tmp_path / "report.html"
    json_path.write_text('{"publishable": true, "errors": []}', encoding="utf-8")
    html_path.write_text("<html><body>รายงาน / Report</body></html>", encoding="utf-8")
    return ReportPaths(json_path, html_path)


def _package(agency, make_project, make_table):
    rows = [make_project(n, agency_code=agency) for n in (1, 2, 3)]
    buyer = Buyer(agency, f"กรมทดสอบการเผยแพร่ {agency}", f"Publishing Test Department {agency}")
    return export_release_package(make_table(rows), buyer)


def _publish(portal, agency, data_dir, report, tmp_path):
    """What ``published_procurement`` does with the integrity files on disk."""
    spec = load_spec("procurement")
    request = build_request(
        spec,
        sample_agency(agency),
        procurement_table({2024: 3}),
        report,
        extra_resources=derived_resources(spec, agency, data_dir),
        withheld=withheld_resources(spec, agency, data_dir),
    )
    return CKANPublisher(url=portal.url).publish([request], receipts_dir=tmp_path / "receipts")


def test_package_resource_is_the_contracts_derived_resource():
    names = [
        d.name for d in load_spec("procurement").derived_resources if d.asset == "procurement_ocds"
    ]
    assert names == [load_ocds_config().package_resource]


def test_the_package_uri_answers_200_with_the_package_after_publishing(
    portal_settings, agency, make_project, make_table, tmp_path, report
):
    portal = portal_settings
    data_dir = tmp_path / "data"
    package = _package(agency, make_project, make_table)
    assert None not in (
        package.get("uri"),
        package.get("license"),
        package.get("publicationPolicy"),
        package["publisher"].get("uri"),
    )
    resource_id = stable_resource_id(f"{agency}-procurement", OCDS)
    assert package["uri"] == (
        f"{portal.url}/dataset/{agency}-procurement/resource/{resource_id}/download/{OCDS}"
    )
    path = write_release_package(package, package_path(data_dir, agency))
    assert requests.get(package["uri"], timeout=60).status_code == 404  # not published yet

    _publish(portal, agency, data_dir, report, tmp_path)

    served = requests.get(package["uri"], timeout=60)  # anonymously, as the public
    assert served.status_code == 200
    assert served.content == path.read_bytes()
    assert json.loads(served.content)["uri"] == package["uri"]  # it names itself
    dataset = portal.anonymous().action.package_show(id=f"{agency}-procurement")
    assert package["license"] == dataset["license_url"]  # as the portal reports it
    for url in (package["publisher"]["uri"], package["publicationPolicy"]):
        assert requests.get(url, timeout=60).status_code == 200, url
    assert package["publisher"]["uri"] == f"{portal.url}/organization/{agency}"

    # Withheld (the resource goes), then published again: created under the same id, it answers.
    withhold_package(agency, data_dir, Withheld("offline", "ออฟไลน์"))
    _publish(portal, agency, data_dir, report, tmp_path)
    assert requests.get(package["uri"], timeout=60).status_code == 404
    write_release_package(package, package_path(data_dir, agency))
    clear_withheld(agency, data_dir)
    _publish(portal, agency, data_dir, report, tmp_path)
    again = requests.get(package["uri"], timeout=60)
    assert again.status_code == 200
    assert again.content == path.read_bytes()


def test_an_earlier_package_under_another_id_is_replaced(
    portal_settings, agency, make_project, make_table, tmp_path, report
):
    """A portal published before stable ids holds the package under a random id: the publisher
    replaces it, so the uri answers."""
    portal = portal_settings
    spec = load_spec("procurement")
    derived = next(d for d in spec.derived_resources if d.name == OCDS)
    legacy = ResourceFile(
        name=OCDS,
        content=b'{"version": "1.1", "releases": []}',
        format=derived.format,
        mimetype=derived.mimetype,
        description=f"{derived.description.th} / {derived.description.en}",
    )
    request = build_request(
        spec, sample_agency(agency), procurement_table({2024: 3}), report, [legacy]
    )
    CKANPublisher(url=portal.url).publish([request], receipts_dir=tmp_path / "receipts")
    before = portal.api().action.package_show(id=f"{agency}-procurement")
    (old_id,) = [r["id"] for r in before["resources"] if r["name"] == OCDS]
    assert old_id != stable_resource_id(f"{agency}-procurement", OCDS)

    data_dir = tmp_path / "data"
    package = _package(agency, make_project, make_table)
    write_release_package(package, package_path(data_dir, agency))
    _publish(portal, agency, data_dir, report, tmp_path)

    after = portal.api().action.package_show(id=f"{agency}-procurement")
    ids = [r["id"] for r in after["resources"] if r["name"] == OCDS]
    assert ids == [stable_resource_id(f"{agency}-procurement", OCDS)]
    assert [r["name"] for r in after["resources"]] == [r["name"] for r in before["resources"]]
    assert requests.get(package["uri"], timeout=60).status_code == 200

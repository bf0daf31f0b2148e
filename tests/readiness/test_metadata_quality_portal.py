"""Metadata quality and the data.go.th field check against the real local portal: an organization
of our own with one fully described dataset and one bare one, read back through the portal's
DCAT (ckanext-dcat) anonymously; every expectation computed by hand."""

from __future__ import annotations

import json

import ckanapi
import pytest

from pipelines.publish.client import CKANClient
from pipelines.readiness import dcat_reader
from pipelines.readiness.dcat_reader import PortalMetadata, read_portal_metadata
from pipelines.readiness.metadata_quality import mqa_figures, score_portal
from pipelines.readiness.mqa_rules import MqaRules, load_mqa_rules
from pipelines.readiness.thai_gdc import check_packages

from ..conftest import Portal
from .conftest import OGP_DIR

EU = "http://publications.europa.eu/resource/authority/"

pytestmark = pytest.mark.timeout(300)  # a hang-guard only


@pytest.fixture(scope="module")
def rules() -> MqaRules:
    return load_mqa_rules(OGP_DIR)


@pytest.fixture(scope="module")
def catalog(
    ckan_portal: Portal, ckan: ckanapi.RemoteCKAN, created: list[tuple[str, str]], run_id: str
) -> dict[str, str]:
    """Our organization, a dataset with everything MQA and data.go.th look for, and a bare one."""
    org, full, bare = f"mqa-{run_id}", f"mqa-full-{run_id}", f"mqa-bare-{run_id}"
    created.append(("organization", org))
    ckan.action.organization_create(name=org, title=f"MQA test {run_id}")
    created.append(("dataset", full))
    ckan.action.package_create(
        name=full,
        owner_org=org,
        title="ข้อมูลงบประมาณ (ทดสอบ)",
        notes="คำอธิบายชุดข้อมูล",
        tags=[{"name": "budget"}],
        license_id="cc-by",
        maintainer="กองคลัง",
        maintainer_email="finance@example.go.th",
        data_type="ข้อมูลสถิติ",
        objective="พันธกิจหน่วยงาน",
        data_format="CSV",
        update_frequency_unit="ปี",
        geo_coverage="ประเทศ",
        data_source="GFMIS",
        data_category="ข้อมูลสาธารณะ",
        extras=[
            {"key": "theme", "value": json.dumps([f"{EU}data-theme/GOVE"])},
            {"key": "spatial_text", "value": "ประเทศไทย"},
            {"key": "temporal_start", "value": "2024-10-01"},
            {"key": "temporal_end", "value": "2025-09-30"},
            {"key": "access_rights", "value": f"{EU}access-right/PUBLIC"},
        ],
        resources=[
            {
                "name": "budget.csv",
                # both URLs on the portal, so this machine can check them
                "url": f"{ckan_portal.url}/dataset/{full}",
                "download_url": f"{ckan_portal.url}/api/3/action/status_show",
                "format": f"{EU}file-type/CSV",
                "mimetype": "http://www.iana.org/assignments/media-types/text/csv",
                "license": f"{EU}licence/CC_BY_4_0",
                "rights": "ใช้ได้ตามสัญญาอนุญาต",
                "size": 1234,
            }
        ],
    )
    created.append(("dataset", bare))
    ckan.action.package_create(name=bare, owner_org=org)
    return {"org": org, "full": full, "bare": bare, "url": ckan_portal.url}


def read(catalog: dict[str, str], *, check_urls: bool = True) -> PortalMetadata:
    client = CKANClient(catalog["url"], None, timeout_s=30)  # anonymous: what the public sees
    try:
        return read_portal_metadata(client, organizations=[catalog["org"]], check_urls=check_urls)
    finally:
        client.close()


def test_mqa_of_a_full_and_a_bare_dataset(catalog: dict[str, str], rules: MqaRules) -> None:
    metadata = read(catalog)
    assert sorted(r.name for r in metadata.records) == sorted([catalog["full"], catalog["bare"]])
    result = score_portal(rules, metadata.records, catalog["url"])
    full, bare = result.datasets[catalog["full"]], result.datasets[catalog["bare"]]
    # full: every indicator met but DCAT-AP compliance (30), which is unknown here
    missed = {i.key for i in full.indicators if i.points != i.weight}
    assert missed == {"dcat_ap_compliance"}
    assert (full.points, full.points_max, full.rating) == (375, 405, "excellent")
    # bare: CKAN gives every dataset a publisher, issued and modified date (10 + 5 + 5)
    assert (bare.points, bare.points_max, bare.rating) == (20, 50, "bad")
    assert bare.distributions == 0
    # the agency pools both: 375/2 + 20/2, up to 405/2 + 50/2: Sufficient or Good, left open
    agency = result.agencies[catalog["org"]]
    assert (agency.points, agency.points_max) == (197.5, 227.5)
    assert (agency.rating, agency.status) == (None, "provisional")
    figures = mqa_figures(agency, rules)
    assert figures["mqa_licence"].ratio == "1/2"
    assert figures["mqa_points"].evidence[0] == f"{catalog['url']}/organization/{catalog['org']}"
    assert full.evidence == [
        f"{catalog['url']}/dataset/{catalog['full']}",
        f"{catalog['url']}/dataset/{catalog['full']}.jsonld",
    ]


def test_unchecked_urls_are_unknown_not_failed(catalog: dict[str, str], rules: MqaRules) -> None:
    metadata = read(catalog, check_urls=False)
    full = score_portal(rules, metadata.records, catalog["url"]).datasets[catalog["full"]]
    reach = {i.key: (i.met, i.unknown) for i in full.indicators if i.key.endswith("_reachable")}
    assert reach == {"access_url_reachable": (0, 1), "download_url_reachable": (0, 1)}
    assert (full.points, full.points_max) == (375 - 80, 405)


def test_a_missing_page_is_not_reachable(catalog: dict[str, str]) -> None:
    client = CKANClient(catalog["url"], None, timeout_s=30)
    try:
        assert client.reachable(f"{catalog['url']}/dataset/{catalog['full']}")
        assert not client.reachable(f"{catalog['url']}/dataset/{catalog['full']}-gone")
        assert not client.reachable("http://127.0.0.1:9/")  # nothing listens: refused
    finally:
        client.close()


def test_thai_gdc_fields_on_the_portal(catalog: dict[str, str], rules: MqaRules) -> None:
    metadata = read(catalog, check_urls=False)
    result = check_packages(metadata.packages, rules.thai_gdc, catalog["url"])
    by_name = {d.name: d for d in result.datasets}
    assert by_name[catalog["full"]].missing == []
    # CKAN fills the title with the name; every other required field is missing
    assert [m.field for m in by_name[catalog["bare"]].missing] == [
        "data_type",
        "maintainer",
        "maintainer_email",
        "tag_string",
        "notes",
        "objective",
        "data_format",
        "update_frequency_unit",
        "geo_coverage",
        "data_source",
        "data_category",
        "license_id",
    ]
    agency = result.agencies[catalog["org"]]
    assert (agency.datasets, agency.complete) == (2, 1)


def test_a_dataset_gone_after_the_listing_is_left_out(
    catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = dcat_reader._all_packages
    gone = {"name": f"{catalog['full']}-gone", "organization": {"name": catalog["org"]}}
    monkeypatch.setattr(dcat_reader, "_all_packages", lambda ckan: [*listed(ckan), gone])
    metadata = read(catalog, check_urls=False)
    assert sorted(r.name for r in metadata.records) == sorted([catalog["full"], catalog["bare"]])
    assert sorted(p["name"] for p in metadata.packages) == sorted(r.name for r in metadata.records)

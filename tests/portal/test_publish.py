"""Publishing through the API as the pipeline does: organizations, datasets, uploads,
DataStore tables with a data dictionary, DCAT output and the public pages."""

from __future__ import annotations

import hashlib
import json

import ckanapi
import pytest
import requests

CSV_BYTES = (
    'ปีงบประมาณ,หน่วยงาน,งบประมาณ (บาท)\n2567,กรมบัญชีกลาง,"1,250,000.50"\n2568,กรมควบคุมโรค,980000\n'
).encode("utf-8-sig")


@pytest.fixture(scope="module")
def published(ckan: ckanapi.RemoteCKAN, run_id: str, tmp_path_factory, created) -> dict[str, str]:
    org = f"pub-{run_id}"
    ckan.action.organization_create(name=org, title="สำนักงานทดสอบการเผยแพร่")
    name = f"budget-report-{run_id}"
    created.extend([("organization", org), ("dataset", name)])
    ckan.action.package_create(
        name=name,
        title="รายงานงบประมาณ",
        title_en="Budget report",
        owner_org=org,
        notes="ข้อมูลงบประมาณรายจ่าย",
        notes_en="Expenditure budget",
        license_id="cc-by",
        data_type="ข้อมูลสถิติ",
        objective="ตอบสนองภารกิจของหน่วยงาน",
        update_frequency_unit="ปี",
        update_frequency_interval="1",
        geo_coverage="ประเทศ",
        data_source="กรมบัญชีกลาง",
        data_format="CSV",
        data_category="ข้อมูลสาธารณะ",
        accessible_condition="ไม่มีเงื่อนไข",
        data_language="ไทย",
        first_year_of_data="2567",
        last_year_of_data="2568",
        tags=[{"name": "budget"}],
    )
    path = tmp_path_factory.mktemp("upload") / "budget-2567.csv"
    path.write_bytes(CSV_BYTES)
    with path.open("rb") as fh:
        resource = ckan.action.resource_create(
            package_id=name, name="งบประมาณ 2567", format="CSV", upload=fh
        )
    return {"org": org, "name": name, "resource_id": resource["id"], "url": resource["url"]}


def test_catalog_fields_round_trip(ckan, published):
    pkg = ckan.action.package_show(id=published["name"])
    assert pkg["title_en"] == "Budget report"
    assert pkg["objective"] == "ตอบสนองภารกิจของหน่วยงาน"
    assert (pkg["first_year_of_data"], pkg["last_year_of_data"]) == ("2567", "2568")
    assert pkg["organization"]["name"] == published["org"]


def test_plain_package_create_without_catalog_fields(ckan, published, run_id, created):
    created.append(("dataset", f"plain-{run_id}"))
    pkg = ckan.action.package_create(
        name=f"plain-{run_id}",
        owner_org=published["org"],
        extras=[{"key": "source_system", "value": "e-GP"}],
    )
    assert pkg["name"] == f"plain-{run_id}"


def test_uploaded_file_downloads_byte_identical(ckan_portal, published):
    assert published["url"].startswith(ckan_portal.url)
    resp = requests.get(published["url"], timeout=30)
    assert resp.status_code == 200
    assert hashlib.sha256(resp.content).hexdigest() == hashlib.sha256(CSV_BYTES).hexdigest()


def test_datastore_table_with_data_dictionary(ckan, anon, published):
    fields = [
        {
            "id": "fiscal_year",
            "type": "int",
            "info": {"label": "ปีงบประมาณ", "notes": "Fiscal year (B.E.)"},
        },
        {"id": "agency", "type": "text", "info": {"label": "หน่วยงาน", "notes": "Agency"}},
        {
            "id": "amount",
            "type": "numeric",
            "info": {"label": "งบประมาณ (บาท)", "notes": "Amount in THB"},
        },
    ]
    records = [
        {"fiscal_year": 2567, "agency": "กรมบัญชีกลาง", "amount": 1250000.50},
        {"fiscal_year": 2568, "agency": "กรมควบคุมโรค", "amount": 980000},
    ]
    ckan.action.datastore_create(
        resource_id=published["resource_id"],
        fields=fields,
        records=records,
        primary_key=["fiscal_year"],
        force=True,
    )
    result = anon.action.datastore_search(resource_id=published["resource_id"], q="กรมบัญชีกลาง")
    assert result["total"] == 1
    assert result["records"][0]["agency"] == "กรมบัญชีกลาง"
    assert float(result["records"][0]["amount"]) == 1250000.50
    by_id = {f["id"]: f for f in result["fields"]}
    assert by_id["amount"]["info"]["label"] == "งบประมาณ (บาท)"
    assert by_id["fiscal_year"]["type"] in ("int", "int4")
    info = anon.action.datastore_info(id=published["resource_id"])
    assert info["meta"]["count"] == 2


def test_dcat_catalog_and_dataset_rdf(ckan_portal, published):
    resp = requests.get(
        f"{ckan_portal.url}/catalog.jsonld", params={"q": published["name"]}, timeout=30
    )
    assert resp.status_code == 200
    doc = json.loads(resp.text)
    assert published["name"] in json.dumps(doc, ensure_ascii=False)
    resp = requests.get(f"{ckan_portal.url}/dataset/{published['name']}.ttl", timeout=30)
    assert resp.status_code == 200
    turtle = resp.content.decode("utf-8")  # Turtle is UTF-8 by definition; no charset is sent
    assert "dcat:Dataset" in turtle
    assert "รายงานงบประมาณ" in turtle


def test_pages_show_the_dataset(ckan_portal, published):
    home = requests.get(ckan_portal.url + "/", timeout=30)
    assert home.status_code == 200
    assert "พอร์ทัลข้อมูลเปิดภาครัฐ OGP" in home.text  # the Thai site title: Thai is the default
    page = requests.get(f"{ckan_portal.url}/dataset/{published['name']}", timeout=30)
    assert page.status_code == 200
    assert "รายงานงบประมาณ" in page.text
    assert "งบประมาณ 2567" in page.text
    org = requests.get(f"{ckan_portal.url}/organization/{published['org']}", timeout=30)
    assert org.status_code == 200
    assert "รายงานงบประมาณ" in org.text
    listing = requests.get(  # /en/: the English interface (Thai is the default at /)
        f"{ckan_portal.url}/en/dataset/", params={"q": "รายงานงบประมาณ"}, timeout=30
    )
    assert listing.status_code == 200
    assert published["name"] in listing.text
    assert "Formats" in listing.text  # facet blocks
    assert "Licenses" in listing.text


def test_api_token_file_is_private(ckan_portal):
    assert ckan_portal.token_file.stat().st_mode & 0o077 == 0
    assert ckan_portal.token  # non-empty

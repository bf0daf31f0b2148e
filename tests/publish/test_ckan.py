"""The publisher against the real local CKAN portal: complete, idempotent, resilient, discreet."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests

from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.csvfile import NEUTRALISER
from pipelines.publish.datapackage import as_published, resource_urls
from pipelines.publish.model import PublishRequest
from pipelines.publish.receipt import PublishError, PublishReceipt

pytestmark = pytest.mark.portal

EXPECTED_RESOURCES = [
    "procurement-fy2024.csv",
    "procurement-fy2025.csv",
    "datapackage.json",
    "validation-report.json",
    "validation-report.html",
]


def publisher_for(portal: Any, **config: Any) -> CKANPublisher:
    return CKANPublisher(url=portal.url, **config)


def publish(portal: Any, request: PublishRequest, tmp_path: Path, **config: Any) -> PublishReceipt:
    return publisher_for(portal, **config).publish([request], receipts_dir=tmp_path / "receipts")


def test_first_publish_creates_the_whole_dataset(
    ckan_portal, make_request, unique_agency, tmp_path
):
    request = make_request(unique_agency)
    # Batches of 2 rows: the DataStore tables load in several batches, some in parallel.
    receipt = publish(ckan_portal, request, tmp_path, datastore_batch_rows=2)
    api = ckan_portal.api()

    org = api.action.organization_show(id=unique_agency, include_extras=True)
    assert org["title"] == request.organization.title_th
    assert {"key": "title_en", "value": request.organization.title_en} in org["extras"]

    package = api.action.package_show(id=f"{unique_agency}-procurement")
    assert package["title"].startswith("ข้อมูลการจัดซื้อจัดจ้างภาครัฐ")
    assert package["title_en"].startswith("Public procurement projects")
    assert package["notes_en"]
    assert package["notes"] != package["notes_en"]
    assert package["license_id"] == "cc-by"
    assert package["data_type"] == "ข้อมูลระเบียน"
    assert package["update_frequency_unit"] == "เดือน"
    assert (package["first_year_of_data"], package["last_year_of_data"]) == ("2567", "2568")
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2023-10-01", "2025-09-30")
    assert "procurement" in {tag["name"] for tag in package["tags"]}
    assert [r["name"] for r in package["resources"]] == EXPECTED_RESOURCES

    by_name = {r["name"]: r for r in package["resources"]}
    for name in EXPECTED_RESOURCES[:2]:
        resource = by_name[name]
        assert resource["datastore_active"] is True
        views = api.action.resource_view_list(id=resource["id"])
        assert "datatables_view" in {view["view_type"] for view in views}
        search = api.action.datastore_search(resource_id=resource["id"], limit=1)
        labels = {f["id"]: f.get("info", {}).get("label") for f in search["fields"]}
        assert labels["project_id"] == "เลขที่โครงการ / Project number"
        assert search["total"] == (5 if name.endswith("2024.csv") else 3)

    # DCAT (ckanext-dcat): the Thai title and the temporal coverage taken from the data.
    dcat = requests.get(f"{ckan_portal.url}/dataset/{package['name']}.jsonld", timeout=30)
    assert dcat.status_code == 200
    assert request.dataset.title_th in dcat.text
    assert "2023-10-01" in dcat.text

    # The receipt (file and object) names every resource with a download URL.
    written = list((tmp_path / "receipts").glob("*.json"))
    assert [p.stem for p in written] == [receipt.run_id]
    [dataset] = receipt.datasets
    assert dataset.action == "create"
    assert [r.name for r in dataset.resources] == EXPECTED_RESOURCES
    assert all(r.url and r.url.startswith(ckan_portal.url) for r in dataset.resources)
    published = as_published(request, resource_urls(package))  # datapackage.json: URLs
    assert dataset.bytes_uploaded == sum(r.size for r in published.resources)
    # Every request but the state reads and the organization's creation is the dataset's.
    assert dataset.requests == receipt.requests - 3
    assert [r.datastore_rows for r in dataset.resources[:2]] == [5, 3]


def test_published_csv_is_spreadsheet_safe_while_the_datastore_is_exact(
    ckan_portal, make_request, unique_agency, tmp_path
):
    publish(ckan_portal, make_request(unique_agency), tmp_path)
    api = ckan_portal.api()
    package = api.action.package_show(id=f"{unique_agency}-procurement")
    resource = next(r for r in package["resources"] if r["name"] == "procurement-fy2024.csv")

    downloaded = requests.get(resource["url"], timeout=30).content.decode("utf-8")
    assert f'"{NEUTRALISER}=HYPERLINK(""http://evil.example"")"' in downloaded
    assert f'"{NEUTRALISER}-บริษัท ทดสอบ จำกัด"' in downloaded

    records = api.action.datastore_search(resource_id=resource["id"], sort="project_id")["records"]
    assert records[0]["project_name"] == '=HYPERLINK("http://evil.example")'
    assert records[0]["winner_name"] == "-บริษัท ทดสอบ จำกัด"
    assert Decimal(str(records[0]["budget"])) == Decimal("1000.50")  # PostgreSQL numeric


def _modified(api: Any, name: str) -> tuple[str, dict[str, tuple[str, str]]]:
    package = api.action.package_show(id=name)
    return package["metadata_modified"], {
        r["name"]: (r["id"], r["last_modified"] or "", r["metadata_modified"] or "")
        for r in package["resources"]
    }


def test_republishing_unchanged_data_changes_nothing(
    ckan_portal, make_request, unique_agency, tmp_path
):
    publish(ckan_portal, make_request(unique_agency), tmp_path)
    before = _modified(ckan_portal.api(), f"{unique_agency}-procurement")

    again = publish(ckan_portal, make_request(unique_agency), tmp_path)

    assert _modified(ckan_portal.api(), f"{unique_agency}-procurement") == before
    assert again.bytes_uploaded == 0
    assert again.requests <= 2  # organization_list + package_search
    [dataset] = again.datasets
    assert dataset.action == "unchanged"
    assert {r.action for r in dataset.resources} == {"unchanged"}


def test_a_changed_file_replaces_only_its_resource_in_place(
    ckan_portal, make_request, unique_agency, tmp_path, report_files
):
    publish(ckan_portal, make_request(unique_agency), tmp_path)
    api = ckan_portal.api()
    _, before = _modified(api, f"{unique_agency}-procurement")

    report_files.html.write_text("<html><body>รายงานฉบับใหม่ / New report</body></html>")
    receipt = publish(ckan_portal, make_request(unique_agency), tmp_path)

    _, after = _modified(api, f"{unique_agency}-procurement")
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ["validation-report.html"]
    assert after["validation-report.html"][0] == before["validation-report.html"][0]  # same id
    [dataset] = receipt.datasets
    assert dataset.bytes_uploaded == report_files.html.stat().st_size
    html = next(
        r
        for r in api.action.package_show(id=dataset.name)["resources"]
        if r["name"] == "validation-report.html"
    )
    assert "ฉบับใหม่" in requests.get(html["url"], timeout=30).content.decode("utf-8")


def test_changed_rows_reload_that_years_datastore_table(
    ckan_portal, make_request, unique_agency, tmp_path
):
    publish(ckan_portal, make_request(unique_agency, {2024: 5, 2025: 3}), tmp_path)
    api = ckan_portal.api()
    _, before = _modified(api, f"{unique_agency}-procurement")

    receipt = publish(ckan_portal, make_request(unique_agency, {2024: 5, 2025: 7}), tmp_path)

    _, after = _modified(api, f"{unique_agency}-procurement")
    changed = sorted(name for name in after if after[name] != before[name])
    # The year's CSV and the descriptor that lists its hash; ids are kept.
    assert changed == ["datapackage.json", "procurement-fy2025.csv"]
    assert all(after[name][0] == before[name][0] for name in after)
    fy2025 = after["procurement-fy2025.csv"][0]
    assert api.action.datastore_search(resource_id=fy2025, limit=0)["total"] == 7
    steps = {r.name: r.steps for r in receipt.datasets[0].resources}
    assert steps["procurement-fy2025.csv"] == ["upload", "datastore"]


def test_api_token_never_appears_in_logs_errors_or_receipts(
    ckan_portal, make_request, unique_agency, tmp_path, caplog, capfd
):
    token = ckan_portal.token
    caplog.set_level(logging.DEBUG)
    publisher = publisher_for(ckan_portal)
    assert token not in repr(publisher)
    receipt = publisher.publish([make_request(unique_agency)], receipts_dir=tmp_path)

    # An unreachable portal, and a request the portal refuses.
    unreachable = CKANPublisher(url="http://127.0.0.1:9", max_attempts=2, backoff_initial_s=0.01)
    with pytest.raises(requests.ConnectionError) as refused:
        unreachable.publish([make_request(unique_agency)], receipts_dir=tmp_path)
    good = make_request(unique_agency)
    bad_name = "Upper-Case-Refused-" + unique_agency
    bad = replace(
        good,
        organization=replace(good.organization, name=bad_name),
        dataset=replace(good.dataset, owner_org=bad_name),
    )
    with pytest.raises(ckanapi.ValidationError) as invalid:
        publisher.publish([bad], receipts_dir=tmp_path)

    captured = capfd.readouterr()
    texts = [
        caplog.text,
        captured.out,
        captured.err,
        str(refused.value),
        str(invalid.value),
        receipt.model_dump_json(),
        *(p.read_text() for p in tmp_path.glob("*.json")),
    ]
    assert "organization_create" in caplog.text or "package_search" in caplog.text
    assert "lowercase" in str(invalid.value)  # the server's own message
    assert all(token not in text for text in texts)


# --- a portal outage half-way -------------------------------------------------------------------


def _kill_ckan(portal: Any) -> None:
    """Stop CKAN the hard way (its process group, from portalctl's pid file)."""
    pid = int((Path(portal.env["logs"]).parent / "run" / "ckan.pid").read_text().strip())
    os.killpg(pid, signal.SIGKILL)


def _portal_up() -> None:
    portalctl = Path(__file__).resolve().parents[2] / "portal" / "portalctl.py"
    subprocess.run(
        [sys.executable, str(portalctl), "up"], check=True, capture_output=True, timeout=600
    )


@pytest.mark.exclusive  # SIGKILLs the shared CKAN: no other test may be talking to it
def test_outage_half_way_then_rerun_converges_to_the_intended_catalog(
    ckan_portal, make_request, unique_agency, tmp_path
):
    requests_before_outage = 6  # org list, search, org create, package create, 2 resource steps
    seen: list[str] = []

    def outage_after_some_requests(action: str) -> None:
        seen.append(action)
        if len(seen) == requests_before_outage:
            _kill_ckan(ckan_portal)

    request = make_request(unique_agency)
    flaky = publisher_for(ckan_portal, max_attempts=2, backoff_initial_s=0.05, backoff_max_s=0.1)
    try:
        with pytest.raises((PublishError, requests.ConnectionError)):
            flaky.publish([request], receipts_dir=tmp_path, on_request=outage_after_some_requests)
    finally:
        _portal_up()
    api = ckan_portal.api()
    half = api.action.package_show(id=f"{unique_agency}-procurement")
    assert [r["name"] for r in half["resources"]] != EXPECTED_RESOURCES  # really half-way
    # A create whose response was lost and was retried leaves a second copy of a name.
    first = half["resources"][0]
    api.action.resource_create(package_id=half["id"], name=first["name"], url="http://x.example")

    receipt = publisher_for(ckan_portal).publish([request], receipts_dir=tmp_path)

    package = api.action.package_show(id=f"{unique_agency}-procurement")
    assert [r["name"] for r in package["resources"]] == EXPECTED_RESOURCES
    assert package["resources"][0]["id"] == first["id"]
    wanted = {r.name: r for r in as_published(request, resource_urls(package)).resources}
    for resource in package["resources"]:
        assert resource["content_hash"] == wanted[resource["name"]].content_hash
        body = requests.get(resource["url"], timeout=30).content
        assert body == wanted[resource["name"]].content
        if resource["name"].endswith(".csv"):
            total = api.action.datastore_search(resource_id=resource["id"], limit=0)["total"]
            assert total == wanted[resource["name"]].datastore.num_rows  # type: ignore[union-attr]
    found = api.action.package_search(fq=f"organization:{unique_agency}")["count"]
    assert found == 1
    assert "removed-duplicate" in {r.action for r in receipt.datasets[0].resources}
    # And the run after that has nothing left to do.
    settled = publisher_for(ckan_portal).publish([request], receipts_dir=tmp_path)
    assert settled.datasets[0].action == "unchanged"
    assert settled.bytes_uploaded == 0

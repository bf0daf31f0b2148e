"""Indicators read back from the real local portal, and the whole run writing build/report/."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ckanapi
import pytest

from pipelines.publish.client import CKANClient
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.portal_reader import read_portal
from pipelines.readiness.run import run_report
from pipelines.settings import Settings

pytestmark = pytest.mark.portal


def make_agency(ckan: ckanapi.RemoteCKAN, name: str, datasets: dict[str, list[dict]]) -> None:
    ckan.action.organization_create(name=name, title=f"หน่วยงานทดสอบ {name}")
    for family, resources in datasets.items():
        package = ckan.action.package_create(
            name=f"{name}-{family}", title=f"{family} {name}", owner_org=name, license_id="cc-by"
        )
        for resource in resources:
            ckan.action.resource_create(package_id=package["id"], **resource)


def report_upload(valid: bool, findings: int) -> dict:
    body = json.dumps({"valid": valid, "privacy": {"findings": [{}] * findings}}).encode()
    upload = io.BytesIO(body)
    upload.name = "validation-report.json"
    return {"name": "validation-report.json", "format": "JSON", "upload": upload}


@pytest.fixture(scope="module")
def agencies(
    ckan: ckanapi.RemoteCKAN, run_id: str, created: list[tuple[str, str]]
) -> tuple[str, str]:
    good, poor = f"rd-{run_id}-good", f"rd-{run_id}-poor"
    # purged after the session: their example.org links stop `ckanapi dump -D` on an offline host
    created.extend(
        [
            ("dataset", f"{good}-procurement"),
            ("dataset", f"{good}-budget"),
            ("dataset", f"{poor}-procurement"),
            ("organization", good),
            ("organization", poor),
        ]
    )
    make_agency(
        ckan,
        good,
        {
            "procurement": [
                {
                    "name": "procurement-2025.csv",
                    "format": "CSV",
                    "url": "https://example.org/p.csv",
                },
                report_upload(valid=True, findings=2),
            ],
            "budget": [
                {
                    "name": "งบประมาณ 2568.xlsx",
                    "format": "XLSX",
                    "url": "https://example.org/b.xlsx",
                }
            ],
        },
    )
    make_agency(
        ckan,
        poor,
        {
            "procurement": [
                {
                    "name": "procurement-2024.pdf",
                    "format": "PDF",
                    "url": "https://example.org/p.pdf",
                },
                report_upload(valid=False, findings=0),
            ],
        },
    )
    return good, poor


def test_indicators_from_the_portal(
    config: OgpConfig, ckan: ckanapi.RemoteCKAN, agencies: tuple[str, str], tmp_path: Path
) -> None:
    public = CKANClient(ckan.address, None, timeout_s=60)  # anonymous: what the public sees
    snap = read_portal(public, config.methodology.portal)
    result = compute_indicators(
        snap, read_local_outputs(tmp_path), config.methodology, 2025, datetime.now(UTC)
    )
    cards = {card.agency: card for card in result.agencies}
    good, poor = (cards[name].figures for name in agencies)
    assert good["oit_coverage"].value == 1.0
    assert good["validation_pass_rate"].value == 1.0
    assert good["privacy_incidents_blocked"].value == 2
    assert good["openness_stars_mean"].value == pytest.approx((3 + 2) / 2)
    assert good["datastore_share"].value == 0.0  # URL resources: no DataStore table
    assert good["timeliness"].value == 1.0  # just created
    assert poor["oit_coverage"].value == 0.0  # FY2024 only
    assert poor["validation_pass_rate"].value == 0.0
    assert poor["openness_stars_mean"].value == 1.0
    # evidence is the public portal page of each dataset / resource
    assert f"{ckan.address}/dataset/{agencies[0]}-procurement" in good["oit_coverage"].evidence
    report_page = good["validation_pass_rate"].evidence[0]
    assert report_page.startswith(f"{ckan.address}/dataset/{agencies[0]}-procurement/resource/")
    assert result.overall["agencies_total"].value >= 2


def test_run_writes_the_report(
    agencies: tuple[str, str], ckan_portal: object, tmp_path: Path
) -> None:
    settings = Settings(
        build_dir=tmp_path / "build", data_dir=tmp_path / "data", ckan_url=ckan_portal.url
    )  # type: ignore[attr-defined]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = run_report(settings, publish=False, now=today - timedelta(days=1))
    again = run_report(settings, publish=False, now=today - timedelta(days=1))
    # the report is as of a day: the same day over the same portal gives the same bytes
    assert again.paths.json_path.read_bytes() == first.paths.json_path.read_bytes()
    second = run_report(settings, publish=False)
    assert first.paths.html.is_file()
    assert first.paths.markdown.read_text(encoding="utf-8").startswith("# รายงานความพร้อม")
    document = json.loads(second.paths.json_path.read_text(encoding="utf-8"))
    assert {a["agency"] for a in document["agencies"]} >= set(agencies)
    assert document["previous_run"] == first.paths.history.name
    assert len(list((tmp_path / "build" / "report" / "history").glob("*.json"))) == 2

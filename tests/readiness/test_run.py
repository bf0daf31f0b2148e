"""Indicators read back from the real local portal, and the whole run writing build/report/."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from pipelines.contracts import load_agencies
from pipelines.publish.client import CKANClient
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.portal_reader import read_portal
from pipelines.readiness.run import run_report
from pipelines.settings import Settings

from .conftest import REPO_ROOT
from .html_scan import scan, source_titles

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
    # the test's own agencies as the registry: the shared portal holds every other test's
    # datasets, whose validation reports would all be downloaded
    snap = read_portal(public, config.methodology.portal, agencies=list(agencies))
    result = compute_indicators(
        snap, read_local_outputs(tmp_path), config.methodology, 2025, datetime.now(UTC)
    )
    cards = {card.agency: card for card in result.agencies}
    good, poor = (cards[name].figures for name in agencies)
    # good: procurement (FY2025 CSV, a valid report) and budget (FY2568 XLSX, no report);
    # poor: procurement only (FY2024 PDF, an invalid report); no gate outputs here
    assert (good["oit_coverage"].ratio, poor["oit_coverage"].ratio) == ("6/6", "0/6")
    # a partition without a validation report counts as not passed: 1 of 2, provisional
    assert good["validation_pass_rate"].ratio == "1/2"
    assert good["validation_pass_rate"].status == "provisional"
    assert poor["validation_pass_rate"].ratio == "0/1"
    assert good["openness_stars_mean"].value == pytest.approx((3 + 2) / 2)
    assert poor["openness_stars_mean"].value == 1.0
    assert (good["datastore_share"].ratio, poor["datastore_share"].ratio) == ("0/2", "0/1")
    # timeliness comes from the newest record, which only the gate's output holds: not
    # from the publication time (just created) - unknown, never 100%
    assert good["timeliness"].value is None
    assert good["timeliness"].status == "unknown"
    # nothing here was blocked for personal data, and nothing counted as masked
    assert good["partitions_blocked_personal_data"].ratio == "0/2"
    assert good["values_masked_before_publication"].value == 0
    assert (good["partitions_received"].value, poor["partitions_received"].value) == (2, 1)
    assert float(good["score"].value or 0) > float(poor["score"].value or 0)
    # evidence is the public portal page of each dataset / resource
    assert f"{ckan.address}/dataset/{agencies[0]}-procurement" in good["oit_coverage"].evidence
    pages = good["validation_pass_rate"].evidence
    report_page = f"{ckan.address}/dataset/{agencies[0]}-procurement/resource/"
    assert any(page.startswith(report_page) for page in pages)
    assert all(page.startswith(f"{ckan.address}/") for page in pages)
    assert result.overall["agencies_total"].value == 2  # the registry: the two test agencies


def test_run_writes_the_report(
    config: OgpConfig,
    agencies: tuple[str, str],
    ckan_portal: Any,
    tmp_path: Path,
    ckan: ckanapi.RemoteCKAN,
    run_id: str,
    created: list[tuple[str, str]],
) -> None:
    outside = f"rd-{run_id}-outside"  # on the portal, not in the registry
    absent = f"rd-{run_id}-absent"  # in the registry, not on the portal
    created.extend([("dataset", f"{outside}-budget"), ("organization", outside)])
    make_agency(ckan, outside, {"budget": []})
    # the run counts the agencies of its registry only: the test's own datasets folder lists
    # the two test agencies beside the shipped ones
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    with (datasets / "agencies" / "agencies.csv").open("a", encoding="utf-8") as registry:
        for name in agencies:
            registry.write(f"{name},หน่วยงานทดสอบ {name},Test agency {name},-,-,department,,\n")
        # an agency of the registry with no organization on the portal: awaiting data, named
        registry.write(
            f"{absent},กรมทดสอบที่ไม่มีองค์กร,Department without organization,-,-,department,,\n"
        )
    codes = {a.agency_code for a in load_agencies(datasets)}
    settings = Settings(
        build_dir=tmp_path / "build",
        data_dir=tmp_path / "data",
        datasets_dir=datasets,
        ckan_url=ckan_portal.url,
    )
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
    # no organization outside the registry is counted (other tests' organizations are there)
    assert {a["agency"] for a in document["agencies"]} <= codes
    assert outside not in {a["agency"] for a in document["agencies"]}
    total = document["overall"]["agencies_total"]
    assert "outside the agency registry ignored" in total["note_en"]
    cards = {a["agency"]: a["figures"] for a in document["agencies"]}
    assert cards[absent]["partitions_awaiting"]["value"] == 3
    named = document["overall"]["agencies_without_organization"]
    assert "Department without organization" in named["note_en"]
    assert "กรมทดสอบที่ไม่มีองค์กร" in named["note_th"]
    assert document["previous_run"] == first.paths.history.name
    assert len(list((tmp_path / "build" / "report" / "history").glob("*.json"))) == 2

    # the metadata-quality section, per agency, from the portal's own metadata: the test's
    # datasets carry a name, title, organization and licence only, so none has every field
    # data.go.th requires (good: 0 of 2, poor: 0 of 1) and MQA points are below the maximum
    section = next(s for s in document["sections"] if s["key"] == "metadata_quality")
    rows = {row["agency"]: row["figures"] for row in section["agencies"]}
    good, poor = (rows[name] for name in agencies)
    assert (good["thai_gdc_ready"]["numerator"], good["thai_gdc_ready"]["denominator"]) == (0, 2)
    assert (poor["thai_gdc_ready"]["numerator"], poor["thai_gdc_ready"]["denominator"]) == (0, 1)
    assert good["thai_gdc_missing_fields"]["value"] > 0
    assert 0 < good["mqa_points"]["value"] < 405
    portal_keys = {f["key"] for f in section["figures"]}
    assert {"mqa_points", "thai_gdc_ready", "thai_gdc_missing_fields"} <= portal_keys
    assert any(key.startswith("mqa_") and key != "mqa_points" for key in portal_keys)
    # every evidence link of a section's figure is a page on the portal or a public reference
    for figure in section["figures"] + [
        f for r in section["agencies"] for f in r["figures"].values()
    ]:
        assert all(e.startswith(("http://", "https://")) for e in figure["evidence"])

    # the page of a real run: Thai and English throughout, no raw key, n/N with every %
    html = second.paths.html.read_text(encoding="utf-8")
    # names: the publications cited and the agencies' codes (notes list agencies by code)
    names = source_titles(config.model_dump()) | {a.agency for a in second.report.agencies}
    assert scan(html, names).problems == []
    assert "0.0% (0/2)" in html

"""Indicators from portal snapshots and local outputs, against hand-counted values."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.readiness.indicators import (
    LocalOutputs,
    RedFlagSummary,
    ValidationSummary,
    compute_indicators,
    read_local_outputs,
    summarize_validation_report,
)
from pipelines.readiness.methodology import OgpConfig

from .conftest import AS_OF, PORTAL, dataset, no_local, organization, snapshot


def values(figures: dict) -> dict:
    return {key: f.value for key, f in figures.items()}


def test_agency_figures(config: OgpConfig) -> None:
    snap = snapshot(
        [organization("dga"), organization("cgd")],
        [
            dataset(
                "dga",
                "procurement",
                [
                    ("procurement-2025.csv", "CSV", True),
                    ("procurement-2024.pdf", "PDF", False),
                    ("validation-report.json", "JSON", False),  # describes data: not counted
                ],
            ),
            # B.E. year in the name counts for FY2025; stale (400 days, yearly + 15 grace = 381)
            dataset(
                "dga",
                "budget",
                [("งบประมาณ 2568.xlsx", "XLSX", False)],
                modified=AS_OF - timedelta(days=400),
            ),
            # closed licence: 0 stars whatever the format
            dataset(
                "cgd", "procurement", [("procurement-2024.csv", "CSV", True)], licence_open=False
            ),
        ],
        {
            "dga-procurement": ValidationSummary(
                valid=True, privacy_findings=3, evidence=f"{PORTAL}/v1"
            ),
            "cgd-procurement": ValidationSummary(
                valid=False, privacy_findings=1, evidence=f"{PORTAL}/v2"
            ),
        },
    )
    result = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    dga, cgd = result.agencies
    assert values(dga.figures) == {
        "oit_coverage": 1.0,  # budget and procurement both have FY2025 resources
        "timeliness": 0.5,
        "validation_pass_rate": 1.0,
        "openness_stars_mean": pytest.approx((3 + 1 + 2) / 3),
        "openness_share": pytest.approx(2 / 3),
        "datastore_share": pytest.approx(1 / 2),  # the CSV and the XLSX are tabular
        "privacy_incidents_blocked": 3,
        "red_flag_rate": None,
        "score": pytest.approx(0.3 * 1 + 0.2 * 0.5 + 0.2 * 1 + 0.15 * 2 / 3 + 0.15 * 0.5, abs=1e-4),
    }
    # cgd's procurement is FY2024 only: no OIT item for FY2025
    assert values(cgd.figures)["oit_coverage"] == 0.0
    assert values(cgd.figures)["openness_stars_mean"] == 0.0
    assert {code: f.value for code, f in cgd.oit_items.items()} == dict.fromkeys(
        ["O17", "O18", "O19", "O20", "O21", "O22"], 0
    )
    overall = values(result.overall)
    assert overall["agencies_total"] == 2
    assert overall["oit_coverage"] == pytest.approx(6 / 12)
    assert overall["validation_pass_rate"] == pytest.approx(1 / 2)
    assert overall["privacy_incidents_blocked"] == 4
    assert overall["agencies_publishing_procurement"] == 1
    assert overall["agencies_publishing_budget"] == 1
    assert overall["datastore_share"] == pytest.approx(2 / 3)


def test_evidence_points_at_the_portal(config: OgpConfig) -> None:
    snap = snapshot(
        [organization("dga"), organization("empty")],
        [dataset("dga", "procurement", [("procurement-2025.csv", "CSV", True)])],
    )
    result = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    by_agency = {card.agency: card for card in result.agencies}
    # present items point at the dataset, missing ones (budget) at the agency's portal page
    assert set(by_agency["dga"].figures["oit_coverage"].evidence) == {
        f"{PORTAL}/dataset/dga-procurement",
        f"{PORTAL}/organization/dga",
    }
    assert by_agency["dga"].oit_items["O20"].evidence == [f"{PORTAL}/dataset/dga-procurement"]
    # an agency with nothing published still gets a scorecard; evidence = its portal page
    empty = by_agency["empty"]
    assert empty.figures["score"].value == 0
    assert empty.figures["timeliness"].evidence == [f"{PORTAL}/organization/empty"]


def test_dataset_update_frequency_overrides_family_default(config: OgpConfig) -> None:
    # procurement defaults to monthly, but this dataset declares a yearly update (ปี)
    stale = AS_OF - timedelta(days=100)
    snap = snapshot(
        [organization("a")],
        [
            dataset("a", "procurement", [("p-2025.csv", "CSV", False)], modified=stale, unit="ปี"),
        ],
    )
    yearly = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    assert yearly.agencies[0].figures["timeliness"].value == 1.0
    snap = snapshot(
        [organization("a")],
        [
            dataset("a", "procurement", [("p-2025.csv", "CSV", False)], modified=stale),
        ],
    )
    monthly = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    assert monthly.agencies[0].figures["timeliness"].value == 0.0


def test_local_validation_and_red_flags(config: OgpConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = data / "validation" / "procurement" / "dga" / "report.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"valid": False, "privacy": {"findings": [{}, {}]}}))
    flags = data / "integrity" / "procurement" / "dga" / "red_flags.csv"
    flags.parent.mkdir(parents=True)
    flags.write_text("project_id,flag\n1,R018\n1,R003\n2,R018\n", encoding="utf-8")
    clean = data / "clean" / "procurement" / "dga" / "procurement.csv"
    clean.parent.mkdir(parents=True)
    clean.write_text("project_id\n1\n2\n3\n4\n5\n", encoding="utf-8")
    # an agency whose clean table is Parquet only: projects counted from the footer
    flags_pq = data / "integrity" / "procurement" / "mof" / "red_flags.csv"
    flags_pq.parent.mkdir(parents=True)
    flags_pq.write_text("agency_code,project_id,flag_id\nmof,7,R018\n", encoding="utf-8")
    clean_pq = data / "clean" / "procurement" / "mof" / "procurement.parquet"
    clean_pq.parent.mkdir(parents=True)
    pq.write_table(pa.table({"project_id": ["7", "8", "9", "10"]}), clean_pq)
    summary = data / "integrity" / "procurement" / "cgd" / "summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text(json.dumps({"projects": 10, "flagged_projects": 1}))

    local = read_local_outputs(data)
    assert local.validation["procurement/dga"] == ValidationSummary(
        valid=False, privacy_findings=2, evidence="data/validation/procurement/dga/report.json"
    )
    assert local.red_flags["mof"].projects == 4
    assert local.red_flags["mof"].flagged_projects == 1
    assert local.red_flags["dga"] == RedFlagSummary(
        projects=5, flagged_projects=2, evidence="data/integrity/procurement/dga/red_flags.csv"
    )
    snap = snapshot(
        [organization("dga"), organization("cgd")],
        [dataset("dga", "procurement", [("p-2025.csv", "CSV", False)])],
    )
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    assert result.agencies[0].agency == "dga"
    dga = values(result.agencies[0].figures)
    assert (dga["validation_pass_rate"], dga["privacy_incidents_blocked"]) == (0.0, 2)
    assert dga["red_flag_rate"] == pytest.approx(2 / 5)
    # only agencies on the portal count (mof has no organization there)
    assert result.overall["red_flag_rate"].value == pytest.approx(3 / 15)
    assert result.overall["agencies_with_red_flags"].value == 2


def test_portal_report_wins_over_local(config: OgpConfig) -> None:
    local = LocalOutputs(
        validation={
            "procurement/dga": ValidationSummary(
                valid=False, privacy_findings=0, evidence="data/x.json"
            )
        },
        red_flags={},
    )
    snap = snapshot(
        [organization("dga")],
        [dataset("dga", "procurement", [("p-2025.csv", "CSV", False)])],
        {
            "dga-procurement": ValidationSummary(
                valid=True, privacy_findings=0, evidence=f"{PORTAL}/r"
            )
        },
    )
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    assert result.agencies[0].figures["validation_pass_rate"].evidence == [f"{PORTAL}/r"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"valid": True}, (True, 0)),
        ({"summary": {"valid": False, "privacy_findings": 4}}, (False, 4)),
        ({"valid": True, "privacy": {"count": 2}}, (True, 2)),
        ({"publishable": False, "quarantined_rows": [3]}, (False, 0)),
    ],
)
def test_validation_report_shapes(document: dict, expected: tuple[bool, int]) -> None:
    summary = summarize_validation_report(document, "r.json")
    assert (summary.valid, summary.privacy_findings) == expected


def test_validation_report_without_verdict_is_refused() -> None:
    with pytest.raises(ValueError, match=r"r\.json: validation report has no boolean 'valid'"):
        summarize_validation_report({"errors": []}, "r.json")

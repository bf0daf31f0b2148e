"""Indicators (pure computation) from portal snapshots and local facts, against hand-counted
values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.readiness.facts import LocalOutputs, RedFlagSummary, ValidationSummary
from pipelines.readiness.indicators import compute_indicators
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


def test_local_validation_and_red_flags(config: OgpConfig) -> None:
    local = LocalOutputs(
        validation={
            "procurement/dga": ValidationSummary(
                valid=False, privacy_findings=2, evidence="data/validation/procurement/dga/r.json"
            )
        },
        red_flags={
            "dga": RedFlagSummary(projects=5, flagged_projects=2, evidence="dga/red_flags.csv"),
            "cgd": RedFlagSummary(projects=10, flagged_projects=1, evidence="cgd/red_flags.csv"),
            "mof": RedFlagSummary(projects=4, flagged_projects=1, evidence="mof/red_flags.csv"),
        },
    )
    snap = snapshot(
        [organization("dga"), organization("cgd"), organization("doh")],
        [dataset("dga", "procurement", [("p-2025.csv", "CSV", False)])],
    )
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    cards = {card.agency: card for card in result.agencies}
    dga = values(cards["dga"].figures)
    assert (dga["validation_pass_rate"], dga["privacy_incidents_blocked"]) == (0.0, 2)
    assert dga["red_flag_rate"] == pytest.approx(2 / 5)
    assert cards["dga"].figures["red_flag_rate"].evidence == ["dga/red_flags.csv"]
    # no red-flag summary (no flags, or no gate output): unknown, never zero
    assert cards["doh"].figures["red_flag_rate"].value is None
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

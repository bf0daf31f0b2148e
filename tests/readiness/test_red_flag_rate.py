"""The red-flag rate from the integrity stage's ``rate`` (n flagged projects / N rows that passed
the schema), its evidence on the portal, and what makes it unknown or provisional."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.layout import integrity_files, report_json_path
from pipelines.readiness.red_flag_rate import red_flag_figures

from .conftest import PORTAL, dataset, organization, snapshot


def write_rate(data_dir: Path, agency: str, flagged: int, screened: int, hidden: list[str]) -> None:
    path = integrity_files(data_dir, agency).flags_json
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = {
        "flagged_projects": flagged,
        "screened_rows": screened,
        "published_rows": screened - len(hidden),
        "flagged_not_published": hidden,
    }
    path.write_text(json.dumps({"flags": [], "summary": {}, "rate": rate}), encoding="utf-8")


def received(data_dir: Path, agency: str) -> None:
    path = report_json_path(data_dir, "procurement", agency)
    path.parent.mkdir(parents=True)
    path.write_text('{"status": "blocked", "valid": false, "publishable": false}', "utf-8")


@pytest.fixture
def figures(tmp_path: Path) -> dict:
    write_rate(tmp_path, "aaa", 2, 10, ["67000000007"])  # red-flags.csv on the portal
    write_rate(tmp_path, "bbb", 1, 5, [])  # dataset on the portal, the file is not
    received(tmp_path, "ccc")  # received, blocked now: an earlier run's rate is not read
    write_rate(tmp_path, "ccc", 4, 4, [])
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc", "ddd")]
    datasets = [
        dataset("aaa", "procurement", [("red-flags.csv", "CSV", False)]),
        dataset("bbb", "procurement", [("procurement-2568.csv", "CSV", True)]),
        dataset("ccc", "procurement", []),
    ]
    return red_flag_figures(snapshot(orgs, datasets), tmp_path)


def test_an_agency_rate_is_n_over_the_rows_screened_with_the_portal_file(figures: dict) -> None:
    aaa = figures["red_flag_rate_aaa"]
    assert (aaa.ratio, aaa.value, aaa.status) == ("2/10", 0.2, "ok")
    assert aaa.evidence == [
        f"{PORTAL}/dataset/aaa-procurement/resource/aaa-procurement-red-flags-csv"
    ]
    assert "1 flagged project(s) quarantined by a business rule, not published: 67000000007" in (
        aaa.note_en or ""
    )
    assert "9 published" in (aaa.note_en or "")


def test_a_file_missing_from_the_portal_is_provisional(figures: dict) -> None:
    bbb = figures["red_flag_rate_bbb"]
    assert (bbb.ratio, bbb.status) == ("1/5", "provisional")
    assert bbb.evidence == [f"{PORTAL}/dataset/bbb-procurement"]


def test_received_without_a_rate_is_unknown_and_named_in_the_overall(figures: dict) -> None:
    assert (figures["red_flag_rate_ccc"].value, figures["red_flag_rate_ccc"].status) == (
        None,
        "unknown",
    )
    assert figures["red_flag_rate_ddd"].status == "unknown"
    overall = figures["red_flag_rate"]
    assert (overall.ratio, overall.status) == ("3/15", "provisional")
    assert overall.note_en == (
        "received but not computed: ccc; red-flag file not on the portal: bbb"
    )
    assert overall.note_th is not None

"""The bids and the procurement row agree on one rule: tender.numberOfTenderers is the
procurement row's number_of_bidders (what R018 reads), bids.details lists the bids sent, and a
project whose bid rows number otherwise is a data-quality warning; bids of a project the
procurement table lacks stay out of the package and are reported (ocds_bids.bids_quality)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa

from pipelines.integrity.ocds_bids import SCHEMA, bids_quality
from pipelines.integrity.ocds_export import export_release_package

PUBLISHED = dt.datetime(2024, 6, 1, 9, 30)


def bid(project_id: str, tax_id: str, amount: float, status: str = "valid") -> dict[str, Any]:
    return {
        "project_id": project_id,
        "agency_code": "cgd",
        "fiscal_year": 2024,
        "bidder_tax_id": tax_id,
        "bidder_name": f"บริษัท {tax_id[-4:]} จำกัด",
        "bid_amount": amount,
        "bid_status": status,
        "bid_date": None,
    }


def test_a_partial_bids_file_keeps_the_declared_number_of_tenderers(
    make_project, make_table, make_juristic_id, buyer
):
    row = make_project(1, number_of_bidders=5)
    bids = pa.Table.from_pylist([bid(row["project_id"], make_juristic_id(1), 900_000)], SCHEMA)
    package = export_release_package(make_table([row]), buyer, published=PUBLISHED, bids=bids)
    (release,) = package["releases"]
    assert release["tender"]["numberOfTenderers"] == 5
    assert len(release["bids"]["details"]) == 1
    assert release["bids"]["statistics"][0] == {
        "id": f"{row['project_id']}-bids",
        "measure": "bids",
        "value": 1,
    }
    quality = bids_quality(make_table([row]), bids)
    assert quality.count_mismatches == [row["project_id"]]
    assert quality.orphans == []


def test_a_withdrawn_bid_counts_as_the_procurement_row_says(
    make_project, make_table, make_juristic_id, buyer
):
    rows = [make_project(1, number_of_bidders=2), make_project(2, number_of_bidders=1)]
    sent = [
        bid(row["project_id"], make_juristic_id(10 * n + k), 900_000 + k, status)
        for n, row in enumerate(rows)
        for k, status in enumerate(("valid", "withdrawn"))
    ]
    bids = pa.Table.from_pylist(sent, SCHEMA)
    package = export_release_package(make_table(rows), buyer, published=PUBLISHED, bids=bids)
    assert [r["tender"]["numberOfTenderers"] for r in package["releases"]] == [2, 1]
    assert bids_quality(make_table(rows), bids).count_mismatches == [rows[1]["project_id"]]


def test_orphan_bids_are_left_out_and_reported(make_project, make_table, make_juristic_id, buyer):
    row = make_project(1)
    orphan = "67000000099"
    sent = [bid(row["project_id"], make_juristic_id(k), 900_000 + k) for k in (1, 2, 3)]
    sent += [bid(orphan, make_juristic_id(7), 1.0), bid(orphan, make_juristic_id(8), 2.0)]
    bids = pa.Table.from_pylist(sent, SCHEMA)
    package = export_release_package(make_table([row]), buyer, published=PUBLISHED, bids=bids)
    assert orphan not in json.dumps(package)
    assert make_juristic_id(7) not in json.dumps(package)
    quality = bids_quality(make_table([row]), bids)
    assert (quality.orphans, quality.orphan_rows, quality.count_mismatches) == ([orphan], 2, [])


def test_no_bids_no_warning(make_project, make_table):
    quality = bids_quality(make_table([make_project(1)]), None)
    assert (quality.orphans, quality.orphan_rows, quality.count_mismatches) == ([], 0, [])


HEADER = (
    "project_id,agency_code,fiscal_year,bidder_tax_id,bidder_name,bid_amount,bid_status,bid_date"
)


def _gate(tmp_path, amount: str, juristic_id):
    from pipelines.contracts import load_spec
    from pipelines.layout import validation_dir
    from pipelines.normalize import normalize_files
    from pipelines.validation.gate import validate_partition

    spec = load_spec("procurement_bids")
    tmp_path.mkdir(parents=True)
    drop = tmp_path / "procurement_bids_2568.csv"
    lines = [
        HEADER,
        f"68001000001,cgd,2568,{juristic_id(1)},บริษัท ก จำกัด,900000,valid,",
        f"68001000001,cgd,2568,{juristic_id(2)},บริษัท ข จำกัด,{amount},valid,",
    ]
    drop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    normal = normalize_files([drop], spec, agency="cgd")
    return validate_partition(
        "procurement_bids",
        "cgd",
        normal.table,
        spec,
        cast_errors=normal.cast_errors,
        personal_data=normal.personal_data,
        out_dir=validation_dir(tmp_path / "data", "procurement_bids", "cgd"),
    )


def _bound(result) -> dict[str, Any]:
    (outcome,) = [
        o
        for o in result.report["suite"]["outcomes"]
        if o["kwargs"].get("column") == "bid_amount" and "max_value" in o["kwargs"]
    ]
    return outcome


def test_an_absurd_bid_is_a_warning_and_above_a_trillion_refused(tmp_path, make_juristic_id):
    plausible = _gate(tmp_path / "a", "950000", make_juristic_id)
    assert _bound(plausible)["success"] is True
    absurd = _gate(tmp_path / "b", "500000000000", make_juristic_id)  # 500 billion baht
    assert str(absurd.status) == "passed"  # published, named in the report
    assert _bound(absurd)["success"] is False
    assert _bound(absurd)["severity"] == "warning"
    refused = _gate(tmp_path / "c", "2000000000000", make_juristic_id)  # the schema's bound
    assert str(refused.status) != "passed"


def _summary_text(ocds_metadata: dict[str, Any]) -> str:
    from rich.console import Console

    from pipelines.commands.progress import summary_table
    from pipelines.outcomes import RunSummary, Status, derived_outcome
    from pipelines.runlog import RunFacts

    facts = RunFacts(
        materialized={
            "clean_procurement": {},
            "procurement_ocds": ocds_metadata,
            "published_procurement": {"dataset_url": "http://portal/dataset/cgd-procurement"},
        }
    )
    upstream = {
        "clean_procurement": [],
        "procurement_ocds": ["clean_procurement"],
        "published_procurement": ["clean_procurement", "procurement_ocds"],
    }
    outcome = derived_outcome("cgd", "procurement_ocds", "procurement", facts, upstream)
    assert outcome.status is Status.PUBLISHED
    console = Console(width=200, record=True)
    table, _ = summary_table(RunSummary(outcomes=[outcome]))
    console.print(table)
    return " ".join(console.export_text().split())


def test_the_run_summary_line_names_orphan_bids_and_count_mismatches():
    text = _summary_text(
        {
            "status": "published",
            "orphan_bids": 2,
            "orphan_bid_projects": ["67000000099"],
            "bid_count_mismatches": 1,
        }
    )
    assert "2 bid(s) of projects not in the procurement table left out (67000000099)" in text
    assert "1 project(s) with bid rows other than number_of_bidders" in text
    clean = _summary_text({"status": "published", "orphan_bids": 0, "bid_count_mismatches": 0})
    assert "warning" not in clean

"""Derived fields declared in a contract (``derived:``), applied after casting.

A small family written here (contract, Table Schema, a CSV per test) in a temporary datasets
folder; the rules come from the contract, the Thai fiscal year from pipelines/thai.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.contracts import load_spec
from pipelines.contracts.loader import load_spec_file
from pipelines.contracts.models import DatasetSpec
from pipelines.normalize.table import NormalizeResult, normalize_file
from pipelines.settings import REPO_ROOT

FIELDS: list[dict[str, Any]] = [
    {"name": "id", "type": "string"},
    {"name": "day", "type": "date"},
    {"name": "signed", "type": "date"},
    {"name": "winner", "type": "string"},
    {"name": "fy", "type": "integer"},
    {"name": "year", "type": "integer"},
    {"name": "month", "type": "string"},
    {"name": "month_start", "type": "date"},
    {
        "name": "stage",
        "type": "string",
        "constraints": {"enum": ["announced", "awarded", "contracted"]},
    },
    {"name": "system", "type": "string"},
    {"name": "currency", "type": "string"},
]
DERIVED: dict[str, Any] = {
    "fy": {"from": "day", "rule": "fiscal_year"},
    "year": {"from": "day", "rule": "calendar_year"},
    "month": {"from": "day", "rule": "month"},
    "month_start": {"from": "day", "rule": "month"},
    "stage": {
        "cases": [
            {"when_present": "signed", "value": "contracted"},
            {"when_present": "winner", "value": "awarded"},
        ],
        "otherwise": "announced",
    },
    "system": {"constant": "e-GP"},
    "currency": {"default": "THB"},
}


def contract(root: Path, derived: dict[str, Any]) -> DatasetSpec:
    """The family ``mini`` (the agencies contract's CKAN block) with these derived fields."""
    agencies = yaml.safe_load((REPO_ROOT / "datasets/agencies/dataset.yaml").read_text("utf-8"))
    folder = root / "mini"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.json").write_text(json.dumps({"fields": FIELDS}), encoding="utf-8")
    document = {
        "name": "mini",
        "title": {"th": "ทดสอบ", "en": "Test"},
        "description": {"th": "ทดสอบ", "en": "Test"},
        "schema": "schema.json",
        "partitioned": False,
        "expectations": "mini",
        "ckan": agencies["ckan"],
        "derived": derived,
    }
    path = folder / "dataset.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_spec_file(path)


def normalise(tmp_path: Path, rows: list[dict[str, str]], derived: dict[str, Any]):
    spec = contract(tmp_path / "datasets", derived)
    path = tmp_path / "mini.csv"
    header = list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return normalize_file(path, spec)


def column(result: NormalizeResult, name: str) -> list[Any]:
    return result.table.column(name).to_pylist()


def test_fiscal_year_calendar_year_and_month_follow_the_date(tmp_path: Path) -> None:
    days = ["2024-09-30", "01/10/2567", "1 ต.ค. 2567", "31 ธันวาคม 2567", "", "31/02/2568"]
    result = normalise(tmp_path, [{"id": str(n), "day": d} for n, d in enumerate(days)], DERIVED)
    # the Thai fiscal year runs 1 October .. 30 September, named by its ending year (CE)
    assert column(result, "fy") == [2024, 2025, 2025, 2025, None, None]
    assert column(result, "year") == [2024, 2024, 2024, 2024, None, None]
    assert column(result, "month") == ["2024-09", "2024-10", "2024-10", "2024-12", None, None]
    assert column(result, "month_start")[:2] == [dt.date(2024, 9, 1), dt.date(2024, 10, 1)]
    # the impossible date stays a cast error on its own row; nothing is derived from it
    assert [(e["row_number"], e["field"]) for e in result.cast_errors] == [(7, "day")]
    counts = result.metadata()["normalizations"]
    assert counts["derived_fy"] == counts["derived_month"] == 4
    assert counts["derived_system"] == 6


def test_cases_take_the_first_that_holds_otherwise_the_fallback(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "signed": "2025-01-05", "winner": "บริษัท ก จำกัด"},
        {"id": "2", "signed": "", "winner": "บริษัท ข จำกัด"},
        {"id": "3", "signed": "", "winner": "  "},  # blank after trimming: not present
        {"id": "4", "signed": "2025-02-01", "winner": ""},
    ]
    result = normalise(tmp_path, rows, DERIVED)
    assert column(result, "stage") == ["contracted", "awarded", "announced", "contracted"]
    without_fallback = {"stage": {"cases": DERIVED["stage"]["cases"]}}
    result = normalise(tmp_path / "again", rows, without_fallback)
    assert column(result, "stage") == ["contracted", "awarded", None, "contracted"]


def test_constant_and_default_fill_an_absent_column(tmp_path: Path) -> None:
    result = normalise(tmp_path, [{"id": "1"}, {"id": "2"}], DERIVED)
    assert column(result, "system") == ["e-GP", "e-GP"]
    assert column(result, "currency") == ["THB", "THB"]
    assert "currency" not in result.missing_columns
    assert "system" not in result.missing_columns


def test_a_default_fills_only_the_blank_cells_of_a_column_the_file_has(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "currency": "USD"},
        {"id": "2", "currency": ""},
        {"id": "3", "currency": " "},
    ]
    result = normalise(tmp_path, rows, DERIVED)
    assert column(result, "currency") == ["USD", "THB", "THB"]
    assert result.metadata()["normalizations"]["derived_currency"] == 2


def test_the_file_wins_unless_the_contract_says_override(tmp_path: Path) -> None:
    rows = [{"id": "1", "day": "2024-10-01", "fy": "2567", "stage": "awarded", "system": "x"}]
    result = normalise(tmp_path, rows, DERIVED)
    assert column(result, "fy") == [2567]  # as written (this contract converts no BE year)
    assert column(result, "stage") == ["awarded"]
    assert column(result, "system") == ["x"]
    assert "derived_fy" not in result.metadata()["normalizations"]
    overriding = {
        "fy": {**DERIVED["fy"], "override": True},
        "system": {"constant": "e-GP", "override": True},
    }
    result = normalise(tmp_path / "again", rows, overriding)
    assert column(result, "fy") == [2025]
    assert column(result, "system") == ["e-GP"]


def test_a_blank_row_stays_blank(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "day": "2024-10-01", "currency": ""},
        {"id": " ", "day": "", "currency": ""},
    ]
    result = normalise(tmp_path, rows, DERIVED)
    assert column(result, "stage") == ["announced", None]
    assert column(result, "system") == ["e-GP", None]
    assert column(result, "currency") == ["THB", None]
    assert result.metadata()["normalizations"]["derived_currency"] == 1


def test_a_field_may_read_one_derived_before_it(tmp_path: Path) -> None:
    # signed, a date field, is filled from day (the month rule: its first day); stage reads it
    derived = {"signed": {"from": "day", "rule": "month"}, "stage": DERIVED["stage"]}
    result = normalise(tmp_path, [{"id": "1", "day": "2025-03-15"}, {"id": "2"}], derived)
    assert column(result, "signed") == [dt.date(2025, 3, 1), None]
    assert column(result, "stage") == ["contracted", "announced"]


@pytest.mark.parametrize("encoding", ["cp874", "utf-8-sig"])
def test_procurement_derives_fiscal_year_and_status_only_when_the_file_lacks_them(
    tmp_path: Path, encoding: str
) -> None:
    spec = load_spec("procurement")
    header = ["เลขที่โครงการ", "ชื่อโครงการ", "วิธีการจัดหา", "วงเงินงบประมาณ", "วันที่ประกาศ"]
    header += ["วันที่ลงนามสัญญา", "ผู้ชนะการเสนอราคา", "จำนวนผู้เสนอราคา"]
    rows = [
        ["68010000001", "ก", "วิธีเฉพาะเจาะจง", "1,000", "30/09/2567", "15 ต.ค. 2567", "บ", "๑"],
        ["68010000002", "ข", "วิธีเฉพาะเจาะจง", "1,000", "1 ต.ค. 2567", "", "บ", "๒"],
        ["68010000003", "ค", "วิธีเฉพาะเจาะจง", "1,000", "01/10/2567", "", "", ""],
    ]
    path = tmp_path / "p.csv"
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    result = normalize_file(path, spec, agency="dla")
    assert column(result, "fiscal_year") == [2024, 2025, 2025]
    assert column(result, "status") == ["contracted", "awarded", "announced"]
    assert column(result, "number_of_bidders") == [1, 2, None]
    assert result.cast_errors == []

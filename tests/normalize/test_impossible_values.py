"""Values that cannot be true are cast errors naming row, field and why -- never published.

One test per rule: non-finite numbers, integer overflow, Buddhist Era years outside the
contract's window, dates outside its date window, the decimal separator, and amounts above the
Table Schema maximum (a constraint the gate checks).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines import thai
from pipelines.contracts import DatasetSpec, SpecError, load_spec
from pipelines.contracts.loader import load_spec_file
from pipelines.contracts.models import NormalizeRules
from pipelines.integrity.ocds_export import write_release_package
from pipelines.normalize import normalize_file
from pipelines.normalize.cast import CastContext, cast_column, cast_errors
from pipelines.validation.gate import validate_partition
from tests.normalize.hostile_files import csv_text, row

PROCUREMENT = load_spec("procurement")


def cast(
    kind: str, cells: list[str | None], *, year: bool = False, **rules: Any
) -> tuple[list[Any], list[dict[str, Any]]]:
    context = CastContext(
        spec_field={"name": "x", "type": kind},
        value_aliases={},
        buddhist_era_year=year,
        rules=NormalizeRules(**rules),
    )
    text, typed = cast_column(pa.array(cells, pa.string()), context)
    return typed.to_pylist(), cast_errors(text, typed, context, 0)


@pytest.mark.parametrize(
    "cell", ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1e309", "-1e309", "1E400"]
)
def test_non_finite_numbers_are_errors(cell: str) -> None:
    values, errors = cast("number", ["12.5", cell])
    assert values == [12.5, None]
    assert [(e["row_number"], e["field"]) for e in errors] == [(3, "x")]
    assert "finite" in errors[0]["note"]


def test_large_but_finite_numbers_stay() -> None:
    values, errors = cast("number", ["1e308", "-1.5e300"])
    assert values == [1e308, -1.5e300]
    assert errors == []


def test_integers_beyond_int64_are_errors_not_crashes() -> None:
    values, errors = cast("integer", ["99999999999999999999", "123456789012345678", "7"])
    assert values == [None, 123456789012345678, 7]
    assert errors[0]["row_number"] == 2
    assert "18 digits" in errors[0]["note"]


@pytest.mark.parametrize(
    ("cell", "ok"),
    [
        ("2400", False),
        ("2700", False),
        ("2442", False),
        ("2443", True),
        ("2568", True),
        ("2643", True),
        ("2644", False),
    ],
)
def test_buddhist_era_years_outside_the_default_window(cell: str, ok: bool) -> None:
    values, errors = cast("integer", [cell], year=True)
    assert (values == [thai.be_to_ce(int(cell))]) is ok
    assert (errors == []) is ok
    if not ok:
        assert errors[0]["note"] == (
            "Buddhist Era year outside normalize.buddhist_era_window 2443..2643"
        )


def test_common_era_years_are_not_judged_by_the_buddhist_window() -> None:
    values, errors = cast("integer", ["2024", "1999"], year=True)
    assert values == [2024, 1999]  # the schema's minimum/maximum judge these
    assert errors == []


def test_the_buddhist_window_is_contract_data() -> None:
    values, errors = cast("integer", ["2500", "2568"], year=True, buddhist_era_window=(2550, 2600))
    assert values == [None, 2025]
    assert "2550..2600" in errors[0]["note"]


@pytest.mark.parametrize(
    "cell", ["9999-12-31", "0001-01-01", "01/01/2700", "1 ม.ค. 2400", "1899-12-31"]
)
def test_dates_outside_the_default_window_are_errors(cell: str) -> None:
    values, errors = cast("date", ["2024-01-31", cell])
    assert values == [dt.date(2024, 1, 31), None]
    assert errors[0]["row_number"] == 3
    assert errors[0]["note"] == "date outside normalize.date_window 1900-01-01..2100-12-31"


def test_the_date_window_is_contract_data_and_edges_are_inside() -> None:
    window = (dt.date(2000, 1, 1), dt.date(2030, 12, 31))
    values, errors = cast("date", ["2000-01-01", "31/12/2573", "1999-12-31"], date_window=window)
    assert values == [dt.date(2000, 1, 1), dt.date(2030, 12, 31), None]
    assert [e["row_number"] for e in errors] == [4]


def test_a_date_that_is_no_date_says_so() -> None:
    _, errors = cast("date", ["31/02/2567"])
    assert errors[0]["note"] == "not a date in a form the pipeline reads"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,234.56", 1234.56),
        ("1,234,567", 1234567.0),
        ("1234.5", 1234.5),
        ("฿ 1,000", 1000.0),
        ("1.234,56", None),
        ("1,5", None),
        ("12,34", None),
        ("1,2345.6", None),
    ],
)
def test_decimal_point_contracts_refuse_decimal_commas(cell: str, expected: float | None) -> None:
    values, errors = cast("number", [cell])
    assert values == [expected]
    if expected is None:
        assert "decimal_separator '.'" in errors[0]["note"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1.234,56", 1234.56),
        ("1.234.567", 1234567.0),
        ("1234,5", 1234.5),
        ("1,5", 1.5),
        ("12 500,75 บาท", 12500.75),
        ("1,234.56", None),
        ("1.5", None),
    ],
)
def test_decimal_comma_contracts_read_european_amounts(cell: str, expected: float | None) -> None:
    values, errors = cast("number", [cell], decimal_separator=",")
    assert values == [expected]
    if expected is None:
        assert "decimal_separator ','" in errors[0]["note"]


def test_windows_must_be_in_order(tmp_path: Path) -> None:
    family = tmp_path / "procurement"
    family.mkdir()
    source = Path("datasets/procurement")
    (family / "schema.json").write_text((source / "schema.json").read_text("utf-8"), "utf-8")
    text = (source / "dataset.yaml").read_text("utf-8")
    assert "buddhist_era_window: [2443, 2643]" in text
    (family / "dataset.yaml").write_text(
        text.replace("buddhist_era_window: [2443, 2643]", "buddhist_era_window: [2643, 2443]"),
        "utf-8",
    )
    with pytest.raises(SpecError, match="buddhist_era_window"):
        load_spec_file(family / "dataset.yaml")


def _with_rules(**rules: Any) -> DatasetSpec:
    spec = PROCUREMENT.model_copy(
        update={"normalize": PROCUREMENT.normalize.model_copy(update=rules)}
    )
    spec._table_schema = PROCUREMENT.schema
    return spec


def test_a_file_through_normalization_names_rows_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "procurement.csv"
    rows = [
        row(1),
        row(2, budget="Infinity"),
        row(3, fiscal_year="2700"),
        row(4, contract_date="9999-12-31"),
        row(5, budget="1.234,56"),
    ]
    path.write_text(csv_text(rows), encoding="utf-8")
    result = normalize_file(path, PROCUREMENT)
    found = {(e["row_number"], e["field"]) for e in result.cast_errors}
    assert found == {(3, "budget"), (4, "fiscal_year"), (5, "contract_date"), (6, "budget")}
    budgets = result.table.column("budget").to_pylist()
    assert all(value is None or math.isfinite(value) for value in budgets)
    # the same file under a decimal-comma contract: the European amount is understood
    european = normalize_file(path, _with_rules(decimal_separator=","))
    assert european.table.column("budget").to_pylist()[4] == 1234.56
    assert european.table.column("budget").to_pylist()[0] is None  # "1,000.50" is not European


def test_the_gate_quarantines_impossible_values_and_blocks_by_policy(tmp_path: Path) -> None:
    path = tmp_path / "procurement.csv"
    rows = [row(n) for n in range(1, 9)] + [row(9, budget="NaN"), row(10, budget="5e12")]
    path.write_text(csv_text(rows), encoding="utf-8")
    normalized = normalize_file(path, PROCUREMENT)
    quarantine = PROCUREMENT.model_copy(
        update={
            "policy": PROCUREMENT.policy.model_copy(
                update={"mode": "quarantine", "max_error_rate": 0.25}
            )
        }
    )
    quarantine._table_schema = PROCUREMENT.schema
    result = validate_partition(
        "procurement",
        "cgd",
        normalized.table,
        quarantine,
        cast_errors=normalized.cast_errors,
        out_dir=tmp_path / "report",
    )
    errors = {
        (e["rowNumber"], e["fieldName"], e["type"]) for e in result.report["schema"]["errors"]
    }
    assert (10, "budget", "type-error") in errors  # NaN: a cast error
    assert (11, "budget", "constraint-error") in errors  # 5e12 > the contract's maximum 1e12
    assert result.status == "quarantined"
    assert result.report["counts"]["invalid_rows"] == 2
    notes = [e["note"] for e in result.report["schema"]["errors"] if e["rowNumber"] == 10]
    assert any("finite" in note for note in notes)
    strict = validate_partition(
        "procurement",
        "cgd",
        normalized.table,
        PROCUREMENT,
        cast_errors=normalized.cast_errors,
        out_dir=tmp_path / "strict",
    )
    assert strict.status == "blocked"


def test_ocds_json_refuses_non_finite_numbers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        write_release_package({"releases": [{"value": float("nan")}]}, tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()
    written = write_release_package({"releases": [{"value": 1.5}]}, tmp_path / "q.json")
    assert json.loads(written.read_text("utf-8")) == {"releases": [{"value": 1.5}]}

"""Suites: refused when untrustworthy, rules fail on crafted bad rows, DuckDB == pandas."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pipelines.settings import REPO_ROOT
from pipelines.validation.suite import SuiteError, load_suite, run_suite

D = dt.date
EXPECTATIONS = REPO_ROOT / "expectations"


def write_suite(tmp_path: Path, expectations: list[dict[str, Any]], **meta: Any) -> Path:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "t", "meta": meta, "expectations": expectations}))
    return path


def test_unknown_expectation_type_is_refused(tmp_path: Path) -> None:
    path = write_suite(tmp_path, [{"type": "expect_column_values_to_be_lovely", "kwargs": {}}])
    with pytest.raises(SuiteError, match="expect_column_values_to_be_lovely") as error:
        load_suite(path)
    assert str(path) in str(error.value)


def test_bad_severity_is_refused(tmp_path: Path) -> None:
    item = {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 1},
        "meta": {"severity": "fatal"},
    }
    with pytest.raises(SuiteError, match="severity"):
        load_suite(write_suite(tmp_path, [item]))


@pytest.mark.parametrize("family", ["procurement", "decisions", "budget", "agencies"])
def test_project_suites_load(family: str) -> None:
    suite = load_suite(EXPECTATIONS / f"{family}.json")
    assert suite.expectations
    assert {spec.severity for spec in suite.expectations} <= {"error", "warning"}


def test_broken_expectation_raises_not_fails(tmp_path: Path) -> None:
    item = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such"}}
    suite = load_suite(write_suite(tmp_path, [item]))
    with pytest.raises(SuiteError, match="broke"):
        run_suite(suite, pa.table({"a": [1, 2]}))


def procurement(**changes: list[Any]) -> pa.Table:
    """Three good rows; ``changes`` replaces whole columns."""
    columns: dict[str, list[Any]] = {
        "project_id": ["66019000001", "66019000002", "66019000003"],
        "agency_code": ["cgd"] * 3,
        "fiscal_year": [2024, 2024, 2025],
        "project_name": ["ก", "ข", "ค"],
        "method": ["specific", "e_bidding", "selection"],
        "budget": [100.0, 200.0, 300.0],
        "reference_price": [100.0, 200.0, 300.0],
        "announce_date": [D(2023, 11, 1), D(2024, 1, 10), D(2024, 10, 2)],
        "bid_close_date": [None, None, None],
        "award_date": [None, None, None],
        "contract_date": [D(2023, 12, 1), D(2024, 2, 1), None],
        "number_of_bidders": [1, 3, None],
        "winner_tax_id": ["0105536012345", "0105536012345", None],
        "winner_name": ["บริษัท ก", "บริษัท ข", None],
        "contract_value": [90.0, 200.0, None],
        "status": ["contracted", "awarded", "announced"],
    }
    columns.update(changes)
    return pa.table(columns)


def failed(table: pa.Table, **parameters: Any) -> dict[str, int | None]:
    report = run_suite(load_suite(EXPECTATIONS / "procurement.json"), table, parameters=parameters)
    return {o.label.split(" / ")[0]: o.unexpected_count for o in report.outcomes if not o.success}


def test_good_procurement_passes() -> None:
    assert failed(procurement()) == {}


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"contract_value": [90.0, 250.0, None]}, "Contract value within the budget (× tolerance)"),
        (
            {"contract_date": [D(2023, 10, 1), D(2024, 2, 1), None]},
            "Contract signed on or after the announcement",
        ),
        (
            {"fiscal_year": [2024, 2025, 2025]},
            "Fiscal year matches the announcement date (Oct–Sep)",
        ),
        ({"number_of_bidders": [1, 0, None]}, "At least one bidder on awarded projects"),
        ({"status": ["contracted", "won", "announced"]}, "Known project status"),
        ({"budget": [100.0, 200.0, -1.0]}, "Budgets are not negative"),
    ],
)
def test_each_procurement_rule_fails_on_its_bad_row(
    changes: dict[str, list[Any]], rule: str
) -> None:
    result = failed(procurement(**changes))
    assert list(result) == [rule]
    if result[rule] is not None:
        assert result[rule] == 1


def test_tolerance_and_resent_file_parameters() -> None:
    over = procurement(contract_value=[90.0, 210.0, None])
    assert "Contract value within the budget (× tolerance)" in failed(over)
    assert failed(over, contract_budget_tolerance=1.1) == {}
    assert list(failed(procurement(), min_fiscal_year=2026)) == [
        "Recent fiscal year present (not last year's file re-sent)"
    ]


def test_duckdb_and_pandas_report_the_same_counts(tmp_path: Path) -> None:
    """Catches a GX upgrade breaking the DuckDB route (empty metrics, reordered results)."""
    items = [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "v"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "v", "min_value": 0, "max_value": 10},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "s", "value_set": ["a", "b"]},
        },
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {
                "column_A": "hi",
                "column_B": "lo",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        },
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ]
    table = pa.table(
        {
            "v": [1.0, None, 11.0, -2.0, 5.0, None],
            "s": ["a", "b", "c", "a", "z", "b"],
            "hi": [1, 2, 3, 0, 5, None],
            "lo": [0, 2, 4, 1, 1, 1],
        }
    )
    suite = load_suite(write_suite(tmp_path, items))
    counts = {
        engine: [o.unexpected_count for o in run_suite(suite, table, engine=engine).outcomes]
        for engine in ("duckdb", "pandas")
    }
    assert counts["duckdb"] == [2, 2, 2, 2, None]
    assert counts["pandas"] == counts["duckdb"]

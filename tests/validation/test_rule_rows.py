"""Rows behind failed business rules: named by key, numbered like schema errors, or blocking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.validation.rule_rows import RuleRows, locate_rule_rows
from pipelines.validation.suite import Engine, load_suite, run_suite

IN_SET = {
    "type": "expect_column_values_to_be_in_set",
    "kwargs": {"column": "kind", "value_set": ["a"]},
    "meta": {"description": "kind is a"},
}
PAIR = {
    "type": "expect_column_pair_values_a_to_be_greater_than_b",
    "kwargs": {"column_A": "hi", "column_B": "lo", "or_equal": True},
}
QUERY = {
    "type": "unexpected_rows_expectation",
    "kwargs": {"unexpected_rows_query": "SELECT id FROM {batch} WHERE hi > ${limit}"},
}
ROW_COUNT = {"type": "expect_table_row_count_to_be_between", "kwargs": {"max_value": 10}}


def table(rows: int = 100, bad_kinds: range = range(0)) -> pa.Table:
    return pa.table(
        {
            "id": [f"id-{n}" for n in range(rows)],
            "kind": ["b" if n in bad_kinds else "a" for n in range(rows)],
            "hi": [5] * rows,
            "lo": [1] * rows,
        }
    )


def locate(
    tmp_path: Path,
    expectations: list[dict[str, Any]],
    data: pa.Table | Path,
    *,
    key: tuple[str, ...] = ("id",),
    max_rows: int = 1000,
    engine: Engine = "duckdb",
    **parameters: Any,
) -> RuleRows:
    path = tmp_path / "suite.json"
    document = {"name": "t", "meta": {"parameters": parameters}, "expectations": expectations}
    path.write_text(json.dumps(document))
    suite = load_suite(path)
    report = run_suite(suite, data, engine=engine)
    return locate_rule_rows(suite, report, data, key, max_rows=max_rows, engine=engine)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_every_failing_row_is_named_beyond_gx_partial_list(tmp_path: Path, engine: Any) -> None:
    bad = range(10, 80, 2)  # 35 rows: more than GX's default 20
    found = locate(tmp_path, [IN_SET], table(bad_kinds=bad), engine=engine)
    assert found.blocking == []
    assert sorted(found.row_numbers) == [n + 2 for n in bad]  # header = row 1
    assert {(r.rule, r.type, r.columns) for r in found.rows} == {
        ("kind is a", "expect_column_values_to_be_in_set", ("kind",))
    }


def test_rows_are_found_in_a_parquet_file_in_file_order(tmp_path: Path) -> None:
    data = table().set_column(2, "hi", pa.array([5] * 99 + [0]))  # last row: hi < lo
    path = tmp_path / "typed.parquet"
    pq.write_table(data, path, row_group_size=16)
    found = locate(tmp_path, [PAIR], path)
    assert [(r.row_number, r.columns) for r in found.rows] == [(101, ("hi", "lo"))]


def test_query_rows_are_named_by_their_key_even_if_duplicated(tmp_path: Path) -> None:
    data = table(rows=300).set_column(2, "hi", pa.array([9 if n % 2 else 5 for n in range(300)]))
    ids = [f"id-{n}" for n in range(300)]
    ids[298] = "id-1"  # a passing row that shares a failing row's key: it goes too
    found = locate(tmp_path, [QUERY], data.set_column(0, "id", pa.array(ids)), limit=6)
    assert found.blocking == []
    assert found.row_numbers == {n + 2 for n in range(1, 300, 2)} | {300}


def test_query_without_the_key_columns_blocks(tmp_path: Path) -> None:
    query = {
        "type": "unexpected_rows_expectation",
        "kwargs": {
            "unexpected_rows_query": QUERY["kwargs"]["unexpected_rows_query"].replace(
                "SELECT id", "SELECT hi"
            )
        },
    }
    data = table().set_column(2, "hi", pa.array([9] + [5] * 99))
    found = locate(tmp_path, [query], data, limit=6)
    assert found.rows == []
    assert [o.type for o in found.blocking] == ["unexpected_rows_expectation"]


def test_table_level_failure_blocks_and_names_no_rows(tmp_path: Path) -> None:
    found = locate(tmp_path, [IN_SET, ROW_COUNT], table(bad_kinds=range(1)))
    assert found.rows == []
    assert [o.type for o in found.blocking] == [IN_SET["type"], ROW_COUNT["type"]]


def test_more_failing_rows_than_the_policy_allows_block(tmp_path: Path) -> None:
    found = locate(tmp_path, [IN_SET], table(bad_kinds=range(5)), max_rows=4)
    assert found.rows == []
    assert len(found.blocking) == 1


def test_no_primary_key_blocks(tmp_path: Path) -> None:
    found = locate(tmp_path, [IN_SET], table(bad_kinds=range(1)), key=())
    assert found.rows == []
    assert len(found.blocking) == 1


def test_compound_uniqueness_on_sql_blocks(tmp_path: Path) -> None:
    """GX gives no keys for compound uniqueness on SQL: documented, blocking, caught here should
    a GX upgrade change it."""
    unique = {
        "type": "expect_compound_columns_to_be_unique",
        "kwargs": {"column_list": ["hi", "lo"]},
    }
    found = locate(tmp_path, [unique], table(rows=3))
    assert found.rows == []
    assert [o.type for o in found.blocking] == ["expect_compound_columns_to_be_unique"]


def test_warning_rules_are_named_but_neither_quarantine_nor_block(tmp_path: Path) -> None:
    # issue 16: a warning row is published and flagged, and the report names it
    warning = {**IN_SET, "meta": {"severity": "warning"}}
    found = locate(tmp_path, [warning], table(bad_kinds=range(3)))
    assert [(row.row_number, row.severity) for row in found.rows] == [
        (2, "warning"),
        (3, "warning"),
        (4, "warning"),
    ]
    assert found.row_numbers == set()  # nothing to quarantine
    assert found.blocking == []

"""The fast path against frictionless itself: same errors, same order, same cap."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.validation.errors import SchemaError
from pipelines.validation.frictionless_ref import ReferenceTable, validate_with_frictionless
from pipelines.validation.schema_fast import validate_schema

from .corpus import GOOD_ROW, HEADER, SCHEMA, VOCABULARY, rule_cases, write_csv

CASES = rule_cases()


def keys(errors: list[SchemaError]) -> Counter[tuple[str, int | None, str | None]]:
    return Counter(error.key for error in errors)


def assert_same(path: Path, references: dict[str, ReferenceTable], limit: int = 0) -> str:
    ours = validate_schema(path, SCHEMA, references=references, limit_errors=limit)
    theirs = validate_with_frictionless(path, SCHEMA, references=references, limit_errors=limit)
    assert keys(ours.errors) == keys(theirs.errors)
    assert [e.to_dict() for e in ours.errors] == [e.to_dict() for e in theirs.errors]
    if not limit:  # frictionless stops reading at its cap
        assert ours.row_count == theirs.row_count
    return ours.engine


def test_good_file_has_no_errors(tmp_path: Path, agencies: dict[str, ReferenceTable]) -> None:
    path = write_csv(tmp_path / "good.csv", [HEADER, GOOD_ROW])
    report = validate_schema(path, SCHEMA, references=agencies)
    assert report.valid, report.errors
    assert report.engine == "duckdb"


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_fails_like_frictionless(
    case: str, tmp_path: Path, agencies: dict[str, ReferenceTable]
) -> None:
    path = write_csv(tmp_path / f"{case}.csv", CASES[case])
    assert_same(path, agencies)
    report = validate_schema(path, SCHEMA, references=agencies)
    assert not report.valid
    expected = case.removeprefix("type-").split("-")[0]
    found = {error.type for error in report.errors} | {
        note.split('"')[1] for note in (e.note for e in report.errors) if note.startswith("constr")
    }
    if case not in {"combined", "format-email"} and not case.startswith("type-"):
        assert any(expected in kind for kind in found), found


def test_regular_files_stay_on_the_fast_path(
    tmp_path: Path, agencies: dict[str, ReferenceTable]
) -> None:
    path = write_csv(tmp_path / "combined.csv", CASES["combined"])
    assert assert_same(path, agencies) == "duckdb"


def test_irregular_rows_fall_back_to_frictionless(
    tmp_path: Path, agencies: dict[str, ReferenceTable]
) -> None:
    path = write_csv(tmp_path / "ragged.csv", CASES["extra-cell"])
    report = validate_schema(path, SCHEMA, references=agencies)
    assert report.engine == "frictionless"
    assert "different number of cells" in (report.fallback_reason or "")


def test_unusual_key_literal_falls_back(
    tmp_path: Path, agencies: dict[str, ReferenceTable]
) -> None:
    # "1_000" is an integer to Python but not to our SQL; in a unique column that matters.
    path = write_csv(tmp_path / "odd.csv", [HEADER, ["12345678901", *GOOD_ROW[1:8], "1_000", ""]])
    report = validate_schema(path, SCHEMA, references=agencies)
    assert report.engine == "frictionless"
    assert "code" in (report.fallback_reason or "")


def test_missing_reference_falls_back(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "good.csv", [HEADER, GOOD_ROW])
    report = validate_schema(path, SCHEMA)
    assert report.engine == "frictionless"
    assert [error.type for error in report.errors] == ["resource-error"]


def test_cap_matches_frictionless(tmp_path: Path, agencies: dict[str, ReferenceTable]) -> None:
    rows = [HEADER] + [["x", *GOOD_ROW[1:3], "oops", *GOOD_ROW[4:8], str(i), ""] for i in range(40)]
    path = write_csv(tmp_path / "many.csv", rows)
    assert_same(path, agencies, limit=25)
    report = validate_schema(path, SCHEMA, references=agencies, limit_errors=25)
    assert report.truncated
    assert len(report.errors) == 25
    assert len(report.invalid_rows) == 40  # the uncapped truth, for quarantine


def test_arrow_table_is_validated_as_its_csv(agencies: dict[str, ReferenceTable]) -> None:
    table = pa.table({name: [value, value] for name, value in zip(HEADER, GOOD_ROW, strict=True)})
    report = validate_schema(table, SCHEMA, references=agencies)
    assert [error.type for error in report.errors] == ["unique-error", "primary-key"]


rows_strategy = st.lists(
    st.tuples(*(st.sampled_from(column) for column in VOCABULARY)), min_size=0, max_size=12
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_strategy)
def test_generated_files_match_frictionless(
    rows: list[tuple[str, ...]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("gen")
    references = {
        "agencies": ReferenceTable(
            path=write_csv(directory / "agencies.csv", [["agency_code", "name_en"], ["cgd", "x"]]),
            schema={"fields": [{"name": "agency_code"}, {"name": "name_en"}]},
        )
    }
    path = directory / "data.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([HEADER, *rows])
    assert_same(path, references)


def test_streamed_in_small_batches_errors_stay_the_same(
    tmp_path: Path, agencies: dict[str, ReferenceTable], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Big tables arrive in many batches: row numbers, keys and order must span them.
    from pipelines.validation import tables

    monkeypatch.setattr(tables, "BATCH_ROWS", 2)
    monkeypatch.setattr(tables, "BLOCK_SIZE", 128)
    path = write_csv(tmp_path / "combined.csv", CASES["combined"])
    assert len(CASES["combined"]) > 2 * 4  # several batches
    assert assert_same(path, agencies) == "duckdb"


@pytest.mark.parametrize(
    ("primary_key", "b_unique"),
    [
        (["a", "b"], True),  # repeats of a key with a missing part, and all-missing keys
        (["a", "absent"], False),  # a key field with no column
        (["absent"], False),  # no key column at all: the key table only counts rows
        ([], True),
    ],
)
def test_keys_with_missing_parts_fail_like_frictionless(
    primary_key: list[str], b_unique: bool, tmp_path: Path
) -> None:
    fields = [
        {"name": "a", "type": "integer"},
        {"name": "b", "constraints": {"unique": b_unique}},
        {"name": "note"},
        {"name": "absent"},
    ]
    schema = {"fields": fields, "primaryKey": primary_key} if primary_key else {"fields": fields}
    rows = [["1", "", "x"], ["1", "", "y"], ["", "", "z"], ["2", "k", "w"], ["2", "k", "v"]]
    path = write_csv(
        tmp_path / "keys.csv", [["a", "b", "note"], *rows, ["", "", ""], ["1", "", "u"]]
    )
    ours = validate_schema(path, schema, limit_errors=0)
    theirs = validate_with_frictionless(path, schema, limit_errors=0)
    assert ours.engine == "duckdb"
    assert [e.to_dict() for e in ours.errors] == [e.to_dict() for e in theirs.errors]
    assert ours.errors  # there is something to agree on

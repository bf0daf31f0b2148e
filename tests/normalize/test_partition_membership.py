"""An agency's file holding another agency's rows: those rows are not its data. They are cast
errors of the partition field (named by row, field and both agencies) and never published under
the sending agency; the sending agency named by code, Thai name or alias is its own."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.contracts import load_specs
from pipelines.normalize import normalize_file
from tests.normalize.hostile_files import csv_text, row


def write(tmp_path: Path) -> Path:
    path = tmp_path / "procurement_2568.csv"
    rows = [
        row(1),
        row(2, agency_code="pcd"),  # another registered agency's project
        row(3, agency_code="กรมบัญชีกลาง"),  # cgd by its Thai name
        row(4, agency_code="pcd"),
    ]
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def test_rows_of_another_agency_are_cast_errors_of_the_partition_field(tmp_path: Path) -> None:
    result = normalize_file(write(tmp_path), load_specs()["procurement"], agency="cgd")
    errors = [e for e in result.cast_errors if e["field"] == "agency_code"]
    assert [e["row_number"] for e in errors] == [3, 5]
    assert all("belongs to agency 'pcd', not to 'cgd'" in e["note"] for e in errors)
    assert result.table.column("agency_code").to_pylist() == ["cgd", None, "cgd", None]
    assert result.counts["agency_code_of_another_partition"] == 2


def test_without_an_agency_the_file_is_not_judged_by_partition(tmp_path: Path) -> None:
    result = normalize_file(write(tmp_path), load_specs()["procurement"])
    assert [e for e in result.cast_errors if e["field"] == "agency_code"] == []
    assert result.table.column("agency_code").to_pylist() == ["cgd", "pcd", "cgd", "pcd"]


def test_ogp_validate_as_the_agency_names_the_rows(tmp_path: Path) -> None:
    path = write(tmp_path)
    args = ["validate", str(path), "--dataset", "procurement", "--agency", "cgd"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "row 3, field 'agency_code'" in result.output
    assert "row 5, field 'agency_code'" in result.output

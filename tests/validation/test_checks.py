"""The blocking checks as the clean asset yields them, through a real Dagster materialization."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.defs.checks import check_results, check_specs_for
from pipelines.validation.gate import validate_partition

from .test_gate import SPEC, row, write


def test_specs_are_blocking_and_named() -> None:
    specs = check_specs_for("procurement")
    assert [spec.name for spec in specs] == ["schema", "suite", "privacy"]
    assert all(spec.blocking for spec in specs)
    assert {spec.asset_key for spec in specs} == {dg.AssetKey("clean_procurement")}


def materialize(tmp_path: Path, rows: list[list[str]]) -> dict[str, dg.AssetCheckEvaluation]:
    path = write(tmp_path, rows)

    @dg.asset(key="clean_procurement", check_specs=check_specs_for("procurement"))
    def clean_procurement() -> dg.MaterializeResult:
        result = validate_partition("procurement", "cgd", path, SPEC, out_dir=tmp_path / "r")
        return dg.MaterializeResult(check_results=check_results(result))

    outcome = dg.materialize([clean_procurement], raise_on_error=False)
    return {e.check_name: e for e in outcome.get_asset_check_evaluations()}


def test_checks_pass_on_a_good_partition(tmp_path: Path) -> None:
    evaluations = materialize(tmp_path, [row(1)])
    assert {name: e.passed for name, e in evaluations.items()} == {
        "schema": True,
        "suite": True,
        "privacy": True,
    }
    assert evaluations["schema"].metadata["report"].value.endswith("report.html")


def test_failed_checks_carry_counts_by_type(tmp_path: Path) -> None:
    evaluations = materialize(
        tmp_path,
        [
            row(1),
            row(2, project_id="12", agency_code="nowhere"),
            row(3, project_id="x", agency_code="nowhere"),
        ],
    )
    assert not evaluations["schema"].passed
    assert evaluations["schema"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations["schema"].metadata["errors_by_type"].value == {
        "constraint-error": 2,
        "foreign-key": 2,
    }

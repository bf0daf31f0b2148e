"""`ogp validate --json --agency A` prints exactly the report.json the pipeline's gate writes for
the same file in agency A's partition: the real raw_ and clean_ assets (built by the pull
factory) are materialized in Dagster with a data folder and a drop folder of the test's own, on
generated files — valid, with schema errors, with rows to quarantine, with personal data.

Nothing is published; the demo data folder is not touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from stdnum.th import pin
from typer.testing import CliRunner

from pipelines.contracts import FileSource, load_spec
from pipelines.contracts.models import Sources
from pipelines.defs.pull import build_pull_assets
from pipelines.settings import get_settings

from .test_cli_validate import app
from .test_gate import row, write

AGENCY = "cgd"  # a partition of the registry
FAMILY = "procurement"


def citizen_id() -> str:
    body = "310050012345"
    return body + pin.calc_check_digit(body)


CASES: dict[str, list[list[str]]] = {
    "valid": [row(n) for n in range(1, 6)],
    "schema_errors": [row(1), row(2, project_id="12", agency_code="nowhere"), row(3)],
    "quarantine": [
        *(row(n) for n in range(1, 20)),
        row(20, budget="lots"),  # a cast error: the row is quarantined (1 in 20 < 10 %)
    ],
    "personal_data": [row(1), row(2, project_name=f"ผู้ยื่น {citizen_id()}"), row(3)],
}
EXPECTED_STATUS = {
    "valid": "passed",
    "schema_errors": "blocked",
    "quarantine": "quarantined",
    "personal_data": "blocked",
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setenv("OGP_DATA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def pipeline_report(drop: Path, data_dir: Path) -> dict[str, Any]:
    """The report.json the gate of clean_<family>[AGENCY] writes, the drop being the source."""
    spec = load_spec(FAMILY)
    sources = Sources(default=FileSource(path=str(drop / "*.csv")))
    dropped = spec.model_copy(update={"sources": sources})
    dropped._table_schema = spec.schema
    outcome = dg.materialize(
        build_pull_assets({FAMILY: dropped}),
        partition_key=AGENCY,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    report = data_dir / "validation" / FAMILY / AGENCY / "report.json"
    document = dict(json.loads(report.read_text(encoding="utf-8")))
    # a blocking check that failed fails the clean step, and only then
    assert outcome.success == (document["status"] != "blocked"), [
        e.message for e in outcome.all_events if e.is_failure
    ]
    return document


@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_prints_the_pipelines_report(case: str, tmp_path: Path, data_dir: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    path = write(drop, CASES[case])
    expected = pipeline_report(drop, data_dir)
    assert expected["status"] == EXPECTED_STATUS[case], expected["reasons"]

    result = CliRunner().invoke(
        app, ["validate", str(path), "--dataset", FAMILY, "--agency", AGENCY, "--json"]
    )
    assert result.exit_code == (0 if case == "valid" else 1), result.output
    assert json.loads(result.stdout) == expected


def test_the_cases_exercise_what_they_are_named_for(tmp_path: Path) -> None:
    """The generated inputs carry what the equality above must cover."""
    result = CliRunner().invoke(
        app,
        ["validate", str(write(tmp_path, CASES["personal_data"])), "--dataset", FAMILY, "--json"],
    )
    report = json.loads(result.stdout)
    assert report["agency"] == "local"  # no --agency: not a partition of the pipeline
    assert report["counts"]["personal_data_by_kind"].get("citizen_id", 0) >= 1
    assert citizen_id() not in result.stdout


@pytest.mark.parametrize("agency", ["../x", "zz-not-registered"])
def test_an_agency_outside_the_registry_is_a_usage_error(agency: str, tmp_path: Path) -> None:
    path = write(tmp_path, CASES["valid"])
    result = CliRunner().invoke(
        app, ["validate", str(path), "--dataset", FAMILY, "--agency", agency]
    )
    assert result.exit_code == 2
    assert "not an agency of the registry" in result.output


def test_validate_never_types_the_file_a_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The normaliser types the file once; the gate reads its Parquet. The DuckDB typing of a
    bare CSV (typed_csv, for callers without a clean Parquet) is not on validate's path."""
    from pipelines.validation import gate as gate_module
    from pipelines.validation.gate import validate_partition

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the CSV was typed a second time")

    monkeypatch.setattr(gate_module, "TypedParquetWriter", refuse)
    path = write(tmp_path, CASES["quarantine"])
    result = CliRunner().invoke(app, ["validate", str(path), "--dataset", FAMILY, "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["status"] == "quarantined"
    # the control: a gate given the bare CSV does take that route
    with pytest.raises(AssertionError, match="second time"):
        validate_partition(FAMILY, AGENCY, path, load_spec(FAMILY), out_dir=tmp_path / "r")

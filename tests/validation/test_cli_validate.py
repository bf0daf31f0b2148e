"""``ogp validate``: exit codes 0 valid, 1 invalid, 2 usage error / unreadable input."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from pipelines.commands.validate import validate

from .test_gate import row, write

app = typer.Typer()
app.command()(validate)


@app.callback()
def main() -> None:
    """Group, so the command is invoked by name as under ``ogp``."""


runner = CliRunner()


def test_valid_file_exits_0(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["validate", str(write(tmp_path, [row(1)])), "--dataset", "procurement"]
    )
    assert result.exit_code == 0, result.output
    assert "passed" in result.output


def test_invalid_file_exits_1_and_json_names_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, [row(1), row(2, project_id="12")])
    result = runner.invoke(app, ["validate", str(path), "--dataset", "procurement", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["schema"]["errors"][0]["rowNumber"] == 3
    assert report["schema"]["errors"][0]["fieldName"] == "project_id"


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["validate", str(tmp_path / "nope.csv"), "--dataset", "procurement"]
    )
    assert result.exit_code == 2
    assert "nope.csv" in result.output


def test_unknown_dataset_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, [row(1)])
    assert runner.invoke(app, ["validate", str(path), "--dataset", "nothing"]).exit_code == 2


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip")
    result = runner.invoke(app, ["validate", str(path), "--dataset", "procurement"])
    assert result.exit_code == 2
    assert "broken.xlsx" in result.output


def test_a_file_without_extension_is_refused_as_the_pipeline_refuses_it(tmp_path: Path) -> None:
    """A drop without an extension lands as .bin, which no reader takes: one clear line."""
    path = write(tmp_path, [row(1)]).rename(tmp_path / "procurement")
    result = runner.invoke(app, ["validate", str(path), "--dataset", "procurement"])
    assert result.exit_code == 2
    assert "no file extension" in result.output
    assert len(result.output.strip().splitlines()) == 1

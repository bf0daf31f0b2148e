"""``ogp validate FILE --dataset decisions|procurement --json`` finds every disguised personal
value of the generated corpus (CSV and XLSX), names its row, column and kind, and prints none of
them; its temporary copies are gone afterwards."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pipelines.commands.validate import validate
from pipelines.hashing import file_sha256
from pipelines.validation.personal_text import detect

from .personal_corpus import (
    UNMAPPED,
    Placed,
    citizen_id,
    corpus,
    decisions_rows,
    mobile,
    procurement_row,
    write_csv,
    write_xlsx,
)

app = typer.Typer()
app.command()(validate)


@app.callback()
def main() -> None:
    """Group, so the command is invoked by name as under ``ogp``."""


INTEGER_COLUMNS = {"processing_days", "statutory_deadline_days"}


def run_validate(
    path: Path, dataset: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[dict[str, Any], str, Path]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = CliRunner().invoke(app, ["validate", str(path), "--dataset", dataset, "--json"])
    assert result.exit_code == 1, result.output  # personal data blocks
    return json.loads(result.stdout), result.stdout, scratch


def found(report: dict[str, Any]) -> set[tuple[int, str, str]]:
    return {(f["rowNumber"], f["column"], f["kind"]) for f in report["privacy"]["findings"]}


def assert_nothing_personal(text: str, values: list[str]) -> None:
    for value in values:
        assert value not in text
    report = json.loads(text)
    report.pop("input_sha256", None)
    for string in _strings(report):
        assert detect(string) == [], string
    # files are named by their sha256 (the landed copy): a digest may hold 13 digits in a row
    plain = re.sub(r"[0-9a-f]{64}", "#", json.dumps(report, ensure_ascii=False))
    assert not re.search(r"(?<![0-9])[1-8][0-9]{12}(?![0-9])", plain)
    assert not re.search(r"(?<![0-9])0[689][0-9]{8}(?![0-9])", plain)


def _strings(document: Any) -> list[str]:
    if isinstance(document, dict):
        return [s for value in document.values() for s in _strings(value)] + list(document)
    if isinstance(document, list):
        return [s for value in document for s in _strings(value)]
    return [document] if isinstance(document, str) else []


def test_the_corpus_is_big_and_varied() -> None:
    values = corpus()
    assert len(values) >= 50
    assert {value.kind for value in values} == {"citizen_id", "phone", "email"}
    assert len({value.text for value in values}) == len(values)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_validate_reports_every_disguised_value(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, placed = decisions_rows()
    writer = write_csv if suffix == "csv" else write_xlsx
    path = writer(tmp_path / f"decisions.{suffix}", rows)
    report, output, scratch = run_validate(path, "decisions", monkeypatch, tmp_path)

    expected = {(p.row_number, p.column, p.value.kind) for p in placed}
    assert found(report) == expected  # every value, and nothing in the clean cells
    actions = {(f["rowNumber"], f["column"]): f["action"] for f in report["privacy"]["findings"]}
    for item in placed:
        action = actions[(item.row_number, item.column)]
        if item.column == UNMAPPED:
            assert action == "not_published"
        elif item.column in INTEGER_COLUMNS:
            assert action == "block"  # an integer cannot be masked
    # named as the pipeline names it: the landed copy, by content (the reports are equal)
    assert {f.get("file") for f in report["privacy"]["findings"]} == {
        f"{file_sha256(path)}.{suffix}"
    }
    assert report["status"] == "blocked"
    assert report["publishable"] is False
    assert_nothing_personal(output, [p.value.canonical for p in placed] + _long_texts(placed))
    assert list(scratch.iterdir()) == []  # no temporary copy of the file left behind


def _long_texts(placed: list[Placed]) -> list[str]:
    return [p.value.text for p in placed if len(p.value.text) >= 8]


@pytest.mark.timeout(300)
def test_validate_procurement_scans_identifiers_and_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = citizen_id(901)
    phone = mobile(902)
    rows = [
        procurement_row(1),
        procurement_row(2, project_id=f"{phone[:3]}-{phone[3:6]}-{phone[6:]}"),
        procurement_row(3, winner_tax_id=person),  # a sole trader: the tax id is a citizen ID
        procurement_row(4, number_of_bidders="๐๘๑-๒๓๔-๕๖๗๘"),
        procurement_row(5, budget="０８９．８７６．５４３２"),
        procurement_row(6, winner_name="นาย สมชาย ใจดี somchai.j%40gmail.com"),
        procurement_row(7),
    ]
    path = write_csv(tmp_path / "procurement.csv", rows)
    report, output, _ = run_validate(path, "procurement", monkeypatch, tmp_path)
    assert found(report) == {
        (3, "project_id", "phone"),
        (4, "winner_tax_id", "citizen_id"),
        (5, "number_of_bidders", "phone"),
        (6, "budget", "phone"),
        (7, "winner_name", "email"),
    }
    # A sole trader's citizen id as the winner's tax id is masked (the contract says so since
    # issue 16); personal data anywhere else blocks the partition.
    actions = {(f["column"], f["action"]) for f in report["privacy"]["findings"]}
    assert ("winner_tax_id", "mask") in actions
    assert {action for column, action in actions if column != "winner_tax_id"} == {"block"}
    assert_nothing_personal(output, [person, phone, "0812345678", "0898765432", "somchai.j"])

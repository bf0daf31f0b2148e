"""Two `ogp run`s of one sandbox catalog (tests/deploy/sandbox.py) against the real local portal,
shared by the tests of the summary and of the console:

* agency 0 has sent no decisions file yet (awaiting data);
* agency 1's decisions carry a valid Thai citizen ID in a remark (blocked by the privacy check);
* first run: the OCDS schema folder holds a corrupt ``release-schema.json`` (the OCDS export
  fails) and the methodology of the readiness report is broken (the report fails);
* second run: both repaired.

Every input is generated here from the template agency's drops. What the runs published is
purged from the portal at the end of the session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import openpyxl
import pytest
from stdnum.th import pin

from tests.conftest import Portal
from tests.deploy.sandbox import RunResult, Sandbox, make_sandbox, purge, run

REMARK_COLUMN = "หมายเหตุ"  # decisions: the remarks column, scanned for personal data


@dataclass(frozen=True)
class Scenario:
    sandbox: Sandbox
    awaiting: str  # the agency without a decisions file
    blocked: str  # the agency whose decisions hold a citizen ID
    broken: RunResult
    repaired: RunResult


def citizen_id() -> str:
    body = "310050012345"  # any 12 digits; the 13th is the check digit
    return body + pin.calc_check_digit(body)


def add_citizen_id(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book.worksheets[0]
    header_row, column = next(
        (cell.row, cell.column)
        for row in sheet.iter_rows(max_row=5)
        for cell in row
        if cell.value == REMARK_COLUMN
    )
    sheet.cell(row=header_row + 1, column=column, value=f"ผู้ยื่นคำขอ เลขประจำตัว {citizen_id()}")
    book.save(workbook)


def corrupt_schema_dir(source: Path, target: Path) -> Path:
    """A copy of the OCDS schema folder whose release schema is cut in the middle."""
    shutil.copytree(source, target)
    schema = target / "release-schema.json"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text[: len(text) // 2], encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def scenario(
    tmp_path_factory: pytest.TempPathFactory,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("ogp-run")
    sandbox = make_sandbox(root / "sandbox", f"{run_id}r", 2, ocds_schema_dir)
    sandbox.env["OGP_PORTAL_DIR"] = str(ckan_portal.token_file.parent)
    awaiting, blocked = sandbox.agencies
    drops = sandbox.root / "drops"
    try:
        for drop in (drops / awaiting).glob("decisions_*"):
            drop.unlink()
        add_citizen_id(drops / blocked / "decisions_2568.xlsx")

        methodology = Path(sandbox.env["OGP_DATASETS_DIR"]) / "ogp" / "methodology.yaml"
        good = methodology.read_text(encoding="utf-8")
        methodology.write_text("criteria: [unclosed\n", encoding="utf-8")
        schema = corrupt_schema_dir(ocds_schema_dir, root / "corrupt-ocds-schema")
        broken = run(sandbox, "broken", OGP_OCDS_SCHEMA_DIR=str(schema))

        methodology.write_text(good, encoding="utf-8")
        repaired = run(sandbox, "repaired")
        yield Scenario(sandbox, awaiting, blocked, broken, repaired)
    finally:
        purge(ckan, sandbox)

"""Unit proofs of what is refused and why: duplicate headers, the XLSX budget and DTDs, uncached
formulas, links and special files in drop folders, and ``ogp validate``'s own clean-up."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipelines.commands import validate as validate_command
from pipelines.contracts import FileSource, load_spec
from pipelines.normalize import NormalizeError, normalize_file
from pipelines.normalize.headers import DuplicateHeaderError, HeaderMap
from pipelines.normalize.xlsx import Budget, check_workbook, uncached_formula
from pipelines.sources import file
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandingArea, NotRegularFileError, file_chunks
from tests.normalize.hostile_files import HEADER, csv_text, row
from tests.normalize.hostile_xlsx import MAIN_NS, SHEET, _rewrite, workbook_bytes

PROCUREMENT = load_spec("procurement")

# --- headers ----------------------------------------------------------------------------------


def test_two_columns_naming_one_field_is_an_error_naming_both() -> None:
    headers = HeaderMap.from_spec(PROCUREMENT)
    with pytest.raises(DuplicateHeaderError) as caught:
        headers.rename(["เลขที่โครงการ", "ปีงบประมาณ", "Project number"])
    assert caught.value.columns == (1, 3)
    assert caught.value.field == "project_id"
    assert "'เลขที่โครงการ'" in str(caught.value)
    assert "'Project number'" in str(caught.value)


def test_unknown_headers_may_repeat_and_stay_as_unknown_columns() -> None:
    names, unknown, _ = HeaderMap.from_spec(PROCUREMENT).rename(["project_id", "note", "note", ""])
    assert names == ["project_id", "_unknown_1", "_unknown_2", "_unknown_3"]
    assert unknown == ["note", "note", ""]


def test_a_csv_with_a_duplicate_header_names_the_header_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("title line\n" + csv_text([[*row(1), "x"]], header=[*HEADER, "budget"]))
    with pytest.raises(NormalizeError, match=rf"columns 6 .* and {len(HEADER) + 1}") as caught:
        normalize_file(path, PROCUREMENT)
    assert caught.value.row == 2


# --- XLSX budget, DTDs, formulas --------------------------------------------------------------


def _workbook(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    return path


def test_a_normal_workbook_passes_and_a_small_budget_refuses_it(tmp_path: Path) -> None:
    path = _workbook(tmp_path, workbook_bytes([row(1)]))
    check_workbook(path, Budget())
    with pytest.raises(NormalizeError, match="over the limit"):
        check_workbook(path, Budget(max_xml_bytes=1000))


def test_a_part_compressing_too_well_is_refused_before_parsing(tmp_path: Path) -> None:
    sheet = b"<worksheet>" + b" " * (4 << 20) + b"</worksheet>"
    path = _workbook(tmp_path, _rewrite(workbook_bytes([row(1)]), {SHEET: sheet}))
    with pytest.raises(NormalizeError, match="compresses"):
        check_workbook(path, Budget())
    check_workbook(path, Budget(max_ratio=10_000))  # the limit is a setting


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
        '<!-- c --><?pi x?>\n<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">',
    ],
)
def test_any_dtd_is_refused(tmp_path: Path, prolog: str) -> None:
    sheet = f'<?xml version="1.0"?>{prolog}<worksheet xmlns="{MAIN_NS}"/>'.encode()
    path = _workbook(tmp_path, _rewrite(workbook_bytes([row(1)]), {SHEET: sheet}))
    with pytest.raises(NormalizeError, match="DTD"):
        check_workbook(path, Budget())


def _sheet_with_cell(cell: str) -> bytes:
    return (
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        f'<row r="1"><c r="A1"><v>1</v></c></row><row r="2">{cell}</row>'
        "</sheetData></worksheet>"
    ).encode()


@pytest.mark.parametrize(
    ("cell", "found"),
    [
        ('<c r="B2"><f>A1*2</f></c>', "B2"),
        ('<c r="C2"><f>A1*2</f><v></v></c>', "C2"),
        ('<c r="B2"><f>A1*2</f><v>2</v></c>', None),
        ('<c r="B2" t="str"><f>""</f><v></v></c>', None),  # a cached empty text result
        ('<c r="B2"><v>2</v></c>', None),
    ],
)
def test_uncached_formulas_are_found(tmp_path: Path, cell: str, found: str | None) -> None:
    data = _rewrite(workbook_bytes([row(1)]), {SHEET: _sheet_with_cell(cell)})
    assert uncached_formula(_workbook(tmp_path, data), SHEET) == found


# --- drop folders: links and special files ------------------------------------------------------


def _drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drops"
    folder.mkdir()
    (folder / "good.csv").write_text("a,b\n1,2\n")
    return folder


def test_a_symlink_in_a_drop_folder_is_refused_never_followed(tmp_path: Path) -> None:
    folder = _drop(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("not for the portal\n")
    (folder / "link.csv").symlink_to(secret)
    landing = LandingArea(tmp_path / "data", "budget", "rid")
    with pytest.raises(SourceError, match=r"link\.csv: a symbolic link"):
        file.pull(FileSource(path="drops/*.csv"), landing, base_dir=tmp_path)
    assert not landing.root.exists() or not any(landing.root.iterdir())
    assert file.matching_files("drops/*.csv", tmp_path) == [folder / "good.csv"]


def test_a_fifo_in_a_drop_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = _drop(tmp_path)
    os.mkfifo(folder / "pipe.csv")
    landing = LandingArea(tmp_path / "data", "budget", "rid")
    with pytest.raises(SourceError, match=r"pipe\.csv: not a regular file"):
        file.pull(FileSource(path="drops/*.csv"), landing, base_dir=tmp_path)
    with pytest.raises(NotRegularFileError):
        next(file_chunks(folder / "pipe.csv"))  # O_NONBLOCK: refused, not waited on


def test_a_file_swapped_for_a_link_after_listing_is_not_read(tmp_path: Path) -> None:
    folder = _drop(tmp_path)
    (folder / "late.csv").symlink_to(folder / "good.csv")
    with pytest.raises(NotRegularFileError, match="symbolic link"):
        next(file_chunks(folder / "late.csv"))
    assert b"".join(file_chunks(folder / "good.csv")) == b"a,b\n1,2\n"


def test_regular_files_still_land(tmp_path: Path) -> None:
    _drop(tmp_path)
    landing = LandingArea(tmp_path / "data", "budget", "rid")
    [landed] = file.pull(FileSource(path="drops/*.csv"), landing, base_dir=tmp_path)
    assert landed.path.read_bytes() == b"a,b\n1,2\n"


# --- ogp validate: one line, exit 2, no folder left ------------------------------------------

app = typer.Typer()
app.command()(validate_command.validate)


@app.callback()
def main() -> None:
    """Group, so the command is invoked by name as under ``ogp``."""


def test_an_unexpected_exception_is_one_line_exit_2_and_the_folder_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    import pipelines.normalize.partition

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def explode(spec: object, agency: object, data_dir: Path) -> None:
        raise RuntimeError("boom with a cell value 1-2345-67890-12-1")

    # the clean step's function, which `ogp validate` runs on the landed file
    monkeypatch.setattr(pipelines.normalize.partition, "clean", explode)
    path = tmp_path / "p.csv"
    path.write_text(csv_text([row(1)]), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path), "--dataset", "procurement"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert str(path) in lines[0]
    assert "RuntimeError" in lines[0]
    assert "1-2345-67890-12-1" not in result.output  # exception text may hold personal data
    assert "Traceback" not in result.output
    assert list(scratch.iterdir()) == []  # the ogp-validate-* working folder is gone


def test_a_bad_json_input_is_exit_2_in_process(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = CliRunner().invoke(app, ["validate", str(path), "--dataset", "procurement"])
    assert result.exit_code == 2
    assert "nested too deeply" in result.output


def test_zip_reading_is_bounded_by_declared_sizes() -> None:
    """The budget trusts declared sizes because Python's zip reader never returns more than a
    member declares (a lying header ends in an error, not in more bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"x" * 100_000)
    data = bytearray(buffer.getvalue())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")  # declare 1,000 bytes
    with (
        zipfile.ZipFile(io.BytesIO(bytes(data))) as archive,
        archive.open("a.xml") as handle,
        pytest.raises(zipfile.BadZipFile, match="CRC"),  # stops at the declared 1,000 bytes
    ):
        handle.read()

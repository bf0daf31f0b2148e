"""``ogp validate PATH --dataset FAMILY [--agency CODE] [--json] [--report-dir DIR]``: a steward
checks a file before sending it.

The file goes through exactly the pipeline's steps, by the same functions: landed as the raw
step lands a drop, normalised to the clean Parquet + CSV by the clean step
(:func:`pipelines.normalize.partition.clean`), judged by the gate on that Parquet with the
normaliser's cast errors and personal-data findings (schema, business rules, personal data),
all in a data folder of its own. With ``--agency`` the JSON report is the ``report.json`` the
pipeline writes for that agency's partition given the same file.

Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable input -- also for anything
unexpected: a one-line message naming the file (and row and column when known), never a
traceback. Personal data is never printed: findings say column, row and kind. The working
folder (landed copy, clean table, report) is deleted when the command ends, also on error;
``--report-dir`` keeps the report.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from pipelines.settings import get_settings

if TYPE_CHECKING:
    from pipelines.contracts import DatasetSpec
    from pipelines.validation.gate import ValidationResult

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
LOCAL = "local"  # the report's agency when none is given (not a partition of the pipeline)
_RAW_NOTE = re.compile(r" \(raw [0-9a-f]{12}…\)")
SHOWN_ERRORS = 20


def _error(console: Console, message: str) -> int:
    console.print(f"[red]error / ข้อผิดพลาด:[/red] {escape(message)}", soft_wrap=True)
    return EXIT_USAGE


def _summary(console: Console, path: Path, report: dict[str, Any], report_dir: Path | None) -> None:
    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    colour = {"passed": "green", "quarantined": "yellow", "blocked": "red"}[report["status"]]
    say(
        f"{escape(str(path))}: [bold]{report['family']}[/bold] [{colour}]{report['status']}"
        f"[/{colour}] — {report['counts']['rows']} rows / แถว, "
        f"{report['counts']['invalid_rows']} invalid / ไม่ผ่าน"
    )
    for reason in report["reasons"]:
        say(f"  • {escape(str(reason))}")
    errors = report["schema"]["errors"]
    if errors:
        say(f"Schema errors / ข้อผิดพลาดโครงสร้าง (first {min(len(errors), SHOWN_ERRORS)}):")
    for error in errors[:SHOWN_ERRORS]:
        where = ", ".join(
            part
            for part in (
                f"row {error['rowNumber']}" if error.get("rowNumber") else "",
                f"field {error['fieldName']!r}" if error.get("fieldName") else "",
            )
            if part
        )
        say(
            f"  {escape(str(path))}{', ' + where if where else ''}: {escape(error['type'])} — "
            f"{escape(str(error['note']))}"
        )
    if report["suite"]:
        for outcome in report["suite"]["outcomes"]:
            if not outcome["success"]:
                say(f"  \\[{outcome['severity']}] {escape(str(outcome['label']))}")
    if report["privacy"]["findings"]:
        kinds = report["counts"]["personal_data_by_kind"]
        say(f"  personal data / ข้อมูลส่วนบุคคล: {kinds} (values never shown)")
    if report_dir is not None:
        say(f"report / รายงาน: {escape(str(report_dir / 'report.html'))}")


def _regular_file(path: Path) -> str | None:
    """Why the path cannot be checked (FIFOs would block, devices never end), or None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return f"{path}: no such file / ไม่พบไฟล์"
    if not stat.S_ISREG(mode):
        return f"{path}: not a regular file (a folder, FIFO or device): refused"
    return None


def _gated(path: Path, spec: DatasetSpec, agency: str | None, workdir: Path) -> ValidationResult:
    """The pipeline's own steps on the file, in a data folder of its own: landed as the raw step
    lands a dropped file, normalised to the clean Parquet + CSV by the clean step's function,
    then judged by the gate with the clean step's arguments (``clean_<family>``)."""
    from pipelines.normalize.partition import clean
    from pipelines.sources.landing import LandingArea, file_chunks
    from pipelines.validation.gate import GateInput, GateOptions, gate

    data_dir = workdir / "data"
    landing = LandingArea(data_dir, spec.name, agency)
    landing.record_latest([landing.store(file_chunks(path), source=str(path), ext=path.suffix)])
    partition = clean(spec, agency, data_dir)
    inputs = GateInput.from_clean(spec, agency or LOCAL, partition)
    return gate(inputs, GateOptions(out_dir=workdir / "report"))


def _check(
    path: Path, dataset: str, agency: str | None, json_out: bool, report_dir: Path | None
) -> int:
    console = Console(stderr=json_out)
    from pipelines.contracts import SpecError, load_agencies, load_spec

    refused = _regular_file(path)
    if refused:
        return _error(console, refused)
    if not path.suffix:  # the landing area would keep it as .bin, which no reader takes
        return _error(
            console, f"{path}: no file extension: the pipeline reads .csv, .xlsx or OCDS .json"
        )
    try:
        spec = load_spec(dataset)
        registered = {a.agency_code for a in load_agencies()} if agency is not None else set()
    except SpecError as error:
        return _error(console, str(error))
    if agency is not None and agency not in registered:
        # the pipeline's partitions are the registry's agencies (pipelines/defs/pull.py)
        return _error(console, f"--agency {agency!r}: not an agency of the registry (e.g. cgd)")
    from pipelines.layout import CLEAN
    from pipelines.normalize import NormalizeError
    from pipelines.validation.suite import SuiteError
    from pipelines.validation.tables import UnreadableTableError

    with tempfile.TemporaryDirectory(prefix="ogp-validate-") as folder:
        workdir = Path(folder)
        try:
            result = _gated(path, spec, agency, workdir)
            if report_dir is not None:
                shutil.copytree(workdir / "report", report_dir, dirs_exist_ok=True)
        except NormalizeError as error:
            # the clean step names a landed file "<source> (raw <digest>…)": the source is the path
            return _error(console, _RAW_NOTE.sub("", str(error)))
        except (UnreadableTableError, SuiteError) as error:
            # name the steward's file, not the working copy the gate read
            text = str(error)
            for copy in (workdir / "data" / CLEAN, workdir):
                text = re.sub(re.escape(str(copy)) + r"\S*", str(path), text)
            return _error(console, text if str(path) in text else f"{path}: {text}")
        except Exception as error:  # a bug or a file kind nobody foresaw: still one line, exit 2
            return _error(
                console,
                f"{path}: could not be checked ({type(error).__name__}: a fault in ogp or a "
                "kind of file it does not know); please report it with the file",
            )
    if json_out:
        typer.echo(
            json.dumps(result.report, ensure_ascii=False, indent=2, default=str, allow_nan=False)
        )
    else:
        _summary(console, path, result.report, report_dir)
    return EXIT_VALID if result.status == "passed" else EXIT_INVALID


def validate(
    path: Annotated[Path, typer.Argument(help="The file to check (CSV or XLSX) / ไฟล์ที่จะตรวจ")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset family, e.g. procurement")],
    agency: Annotated[
        str | None,
        typer.Option(
            "--agency",
            help="Check as this agency's partition (its sheet, its code filled in where the "
            "contract says so); the report then equals the pipeline's",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the JSON report")] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="Keep the report (HTML, JSON) in this folder"),
    ] = None,
) -> None:
    """Check a file with the pipeline's normalization and validation gate."""
    # read before the catch-alls below: an invalid OGP_* setting is the program's own one line,
    # exit 1, as for every command (pipelines/cli.py), not "could not be checked"
    get_settings()
    try:
        code = _check(path, dataset, agency, json_out, report_dir)
    except Exception as error:  # even the error path must not end in a traceback
        Console(stderr=True).print(
            f"error / ข้อผิดพลาด: {escape(str(path))}: could not be checked ({type(error).__name__})",
            soft_wrap=True,
        )
        code = EXIT_USAGE
    raise typer.Exit(code)

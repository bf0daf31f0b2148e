"""``ogp validate PATH --dataset FAMILY [--json] [--report-dir DIR]``: a steward checks a file
before sending it.

The file goes through the same normalization and the same gate as in the pipeline (schema,
business rules, personal data). Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable
input -- also for anything unexpected: a one-line message naming the file (and row and column
when known), never a traceback. Personal data is never printed: findings say column, row and
kind. The working folder (clean copy, typed table, report) is deleted when the command ends,
also on error; ``--report-dir`` keeps the report.
"""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
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


def _check(path: Path, dataset: str, json_out: bool, report_dir: Path | None) -> int:
    console = Console(stderr=json_out)
    from pipelines.contracts import SpecError, load_spec

    refused = _regular_file(path)
    if refused:
        return _error(console, refused)
    try:
        spec = load_spec(dataset)
    except SpecError as error:
        return _error(console, str(error))
    from pipelines.normalize import NormalizeError, normalize_file
    from pipelines.validation.gate import validate_partition
    from pipelines.validation.suite import SuiteError
    from pipelines.validation.tables import UnreadableTableError

    with tempfile.TemporaryDirectory(prefix="ogp-validate-") as folder:
        workdir = Path(folder)
        try:
            normalized = normalize_file(path, spec)
            import pyarrow.csv as pacsv

            clean_csv = workdir / f"{dataset}.csv"
            pacsv.write_csv(normalized.table, clean_csv)
            result = validate_partition(
                dataset,
                "local",
                clean_csv,
                spec,
                cast_errors=normalized.cast_errors,
                personal_data=normalized.personal_data,
                out_dir=workdir / "report",
            )
            if report_dir is not None:
                shutil.copytree(workdir / "report", report_dir, dirs_exist_ok=True)
        except NormalizeError as error:
            return _error(console, str(error))
        except (UnreadableTableError, SuiteError) as error:
            # name the steward's file, not the working copy the gate read
            text = str(error).replace(str(workdir / f"{dataset}.csv"), str(path))
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
    json_out: Annotated[bool, typer.Option("--json", help="Print the JSON report")] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="Keep the report (HTML, JSON) in this folder"),
    ] = None,
) -> None:
    """Check a file with the pipeline's normalization and validation gate."""
    try:
        code = _check(path, dataset, json_out, report_dir)
    except Exception as error:  # even the error path must not end in a traceback
        Console(stderr=True).print(
            f"error / ข้อผิดพลาด: {escape(str(path))}: could not be checked ({type(error).__name__})",
            soft_wrap=True,
        )
        code = EXIT_USAGE
    raise typer.Exit(code)

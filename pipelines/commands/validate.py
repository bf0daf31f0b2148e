"""``ogp validate PATH --dataset FAMILY [--json]``: a steward checks a file before sending it.

The file goes through the same normalization and the same gate as in the pipeline (schema,
business rules, personal data). Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable
input. Personal data is never printed: findings say column, row and kind.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _fail_usage(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error / ข้อผิดพลาด:[/red] {message}")
    return typer.Exit(EXIT_USAGE)


def _summary(console: Console, report: dict[str, Any], report_dir: Path) -> None:
    colour = {"passed": "green", "quarantined": "yellow", "blocked": "red"}[report["status"]]
    console.print(
        f"[bold]{report['family']}[/bold]: [{colour}]{report['status']}[/{colour}] — "
        f"{report['counts']['rows']} rows / แถว, {report['counts']['invalid_rows']} invalid / ไม่ผ่าน"
    )
    for reason in report["reasons"]:
        console.print(f"  • {reason}")
    errors = Table(title="Schema errors / ข้อผิดพลาดโครงสร้าง (first 20)")
    for column in ("row / แถว", "field / คอลัมน์", "type / ประเภท", "note / รายละเอียด"):
        errors.add_column(column)
    for error in report["schema"]["errors"][:20]:
        errors.add_row(
            str(error.get("rowNumber", "")),
            error.get("fieldName", ""),
            error["type"],
            error["note"],
        )
    if report["schema"]["errors"]:
        console.print(errors)
    if report["suite"]:
        for outcome in report["suite"]["outcomes"]:
            if not outcome["success"]:
                console.print(f"  [{outcome['severity']}] {outcome['label']}")
    findings = report["privacy"]["findings"]
    if findings:
        kinds = report["counts"]["personal_data_by_kind"]
        console.print(f"  personal data / ข้อมูลส่วนบุคคล: {kinds} (values never shown)")
    console.print(f"report / รายงาน: {report_dir / 'report.html'}")


def validate(
    path: Annotated[Path, typer.Argument(help="The file to check (CSV or XLSX) / ไฟล์ที่จะตรวจ")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset family, e.g. procurement")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the JSON report")] = False,
) -> None:
    """Check a file with the pipeline's normalization and validation gate."""
    from pipelines.contracts import SpecError, load_spec
    from pipelines.normalize import NormalizeError, normalize_file
    from pipelines.validation.gate import validate_partition
    from pipelines.validation.suite import SuiteError
    from pipelines.validation.tables import UnreadableTableError

    console = Console(stderr=json_out)
    if not path.is_file():
        raise _fail_usage(console, f"{path}: no such file / ไม่พบไฟล์")
    try:
        spec = load_spec(dataset)
    except SpecError as error:
        raise _fail_usage(console, str(error)) from None
    workdir = Path(tempfile.mkdtemp(prefix="ogp-validate-"))
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
            out_dir=workdir / "report",
        )
    except (NormalizeError, UnreadableTableError, SuiteError) as error:
        raise _fail_usage(console, str(error)) from None
    if json_out:
        typer.echo(json.dumps(result.report, ensure_ascii=False, indent=2, default=str))
    else:
        _summary(console, result.report, workdir / "report")
    raise typer.Exit(EXIT_VALID if result.status == "passed" else EXIT_INVALID)

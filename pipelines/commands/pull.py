"""``ogp pull [--family F] [--agency A]``: the pull stage (raw + clean) outside Dagster.

Each family x agency partition runs on its own: a broken file fails its partition, names the
file, row and field, and the others go on. A partition whose agency has sent no file yet is
*awaiting data*, a normal state (as in ``ogp run``). Exit 1 when any partition failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from pipelines.contracts import DatasetSpec

# The contracts, sources and normaliser (pandas, pyarrow, pythainlp) are imported by the
# functions that use them: every `ogp` command loads this module, most never pull.


@dataclass(frozen=True)
class Outcome:
    family: str
    agency: str | None
    files: int = 0
    new_files: int = 0
    rows: int = 0
    cast_errors: int = 0
    error: str | None = None
    awaiting: str | None = None  # no file received yet: a normal state, not a failure

    @property
    def ok(self) -> bool:
        return self.error is None


def partitions(
    specs: dict[str, DatasetSpec], family: str | None, agency: str | None
) -> list[tuple[DatasetSpec, str | None]]:
    """The selected (spec, agency) pairs; unpartitioned families run once, unless filtered out."""
    from pipelines.contracts import load_agencies

    if family is not None and family not in specs:
        raise typer.BadParameter(
            f"unknown family {family!r}; one of {sorted(specs)}", param_hint="--family"
        )
    codes = [entry.agency_code for entry in load_agencies()]
    if agency is not None and agency not in codes:
        raise typer.BadParameter(
            f"unknown agency {agency!r}; one of {codes}", param_hint="--agency"
        )
    selected: list[tuple[DatasetSpec, str | None]] = []
    for spec in specs.values():
        if family is not None and spec.name != family:
            continue
        if not spec.partitioned:
            if agency is None:
                selected.append((spec, None))
            continue
        selected.extend((spec, code) for code in codes if agency in (None, code))
    return selected


def run_partition(spec: DatasetSpec, agency: str | None) -> Outcome:
    from pipelines.contracts import SpecError
    from pipelines.normalize.errors import NormalizeError
    from pipelines.normalize.partition import clean
    from pipelines.settings import get_settings
    from pipelines.sources.errors import SourceError
    from pipelines.sources.partition import AwaitingData, land

    data_dir = get_settings().data_dir
    try:
        landed = land(spec, agency, data_dir)
    except AwaitingData as waiting:
        return Outcome(spec.name, agency, awaiting=str(waiting))
    except (SourceError, SpecError, LookupError) as error:
        return Outcome(spec.name, agency, error=str(error))
    new_files = sum(file.new for file in landed)
    try:
        partition = clean(spec, agency, data_dir)
    except NormalizeError as error:
        return Outcome(spec.name, agency, len(landed), new_files, error=str(error))
    return Outcome(
        spec.name,
        agency,
        files=len(landed),
        new_files=new_files,
        rows=partition.result.rows,
        cast_errors=len(partition.result.cast_errors),
    )


def summary_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="Pull summary / สรุปการนำเข้าข้อมูล")
    for column in (
        "Family / ชุดข้อมูล",
        "Agency / หน่วยงาน",
        "Files",
        "New",
        "Rows",
        "Cast errors",
        "Status / สถานะ",
    ):
        table.add_column(column, justify="right" if column in ("Files", "New", "Rows") else "left")
    for outcome in outcomes:
        if not outcome.ok:
            status = "[bold red]failed[/] (below)"
        elif outcome.awaiting:
            status = "[cyan]awaiting data[/]"
        else:
            status = "[green]ok[/]"
        table.add_row(
            escape(outcome.family),
            escape(outcome.agency or "-"),
            str(outcome.files),
            str(outcome.new_files),
            str(outcome.rows),
            str(outcome.cast_errors),
            status,
        )
    return table


def pull(
    family: str | None = typer.Option(None, "--family", help="Only this dataset family."),
    agency: str | None = typer.Option(None, "--agency", help="Only this agency code."),
) -> None:
    """Pull sources into the landing area and normalize them to clean tables."""
    from pipelines.contracts import load_specs

    console = Console()
    # a broken contract (SpecError) is the program's one line and exit 2, as for every command
    selected = partitions(load_specs(), family, agency)
    outcomes: list[Outcome] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("pull", total=len(selected))
        for spec, code in selected:
            progress.update(task, description=f"pull {spec.name}/{code or '-'}")
            outcomes.append(run_partition(spec, code))
            progress.advance(task)
    console.print(summary_table(outcomes))
    for outcome in outcomes:
        if outcome.awaiting:
            where = escape(f"{outcome.family}/{outcome.agency}: {outcome.awaiting}")
            console.print(f"[cyan]awaiting data[/] {where}")
    failed = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in failed:
        where = escape(f"{outcome.family}/{outcome.agency}: {outcome.error}")
        console.print(f"[bold red]FAILED[/] {where}")
    if failed:
        raise typer.Exit(1)

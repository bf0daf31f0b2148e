"""What ``ogp run`` shows while it runs (a live line per agency and stage) and when it ends
(the summary table). Dagster's own event stream is in the log file, not here."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from pipelines.outcomes import CATALOG, EXIT_BUSY, Outcome, RunSummary, Status
from pipelines.runlog import StepEvent
from pipelines.runner import Observer

EXIT_FAILED = 1
PUBLISHED = (Status.PUBLISHED, Status.QUARANTINE)

STYLE = {
    Status.FAILED: "bold red",
    Status.INTERRUPTED: "bold red",
    Status.BUSY: "magenta",
    Status.BLOCKED: "yellow",
    Status.WITHHELD: "yellow",
    Status.AWAITING: "cyan",
    Status.QUARANTINE: "green",
    Status.PUBLISHED: "green",
}
DONE = {"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}
NOTE_OVER = 80  # a root cause longer than this, in several rows, is written once as a note


def tally(outcomes: Sequence[Outcome]) -> str:
    """``2 published, 1 blocked`` in the summary's order, styled."""
    counts = Counter(outcome.status for outcome in outcomes)
    return ", ".join(
        f"[{STYLE[status]}]{counts[status]} {status}[/]" for status in Status if counts[status]
    )


class LiveProgress(Observer):
    """One progress bar per run (reference data, each agency, the report): its steps done
    and the stage it is at; at the end of the run, what came of it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.fields[label]:<18}", markup=False),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=console,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()

    def run_started(self, label: str, steps: int) -> None:
        self.task = self.progress.add_task("starting", total=steps, label=label)

    def step(self, event: StepEvent) -> None:
        if self.task is None:
            return
        if event.kind == "STEP_START":
            self.progress.update(self.task, description=escape(event.step))
        elif event.kind in DONE:
            self.progress.advance(self.task)

    def run_finished(self, label: str, outcomes: Sequence[Outcome]) -> None:
        if self.task is None:  # the run never started (busy)
            self.task = self.progress.add_task("", total=1, label=label)
        total = self.progress.tasks[self.task].total  # steps a failure kept from running count
        self.progress.update(self.task, completed=total, description=tally(outcomes))
        self.task = None

    def message(self, text: str) -> None:
        self.console.print(text, style="yellow", markup=False)


class PlainProgress(Observer):
    """``--verbose``: Dagster's events are on the terminal; one line per finished run."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def run_finished(self, label: str, outcomes: Sequence[Outcome]) -> None:
        self.console.print(f"{escape(label)}: {tally(outcomes)}")

    def message(self, text: str) -> None:
        self.console.print(text, style="yellow", markup=False)


def shown_path(path: str) -> str:
    """A path relative to the working directory when it is inside it (shorter to read)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _published_row(scope: str, outcomes: Sequence[Outcome], portal: str) -> list[str]:
    """What a scope published, in one cell: the steps, its portal page, quarantine reports."""
    names = [
        f"{o.step} ({o.quarantined} quarantined row{'s' if o.quarantined != 1 else ''})"
        if o.status is Status.QUARANTINE and o.quarantined
        else f"{o.step} (with quarantine)"
        if o.status is Status.QUARANTINE
        else o.step
        for o in outcomes
    ]
    lines = [", ".join(names)]
    lines += [
        f"{o.step}: {o.detail}" for o in outcomes if o.status is Status.PUBLISHED and o.detail
    ]
    if scope == CATALOG:
        lines += [o.url for o in outcomes if o.url and o.step == "readiness report"]
    elif portal:
        lines.append(f"{portal.rstrip('/')}/organization/{scope}")
    else:
        lines += sorted({o.url for o in outcomes if o.url})[:1]
    lines += [f"{o.step}: {shown_path(o.report)}" for o in outcomes if o.report]
    kept = [name for o in outcomes for name in o.kept]
    if kept:
        lines.append(f"kept on the portal, not in this run: {', '.join(kept)}")
    return lines


def summary_table(summary: RunSummary, portal: str = "") -> tuple[Group, list[str]]:
    """The tables and their notes: a row for every step not published (failures first); then
    one row per agency (and the catalog) for what it published, with its portal page. A long
    root cause shared by several rows (one cause failing every agency's OCDS step) is written
    once below the tables. Every text is printed as it is (no rich markup)."""
    table = Table(title="ogp run: every step / ทุกขั้นตอน", title_justify="left")
    table.add_column("agency", overflow="fold")
    table.add_column("step", overflow="fold")
    table.add_column("status")
    table.add_column("why / where to look", overflow="fold")
    outcomes = summary.ordered()
    repeated = Counter(o.cause for o in outcomes if len(o.cause) > NOTE_OVER)
    notes: list[str] = []
    for outcome in outcomes:
        if outcome.status in PUBLISHED:
            continue
        detail = outcome.detail
        if repeated[outcome.cause] > 1:
            if outcome.cause not in notes:
                notes.append(outcome.cause)
            detail = (
                detail.removesuffix(outcome.cause) + f"see note {notes.index(outcome.cause) + 1}"
            )
        lines = [detail] if detail else []
        if outcome.url:
            lines.append(outcome.url)
        if outcome.report:
            lines.append(shown_path(outcome.report))
        table.add_row(
            Text(outcome.scope),
            Text(outcome.step),
            Text(str(outcome.status), STYLE[outcome.status]),
            Text("\n".join(lines)),
        )
    published: dict[str, list[Outcome]] = {}
    for outcome in summary.outcomes:  # in the order the steps ran
        if outcome.status in PUBLISHED:
            published.setdefault(outcome.scope, []).append(outcome)
    done = Table(title="published / เผยแพร่แล้ว", title_justify="left", box=box.SIMPLE_HEAD)
    done.add_column("agency", overflow="fold")
    done.add_column("published: the steps, the portal page", overflow="fold")
    for scope, steps in published.items():
        cell = Text("\n".join(_published_row(scope, steps, portal)), STYLE[Status.PUBLISHED])
        done.add_row(Text(scope), cell)
    shown = [t for t in (table, done) if t.row_count]
    return Group(*shown), [f"{n}. {note}" for n, note in enumerate(notes, 1)]


def print_summary(console: Console, summary: RunSummary, portal: str) -> None:
    """What ``ogp run`` prints at the end: the table, its notes, where to look, the exit code."""
    for run_name in summary.recovered_runs:
        console.print(
            f"Marked failed: {run_name} — the process running it was killed or crashed "
            "(see the run in `make ui`).",
            style="yellow",
            markup=False,
        )
    table, notes = summary_table(summary, portal)
    console.print(table)
    for note in notes:
        console.print(note, markup=False)
    console.print(f"Portal: {portal}", markup=False)
    if summary.report_path:
        console.print(f"Readiness report: {shown_path(summary.report_path)}", markup=False)
    if summary.log_file is not None:
        console.print(f"Log: {shown_path(str(summary.log_file))}", markup=False)
    console.print(f"Dagster runs: {len(summary.run_ids)} (see them with `make ui`)", markup=False)
    for busy in summary.busy:
        console.print(f"Skipped, busy: {busy}", style="magenta", markup=False)
    code = summary.exit_code
    if summary.interrupted is not None:
        name = signal.Signals(summary.interrupted).name
        console.print(
            f"Interrupted by {name}: stopped after the current run, nothing further started: "
            f"exit code {code}.",
            style="bold red",
            markup=False,
        )
    elif code == EXIT_FAILED:
        console.print("Some steps failed (see above): exit code 1.", style="bold red")
    elif code == EXIT_BUSY:
        console.print("Some agencies were busy and skipped: exit code 75.", style="magenta")
    else:
        console.print("Every step ran (blocked, awaiting data and withheld are normal outcomes).")

"""What ``ogp run`` shows while it runs (a live line per agency and stage) and when it ends
(the summary table). Dagster's own event stream is in the log file, not here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from pipelines.runlog import StepEvent
from pipelines.runner import Observer, Outcome, RunSummary, Status

STYLE = {
    Status.FAILED: "bold red",
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
            TextColumn("{task.fields[label]:<18}"),
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
            self.progress.update(self.task, description=event.step)
        elif event.kind in DONE:
            self.progress.advance(self.task)

    def run_finished(self, label: str, outcomes: Sequence[Outcome]) -> None:
        if self.task is None:  # the run never started (busy)
            self.task = self.progress.add_task("", total=1, label=label)
        total = self.progress.tasks[self.task].total  # steps a failure kept from running count
        self.progress.update(self.task, completed=total, description=tally(outcomes))
        self.task = None

    def message(self, text: str) -> None:
        self.console.print(f"[yellow]{text}[/]")


class PlainProgress(Observer):
    """``--verbose``: Dagster's events are on the terminal; one line per finished run."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def run_finished(self, label: str, outcomes: Sequence[Outcome]) -> None:
        self.console.print(f"{label}: {tally(outcomes)}")

    def message(self, text: str) -> None:
        self.console.print(f"[yellow]{text}[/]")


def shown_path(path: str) -> str:
    """A path relative to the working directory when it is inside it (shorter to read)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def summary_table(summary: RunSummary) -> tuple[Table, list[str]]:
    """The table, failures first, and its notes: a long root cause shared by several rows (one
    cause failing every agency's OCDS step) is written once below the table."""
    table = Table(title="ogp run: every step / ทุกขั้นตอน", title_justify="left")
    table.add_column("agency")
    table.add_column("step")
    table.add_column("status")
    table.add_column("why / where to look", overflow="fold")
    outcomes = summary.ordered()
    repeated = Counter(o.cause for o in outcomes if len(o.cause) > NOTE_OVER)
    notes: list[str] = []
    for outcome in outcomes:
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
            outcome.scope,
            outcome.step,
            f"[{STYLE[outcome.status]}]{outcome.status}[/]",
            "\n".join(lines),
        )
    return table, [f"{n}. {note}" for n, note in enumerate(notes, 1)]

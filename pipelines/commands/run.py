"""``ogp run``: the whole pipeline through Dagster, then a summary a steward can act on."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from pipelines.settings import get_settings

STATUS_STYLE = {"published": "green", "blocked": "yellow", "failed": "red", "skipped": "dim"}
EXIT_BUSY = 75  # EX_TEMPFAIL: an agency was busy with another run; try again later


def run(
    agency: list[str] | None = typer.Option(  # noqa: B008 - typer declares options this way
        None, "--agency", help="Only these agencies (repeatable); default: the whole registry."
    ),
    wait: float | None = typer.Option(
        None,
        "--wait",
        min=0,
        help="Seconds to wait for another run of the same agency before skipping it as busy "
        "(default: OGP_LOCK_WAIT_S, 900).",
    ),
) -> None:
    """Pull, validate, publish and report for every agency, as Dagster runs."""
    from pipelines.runner import run_pipeline  # heavy: Dagster and the definitions

    console = Console()
    with console.status("running") as status:

        def progress(message: str) -> None:
            status.update(f"running: {message}")
            if message.startswith("waiting"):
                console.print(f"[yellow]{message}[/]")

        summary = run_pipeline(agency, on_progress=progress, wait_s=wait)

    for run_name in summary.recovered_runs:
        console.print(
            f"[yellow]Marked failed: {run_name} — the process running it was killed or "
            "crashed (see the run in `make ui`).[/]"
        )

    table = Table(title="Published or blocked / เผยแพร่หรือถูกระงับ")
    for column in ("agency", "family", "status"):
        table.add_column(column)
    table.add_column("why / URL", overflow="fold")
    for outcome in summary.outcomes:
        style = STATUS_STYLE.get(outcome.status, "")
        detail = outcome.url or "; ".join(outcome.reasons)
        if outcome.status == "published" and outcome.reasons:
            detail += f"  ({'; '.join(outcome.reasons)})"
        table.add_row(outcome.agency, outcome.family, f"[{style}]{outcome.status}[/]", detail)
    console.print(table)
    console.print(f"Portal: {get_settings().ckan_url}")
    if summary.report_path:
        console.print(f"Readiness report: {summary.report_path}")
    if summary.report_url:
        console.print(f"Report on the portal: {summary.report_url}")
    console.print(f"Dagster runs: {len(summary.run_ids)} (see them with `make ui`)")
    for busy in summary.busy:
        console.print(f"[yellow]Skipped, busy: {busy}[/]")
    if not summary.ok:
        console.print("[red]Some partitions failed (not blocked by checks): see above.[/]")
        raise typer.Exit(1)
    if summary.busy:
        raise typer.Exit(EXIT_BUSY)

"""``ogp run``: the whole pipeline through Dagster, then a summary a steward can act on."""

from __future__ import annotations

import typer
from rich.console import Console

from pipelines.settings import get_settings

EXIT_FAILED = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: an agency was busy with another run; try again later
WIDTH = 120  # the summary's width when the output is a file or a pipe (a terminal: its own)

EXIT_CODES = (
    "Exit codes: 0 every step ran (blocked by a check, awaiting data and withheld are normal "
    "outcomes); 1 a step failed; 2 usage error; 75 an agency was busy with another run and "
    "was skipped (try again later)."
)


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
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Also print Dagster's event stream on the terminal (it is always in the log file "
        "under build/logs/ and in the Dagster instance).",
    ),
) -> None:
    """Pull, validate, publish and report for every agency, as Dagster runs.

    Ends with one status for every agency x family, every OCDS package and red-flags file,
    the reference data and the readiness report: published, published with quarantine,
    blocked, awaiting data, withheld, failed or skipped-busy; failures first. Dagster's event
    stream goes to build/logs/ogp-run-<time>.log (this summary to the .json beside it) and to
    the Dagster instance (`make ui`).
    """
    from pipelines.contracts import SpecError
    from pipelines.settings import TokenError

    console = Console()
    if not console.is_terminal:
        console = Console(width=WIDTH)
    try:
        # heavy (Dagster), and they load the contracts
        from pipelines.commands.progress import (
            LiveProgress,
            PlainProgress,
            shown_path,
            summary_table,
        )
        from pipelines.runner import Observer, run_pipeline

        if verbose:
            observer: Observer = PlainProgress(console)
            summary = run_pipeline(agency, wait_s=wait, observer=observer, verbose=True)
        else:
            with LiveProgress(console) as progress:
                summary = run_pipeline(agency, wait_s=wait, observer=progress)
    except (SpecError, TokenError) as error:  # a contract or the token: nothing could run
        console.print(f"[bold red]ogp run could not start:[/] {error}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None

    for run_name in summary.recovered_runs:
        console.print(
            f"[yellow]Marked failed: {run_name} — the process running it was killed or "
            "crashed (see the run in `make ui`).[/]"
        )
    table, notes = summary_table(summary)
    console.print(table)
    for note in notes:
        console.print(note, markup=False)
    console.print(f"Portal: {get_settings().ckan_url}")
    if summary.report_path:
        console.print(f"Readiness report: {shown_path(summary.report_path)}")
    if summary.log_file is not None:
        console.print(f"Log: {shown_path(str(summary.log_file))}")
    console.print(f"Dagster runs: {len(summary.run_ids)} (see them with `make ui`)")
    for busy in summary.busy:
        console.print(f"[magenta]Skipped, busy: {busy}[/]")
    if summary.exit_code == EXIT_FAILED:
        console.print("[bold red]Some steps failed (see above): exit code 1.[/]")
    elif summary.exit_code == EXIT_BUSY:
        console.print("[magenta]Some agencies were busy and skipped: exit code 75.[/]")
    else:
        console.print("Every step ran (blocked, awaiting data and withheld are normal outcomes).")
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)

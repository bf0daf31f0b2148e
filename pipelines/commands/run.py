"""``ogp run``: the whole pipeline through Dagster, then a summary a steward can act on."""

from __future__ import annotations

import difflib
import signal
from collections.abc import Sequence
from typing import NoReturn

import typer
from rich.console import Console

from pipelines.settings import get_settings

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUSY = 75  # EX_TEMPFAIL: an agency was busy with another run; try again later
WIDTH = 120  # the summary's width when the output is a file or a pipe (a terminal: its own)

EXIT_CODES = (
    "Exit codes: 0 every step ran (blocked by a check, awaiting data and withheld are normal "
    "outcomes); 1 a step failed, or the run could not start (a broken contract or API token); "
    "2 usage error (an unknown agency code); 75 an agency was busy with another run and was "
    "skipped (try again later); 130 interrupted by Ctrl-C, 143 by SIGTERM (it stops after the "
    "current run, starts no further agency nor the report, and prints the summary of what ran)."
)


def unknown_agencies(wanted: Sequence[str], registered: Sequence[str]) -> str | None:
    """One line naming the codes not in the registry and the closest registered ones."""
    unknown = [code for code in dict.fromkeys(wanted) if code not in registered]
    if not unknown:
        return None
    close = {c for code in unknown for c in difflib.get_close_matches(code, registered, 3, 0.5)}
    hint = f"closest registered: {', '.join(sorted(close))}" if close else "none close"
    return (
        f"ogp run: unknown agency code {', '.join(map(repr, unknown))} "
        f"({hint}; {len(registered)} codes in the registry)"
    )


def could_not_start(console: Console, error: Exception) -> NoReturn:
    """A contract, the token or the Dagster instance config: one line, exit 1."""
    message = f"ogp run could not start: {error}"
    console.print(message, style="bold red", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAILED) from None


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
    blocked, awaiting data, withheld, failed, interrupted or skipped-busy; failures first, then
    one row per agency for what it published. Dagster's event stream goes to
    build/logs/ogp-run-<time>.log (this summary to the .json beside it) and to the Dagster
    instance (`make ui`).

    Ctrl-C or SIGTERM stops it after the current run: no further agency, no readiness report;
    the summary says what ran (the rest "not run: interrupted"); exit code 130 or 143.
    """
    from pipelines.contracts import SpecError, load_agencies
    from pipelines.settings import TokenError

    console = Console()
    if not console.is_terminal:
        console = Console(width=WIDTH)
    settings = get_settings()
    try:
        settings.ckan_api_token()  # a malformed token: refused before anything runs
        if agency:
            registered = [a.agency_code for a in load_agencies()]
            problem = unknown_agencies(agency, registered)
            if problem:
                typer.echo(problem, err=True)
                raise typer.Exit(EXIT_USAGE)
    except (SpecError, TokenError) as error:  # a contract or the token: nothing could run
        could_not_start(console, error)
    try:  # heavy (Dagster), and they load the contracts
        from pipelines.commands.progress import LiveProgress, PlainProgress, print_summary
        from pipelines.runner import InstanceConfigError, Observer, run_pipeline
    except SpecError as error:
        could_not_start(console, error)

    try:
        if verbose:
            observer: Observer = PlainProgress(console)
            summary = run_pipeline(agency, wait_s=wait, observer=observer, verbose=True)
        else:
            with LiveProgress(console) as progress:
                summary = run_pipeline(agency, wait_s=wait, observer=progress)
    except (SpecError, TokenError, InstanceConfigError) as error:  # nothing could run
        could_not_start(console, error)
    except KeyboardInterrupt:  # before the first run was set up (loading the definitions)
        console.print("ogp run: interrupted before any run started.", markup=False)
        raise typer.Exit(128 + signal.SIGINT) from None

    print_summary(console, summary, settings.ckan_url)
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)

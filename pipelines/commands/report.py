"""``ogp report [--open]``: build the OGP readiness report from the portal and the local
outputs, write ``build/report/``, publish it to the portal and print where it is."""

from __future__ import annotations

import webbrowser

import typer
from rich.console import Console


def report(
    open_: bool = typer.Option(False, "--open", help="Open the HTML report in a browser."),
) -> None:
    """Build and publish the OGP readiness report / สร้างและเผยแพร่รายงานความพร้อม OGP."""
    from pipelines.readiness.methodology import MethodologyError
    from pipelines.readiness.run import run_report

    console = Console()
    try:
        outcome = run_report()
    except MethodologyError as error:
        console.print(f"[red]methodology / ระเบียบวิธี:[/]\n{error}")
        raise typer.Exit(1) from error
    result = outcome.report.eligibility
    console.print(
        f"Eligibility / คุณสมบัติ: [bold]{result.outcome}[/] "
        f"{result.total}/{result.available} (pass at {result.threshold:g})"
    )
    for path in (outcome.paths.html, outcome.paths.json_path, outcome.paths.markdown):
        console.print(f"written / เขียนแล้ว: {path}")
    if outcome.published is not None:
        console.print(f"published / เผยแพร่แล้ว: {outcome.published.dataset_url}")
        for resource in outcome.published.resources:
            state = "uploaded" if resource.uploaded else "unchanged"
            console.print(f"  {resource.name} ({state}): {resource.download_url}")
    if open_:
        webbrowser.open(outcome.paths.html.resolve().as_uri())

"""``ogp report [--open]``: build the OGP readiness report from the portal and the local
outputs, write ``build/report/``, publish it to the portal and print where it is."""

from __future__ import annotations

import logging
import webbrowser

import typer
from rich.console import Console
from rich.markup import escape


def report(
    open_: bool = typer.Option(False, "--open", help="Open the HTML report in a browser."),
) -> None:
    """Build and publish the OGP readiness report / สร้างและเผยแพร่รายงานความพร้อม OGP."""
    import ckanapi
    import requests

    from pipelines.defs.alerts import exception_sentence
    from pipelines.publish.http import PortalDeadlineError, RetryableHTTPError
    from pipelines.publish.receipt import PublishError
    from pipelines.readiness.methodology import MethodologyError
    from pipelines.readiness.run import run_report

    console = Console()
    # the publisher's retry notices: without a handler Python prints them on stderr
    logging.getLogger().addHandler(logging.NullHandler())
    try:
        outcome = run_report()
    except MethodologyError as error:
        console.print(f"[red]methodology / ระเบียบวิธี:[/]\n{escape(str(error))}")
        raise typer.Exit(1) from error
    except (
        requests.RequestException,
        ckanapi.CKANAPIError,
        PublishError,
        PortalDeadlineError,
        RetryableHTTPError,
    ) as error:  # the portal: down, slow, refusing the token
        line = f"ogp report: {exception_sentence(error)}"
        console.print(line, style="bold red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    result = outcome.report.eligibility
    console.print(
        f"Eligibility / คุณสมบัติ: [bold]{result.outcome}[/] "
        f"{result.total}/{result.available} (pass at {result.needed}/{result.available})"
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

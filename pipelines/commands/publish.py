"""``ogp publish [--dry-run] [--family F] [--agency A]``: publish the validated partitions on disk.

The dry run reads the portal and prints the diff (datasets and resources to create, update or
leave) without writing anything. Exit 1 when a dataset could not be published or the portal
failed, 2 when the API token is unusable; every failure is one line (the publisher's errors are
already redacted and summarised), never a traceback.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.publish.receipt import PublishReceipt
from pipelines.settings import get_settings

ACTION_STYLES = {
    "create": "green",
    "update": "yellow",
    "unchanged": "dim",
    "conflict": "red",
    "withheld": "magenta",
    "failed": "bold red",
}


def _styled(action: str) -> str:
    style = ACTION_STYLES.get(action, "")
    return f"[{style}]{action}[/]" if style else action


def receipt_table(receipt: PublishReceipt) -> Table:
    """Datasets and their resources, one row each, with the action planned or taken."""
    title = "Publish plan (dry run) / แผนการเผยแพร่" if receipt.dry_run else "Published / เผยแพร่แล้ว"
    table = Table(title=title, show_lines=False)
    for column in ("Dataset / ชุดข้อมูล", "Resource / ทรัพยากร", "Action / การดำเนินการ", "Why"):
        table.add_column(column)
    for org in receipt.organizations:
        if org.action != "unchanged":
            table.add_row(f"organization {org.name}", "", _styled(org.action), "")
    for dataset in receipt.datasets:
        why = "metadata" if dataset.metadata_updated else escape(dataset.error or "")
        if dataset.action == "withheld":
            why = "private on the portal (withheld by a steward): left as it is"
        table.add_row(dataset.name, "", _styled(dataset.action), why)
        for resource in dataset.resources:
            table.add_row("", resource.name, _styled(resource.action), ", ".join(resource.steps))
        for stray in dataset.stray_resources:
            table.add_row("", stray, _styled("conflict"), "no longer produced (kept, not deleted)")
    for orphan in receipt.orphans:
        table.add_row(orphan, "", _styled("conflict"), "source disappeared (kept, not deleted)")
    return table


def publish(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the diff; write nothing."),
    family: str | None = typer.Option(None, "--family", help="Only this dataset family."),
    agency: str | None = typer.Option(None, "--agency", help="Only this agency code."),
) -> None:
    """Publish validated partitions to CKAN (organizations, datasets, resources, DataStore)."""
    from ckanapi import CKANAPIError
    from requests import RequestException

    from pipelines.publish.catalog import collect_catalog
    from pipelines.publish.ckan import CKANPublisher, default_receipts_dir
    from pipelines.publish.client import RETRYABLE_ERRORS
    from pipelines.publish.receipt import PublishError
    from pipelines.settings import TokenError

    console = Console()
    settings = get_settings()
    catalog = collect_catalog(
        settings.data_dir,
        families={family} if family else None,
        agencies={agency} if agency else None,
    )
    for blocked in catalog.blocked:
        console.print(
            f"[red]blocked[/] {blocked.partition.dataset_name}: {blocked.reason} "
            "(the published version stays as it is)"
        )
    if not catalog.requests:
        console.print("Nothing to publish: no validated partition passed its checks.")
        raise typer.Exit(1 if catalog.blocked else 0)
    publisher = CKANPublisher()
    try:
        receipt = publisher.publish(catalog.requests, scope=catalog.scope(), dry_run=dry_run)
    except PublishError as error:
        console.print(receipt_table(error.receipt))
        console.print(f"[bold red]{escape(str(error))}[/]")
        raise typer.Exit(1) from None
    except TokenError as error:
        console.print(f"[bold red]{escape(str(error))}[/]")
        raise typer.Exit(2) from None
    except RETRYABLE_ERRORS as error:
        site = publisher.site_url()
        console.print(f"[bold red]CKAN portal {site} unavailable:[/] {escape(str(error))}")
        raise typer.Exit(1) from None
    except (CKANAPIError, RequestException) as error:
        site = publisher.site_url()
        what = f"{type(error).__name__}: {error}"
        console.print(f"[bold red]CKAN portal {site} refused the publish:[/] {escape(what)}")
        raise typer.Exit(1) from None
    console.print(receipt_table(receipt))
    console.print(
        f"{receipt.requests} requests, {receipt.bytes_uploaded:,} bytes uploaded"
        + ("" if dry_run else f"; receipt {default_receipts_dir() / receipt.run_id}.json")
    )

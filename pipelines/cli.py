"""The ``ogp`` command. Subcommands live in ``pipelines/commands/`` and import lazily,
so ``ogp --help`` stays fast (great_expectations alone costs ~3 s to import)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="ogp",
    help="ogp-pipeline: pull, validate and publish Thai open government data; report OGP readiness.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold the CKAN token
)

"""The ``ogp`` command. Subcommands live in ``pipelines/commands/``; each imports its heavy
dependencies inside the command, so ``ogp --help`` stays fast (great_expectations alone costs
about 3 s to import)."""

from __future__ import annotations

import typer

from pipelines.commands import portal, publish, pull, report, run, ui, validate

app = typer.Typer(
    name="ogp",
    help="ogp-pipeline: pull, validate and publish Thai open government data; "
    "report OGP readiness.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold the CKAN token
)
app.command("pull")(pull.pull)
app.command("validate")(validate.validate)
app.command("publish")(publish.publish)
app.command("report")(report.report)
app.command("run")(run.run)
app.command("ui")(ui.ui)
app.add_typer(portal.app, name="portal")

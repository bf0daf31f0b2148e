"""The ``ogp`` command. Subcommands live in ``pipelines/commands/``; each imports its heavy
dependencies inside the command, so ``ogp --help`` stays fast (great_expectations alone costs
about 3 s to import)."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import typer

from pipelines.commands import portal, publish, pull, report, run, ui, validate, workers
from pipelines.settings import is_invalid_setting


def _redacting_excepthook(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    """An uncaught error's traceback (its whole chain) printed without secrets."""
    from pipelines.redaction import redact, register_secret

    register_secret((os.environ.get("OGP_CKAN_TOKEN") or "").strip())  # even if never used
    sys.stderr.write(redact("".join(traceback.format_exception(kind, error, tb))))


# A dataset contract that cannot be used is a configuration error, like an unusable token.
EXIT_UNUSABLE_CONTRACT = 2
# A setting (an OGP_* variable) that is not valid: the command could not start.
EXIT_BAD_SETTING = 1


def _setting_errors(error: Any) -> str:
    """Each invalid setting as its variable and what it should be; never the value given (a
    URL may hold a password)."""
    return "; ".join(
        f"OGP_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    )


class _RedactingTyper(typer.Typer):
    """Typer installs its own excepthook on every call; this one replaces it on the way out."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as error:
            if not is_invalid_setting(error):  # not the OGP_* settings: a bug, with its traceback
                sys.excepthook = _redacting_excepthook
                raise
            sys.stderr.write(f"error / ข้อผิดพลาด: invalid setting {_setting_errors(error)}\n")
            raise SystemExit(EXIT_BAD_SETTING) from None
        except Exception as error:
            if _is_spec_error(error):  # a contract no command can use: one line, no traceback
                sys.stderr.write(f"error / ข้อผิดพลาด: {error}\n")
                raise SystemExit(EXIT_UNUSABLE_CONTRACT) from None
            sys.excepthook = _redacting_excepthook
            raise


def _is_spec_error(error: Exception) -> bool:
    """Whether ``error`` is the contract loader's SpecError. A command that never loaded the
    loader (and its pandas) cannot have raised one, so it is not imported here."""
    loader = sys.modules.get("pipelines.contracts.loader")
    return loader is not None and isinstance(error, loader.SpecError)


app = _RedactingTyper(
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
app.command("run", epilog=run.EXIT_CODES)(run.run)
app.command("ui")(ui.ui)
app.command("workers")(workers.workers)
app.add_typer(portal.app, name="portal")

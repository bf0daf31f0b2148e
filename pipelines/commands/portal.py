"""``ogp portal up|down|status``: the local CKAN portal, driven by ``portal/portalctl.py``.

portalctl is stdlib-only so that ``make portal`` works before this virtualenv exists; this
command only forwards to it."""

from __future__ import annotations

import subprocess
import sys

import typer

from pipelines.settings import REPO_ROOT

PORTALCTL = REPO_ROOT / "portal" / "portalctl.py"

app = typer.Typer(help="Run the local CKAN 2.12 portal (PostgreSQL, Redis, CKAN).")


def _portalctl(action: str) -> None:
    raise typer.Exit(subprocess.call([sys.executable, str(PORTALCTL), action]))


@app.command()
def up() -> None:
    """Start the portal (idempotent: reuses what is already running)."""
    _portalctl("up")


@app.command()
def down() -> None:
    """Stop CKAN, Redis and PostgreSQL by PID."""
    _portalctl("down")


@app.command()
def status() -> None:
    """Report the portal's health; exit 1 when it is not healthy."""
    _portalctl("status")

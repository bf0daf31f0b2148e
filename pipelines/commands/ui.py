"""``ogp ui``: serve the Dagster UI (``dagster dev``) on the local instance."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

from pipelines.dagster_home import ensure_dagster_home
from pipelines.settings import REPO_ROOT


def dagster_dev_command(host: str, port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [
        str(dagster),
        "dev",
        "-h",
        host,
        "-p",
        str(port),
        "-w",
        str(REPO_ROOT / "workspace.yaml"),
    ]


def _default_signals() -> None:
    # Processes started in the background here may inherit ignored SIGINT/SIGTERM; dagster dev
    # must honour them so that Ctrl-C and `kill PID` stop it cleanly.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(3000, "--port", envvar="OGP_DAGSTER_PORT", help="Webserver port."),
) -> None:
    """Serve the Dagster UI (runs, asset checks, schedules) until interrupted."""
    env = {**os.environ, "DAGSTER_HOME": str(ensure_dagster_home())}
    typer.echo(f"Dagster UI: http://{host}:{port}  (Ctrl-C to stop)")
    proc = subprocess.Popen(dagster_dev_command(host, port), env=env, preexec_fn=_default_signals)
    try:
        raise typer.Exit(proc.wait())
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        raise typer.Exit(proc.wait(timeout=60)) from None

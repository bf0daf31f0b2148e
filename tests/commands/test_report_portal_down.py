"""`ogp report` with the portal down: one line naming the portal, exit 1, no traceback (issue
12). The portal URL points at a closed local port; the build and data directories are
temporary, so nothing of the demo is touched."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.deploy.sandbox import BIN


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(300)
def test_report_with_the_portal_down_is_one_line_and_exit_1(tmp_path: Path) -> None:
    portal = f"http://127.0.0.1:{closed_port()}"
    env = {
        **os.environ,
        "OGP_CKAN_URL": portal,
        "OGP_CKAN_TOKEN": "a-well-formed-token",
        "OGP_BUILD_DIR": str(tmp_path / "build"),
        "OGP_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [str(BIN / "ogp"), "report"], env=env, capture_output=True, text=True, timeout=240
    )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, output
    assert output.splitlines() == [
        f"ogp report: the portal at {portal} could not be reached (connection refused)"
    ]

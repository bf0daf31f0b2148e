"""`ogp ui` (what `make ui` runs) serves the Dagster UI and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ASSETS_QUERY = "{ assetNodes { assetKey { path } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _graphql(port: int, query: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_ui_serves_assets_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    ogp = Path(sys.executable).with_name("ogp")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    proc = subprocess.Popen(
        [str(ogp), "ui", "--port", str(port)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200
                    assert "Dagster" in page.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "dagster webserver did not come up"
                time.sleep(1)
        # the code location loads asynchronously: poll until the assets are listed
        names: set[str] = set()
        while time.monotonic() < deadline and "published_procurement" not in names:
            data = _graphql(port, ASSETS_QUERY)
            nodes = (data.get("data") or {}).get("assetNodes") or []  # type: ignore[union-attr]
            names = {"/".join(node["assetKey"]["path"]) for node in nodes}
            time.sleep(1)
        assert {"raw_procurement", "clean_procurement", "published_procurement"} <= names
        assert "ogp_readiness_report" in names
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    deadline = time.monotonic() + 30
    while _alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(proc.pid), "dagster dev left processes behind"

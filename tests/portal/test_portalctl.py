"""portalctl's contract: idempotent `up`, health in `status`, clear failures, clean `down`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PORTALCTL = Path(__file__).resolve().parents[2] / "portal" / "portalctl.py"


def portalctl(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PORTALCTL), command],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmd and "pytest" not in cmd:
                found.append(cmd)
    return found


def test_status_reports_healthy(ckan_portal):
    result = portalctl("status")
    assert result.returncode == 0, result.stdout
    assert "healthy" in result.stdout
    assert "CKAN 2.12" in result.stdout


def test_second_up_is_fast_and_idempotent(ckan_portal):
    t0 = time.monotonic()
    result = portalctl("up")
    assert result.returncode == 0, result.stderr
    assert "already up" in result.stdout
    assert time.monotonic() - t0 < 10


def test_env_json_describes_the_portal(ckan_portal):
    env = ckan_portal.env
    assert env["url"] == ckan_portal.url
    assert str(env["ckan_version"]).startswith("2.12")
    assert Path(str(env["api_token_file"])).exists()
    assert Path(str(env["ckan_ini"])).exists()


def test_up_fails_clearly_when_a_port_is_taken(tmp_path: Path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        result = portalctl(
            "up",
            OGP_PORTAL_DIR=str(tmp_path / "portal"),
            OGP_CKAN_PORT=str(taken),
            OGP_PG_PORT=str(free_port()),
            OGP_REDIS_PORT=str(free_port()),
        )
    assert result.returncode == 1
    assert f"port {taken} (CKAN) is already in use" in result.stderr
    assert "OGP_CKAN_PORT" in result.stderr
    assert processes_mentioning(str(tmp_path)) == []  # nothing half-started


def test_status_and_down_on_a_portal_that_never_ran(tmp_path: Path):
    env = {"OGP_PORTAL_DIR": str(tmp_path / "none"), "OGP_CKAN_PORT": str(free_port())}
    status = portalctl("status", **env)
    assert status.returncode == 1
    assert "DOWN" in status.stdout
    assert portalctl("down", **env).returncode == 0


def test_portal_files_are_private(ckan_portal):
    home = Path(str(ckan_portal.env["ckan_ini"])).parent
    for name in ("api_token", "ckan.ini", "secrets.json"):
        assert (home / name).stat().st_mode & 0o077 == 0, name
    assert json.loads((home / "env.json").read_text())["admin_user"] == "ogp_admin"


def second_portal_env(home: Path, ckan_portal) -> dict[str, str]:
    """The settings of a whole portal of its own in ``home``, on free ports (sharing the
    installed CKAN virtualenv)."""
    return {
        "OGP_PORTAL_DIR": str(home),
        "OGP_PORTAL_VENV": str(Path(str(ckan_portal.env["ckan_venv"]))),
        "OGP_CKAN_PORT": str(free_port()),
        "OGP_PG_PORT": str(free_port()),
        "OGP_REDIS_PORT": str(free_port()),
    }


def assert_down_leaves_nothing_running(home: Path, env: dict[str, str]) -> None:
    """After `down`: no process of the portal is left -- PostgreSQL, Redis and CKAN all stopped
    by PID -- nothing listens on its ports, and `status` says it is down."""
    deadline = time.monotonic() + 30
    while processes_mentioning(str(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_mentioning(str(home)) == []
    # Redis and PostgreSQL children retitle themselves: check no one holds the ports either
    for name in ("OGP_CKAN_PORT", "OGP_PG_PORT", "OGP_REDIS_PORT"):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", int(env[name])))  # raises if something still listens
    assert portalctl("status", **env).returncode == 1


@pytest.mark.slow  # a whole second CKAN, PostgreSQL and Redis
def test_a_second_portal_comes_up_and_down_leaves_nothing_running(service_dir: Path, ckan_portal):
    """A whole portal of its own: up, healthy, down, and afterwards no process of it is left.
    (A clone in a private folder: test_up_restarts_a_ckan_running_another_configuration.)"""
    home = service_dir / "portal"
    env = second_portal_env(home, ckan_portal)
    try:
        up = portalctl("up", **env)
        assert up.returncode == 0, up.stderr[-2000:]
        assert portalctl("status", **env).returncode == 0
        assert processes_mentioning(str(home)), "the portal's processes should be running"
    finally:
        down = portalctl("down", **env)
    assert down.returncode == 0, down.stderr[-2000:]
    assert_down_leaves_nothing_running(home, env)


def _portalkit_ckan():
    """portal/portalkit/ckan.py (standard library only, imported the way portalctl does)."""
    sys.path.insert(0, str(PORTALCTL.parent))
    try:
        from portalkit import ckan
    finally:
        sys.path.remove(str(PORTALCTL.parent))
    return ckan


def test_config_fingerprint_follows_the_ini_and_the_theme(tmp_path: Path, monkeypatch):
    """What CKAN reads only at start: a change to ckan.ini or to any theme file changes the
    fingerprint, so `up` knows the running CKAN must be restarted; nothing else does."""
    ckan = _portalkit_ckan()
    theme = tmp_path / "theme"
    shutil.copytree(ckan.THEME_DIR, theme)
    monkeypatch.setattr(ckan, "THEME_DIR", theme)
    base = ckan.config_fingerprint("[app:main]\nckan.site_title = a\n")
    assert base == ckan.config_fingerprint("[app:main]\nckan.site_title = a\n")
    assert base != ckan.config_fingerprint("[app:main]\nckan.site_title = b\n")
    about = theme / "templates" / "home" / "snippets" / "about_text.html"
    about.write_text(about.read_text() + "\n<p>more</p>\n")
    assert ckan.config_fingerprint("[app:main]\nckan.site_title = a\n") != base


def test_featured_organizations_are_the_registry_then_the_report(ckan_portal):
    ckan = _portalkit_ckan()
    registry = (PORTALCTL.parents[1] / "datasets" / "agencies" / "agencies.csv").read_text()
    codes = [line.split(",", 1)[0] for line in registry.splitlines()[1:] if line.strip()]
    assert ckan.featured_organizations() == [*codes, "ogp-coordination"]
    ini = Path(str(ckan_portal.env["ckan_ini"])).read_text()
    assert f"ckan.featured_orgs = {' '.join([*codes, 'ogp-coordination'])}\n" in ini


def _home_title(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "/", timeout=30) as resp:
        html = resp.read().decode("utf-8")
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


@pytest.mark.slow  # a whole second CKAN, PostgreSQL and Redis
def test_up_restarts_a_ckan_running_another_configuration(service_dir: Path, ckan_portal):
    """A portal whose CKAN was started with another ckan.ini/theme (here: by an older
    portalctl, which left no fingerprint, then with a stale one) is restarted by `up`, once;
    the next `up` reuses it, and `down` leaves nothing running. The clone is in a private
    folder (root's home is 0700): the postgres service user cannot enter it, so the cluster is
    kept elsewhere."""
    service_dir.chmod(0o700)
    home = service_dir / "portal"
    env = second_portal_env(home, ckan_portal)
    url = f"http://127.0.0.1:{env['OGP_CKAN_PORT']}"
    stamp, pid_file = home / "run" / "ckan.config.sha256", home / "run" / "ckan.pid"
    try:
        first = portalctl("up", **env)
        assert first.returncode == 0, first.stderr[-2000:]
        fingerprint = stamp.read_text()
        assert len(fingerprint.strip()) == 64
        for tamper in (stamp.unlink, lambda: stamp.write_text("0" * 64 + "\n")):
            before = pid_file.read_text()
            tamper()
            again = portalctl("up", **env)
            assert again.returncode == 0, again.stderr[-2000:]
            assert "configuration changed; restarting CKAN" in again.stdout
            assert pid_file.read_text() != before  # a new CKAN process
            assert stamp.read_text() == fingerprint
            assert "พอร์ทัลข้อมูลเปิดภาครัฐ OGP" in _home_title(url)
        pid = pid_file.read_text()
        reuse = portalctl("up", **env)
        assert reuse.returncode == 0, reuse.stderr[-2000:]
        assert "already up" in reuse.stdout
        assert pid_file.read_text() == pid
    finally:
        down = portalctl("down", **env)
    assert down.returncode == 0, down.stderr[-2000:]
    assert not stamp.exists()
    assert_down_leaves_nothing_running(home, env)

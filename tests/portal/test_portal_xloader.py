"""A second portal of its own (sharing the installed CKAN virtualenv, like the other second-
portal tests): run without ckanext-xloader (OGP_PORTAL_XLOADER=0), the publisher falls back to
datastore_upsert and builds the same DataStore table as the local portal's xloader path; run
with it, `up` starts one job worker, a second `up` reuses it and `down` stops it by PID.
One portal for all of it: a second portal costs a PostgreSQL cluster and CKAN starts."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from pipelines.contracts import load_spec
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.model import PublishRequest
from pipelines.publish.request import ReportPaths, build_request
from pipelines.publish.xloader import LOAD_STATE_KEY, LOADED
from pipelines.settings import REPO_ROOT, get_settings

sys.path.insert(0, str(REPO_ROOT / "portal"))
from portalkit.procs import group_members

from tests.portal.test_portalctl import portalctl, second_portal_env
from tests.publish.publish_samples import procurement_table, sample_agency

PORTALCTL = Path(__file__).resolve().parents[2] / "portal" / "portalctl.py"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def extensions(url: str) -> list[str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/api/3/action/status_show", timeout=30) as resp:
        return list(json.load(resp)["result"]["extensions"])


def worker_pids(home: Path) -> set[str]:
    """The job workers of the portal in ``home`` (not their children: RQ's scheduler, a job's
    work-horse, which carry the same command line)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if cmd.endswith(f"{home}/ckan.ini jobs worker"):
            found[proc.name] = parent
    return {pid for pid, parent in found.items() if parent not in found}


def publish(url: str, token: str, request: PublishRequest, folder: Path) -> None:
    os.environ["OGP_CKAN_TOKEN"] = token  # restored by the test's monkeypatch
    get_settings.cache_clear()
    receipt = CKANPublisher(url=url).publish([request], receipts_dir=folder)
    assert not receipt.failures, receipt.failures


def datastore_tables(api: ckanapi.RemoteCKAN, name: str) -> dict[str, Any]:
    """Each DataStore table of the dataset: fields (type, dictionary) and rows, by resource."""
    package = api.action.package_show(id=name)
    tables: dict[str, Any] = {}
    for resource in package["resources"]:
        if not resource.get("datastore_active"):
            continue
        search = api.action.datastore_search(
            resource_id=resource["id"], sort="project_id", limit=1000
        )
        fields = [
            (f["id"], f["type"], {k: f["info"][k] for k in ("label", "notes", "type_override")})
            for f in search["fields"]
            if f["id"] != "_id"
        ]
        rows = [{k: v for k, v in r.items() if k != "_id"} for r in search["records"]]
        tables[resource["name"]] = (fields, search["total"], rows, resource.get(LOAD_STATE_KEY))
    return tables


def test_without_xloader_the_fallback_builds_the_same_table_and_with_it_one_worker_until_down(
    service_dir: Path, ckan_portal, created, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("OGP_CKAN_TOKEN", ckan_portal.token)
    monkeypatch.setenv("OGP_XLOADER_MIN_ROWS", "0")  # a few rows: xloader only when asked
    home = service_dir / "portal"
    env = second_portal_env(home, ckan_portal)
    url = f"http://127.0.0.1:{env['OGP_CKAN_PORT']}"
    agency = f"t{uuid.uuid4().hex[:10]}"
    created.extend([("dataset", f"{agency}-procurement"), ("organization", agency)])
    report = ReportPaths(tmp_path / "report.json", tmp_path / "report.html")
    report.json.write_text('{"publishable": true, "errors": []}', encoding="utf-8")
    (tmp_path / "report.html").write_text("<p>ผ่าน / passed</p>", encoding="utf-8")
    table = procurement_table({2024: 4, 2025: 3})
    request = build_request(load_spec("procurement"), sample_agency(agency), table, report)
    try:
        # 1. without xloader: no plugin, no worker
        off = {**env, "OGP_PORTAL_XLOADER": "0"}
        up = portalctl("up", **off)
        assert up.returncode == 0, up.stderr[-2000:]
        assert "xloader" not in extensions(url)
        assert worker_pids(home) == set()
        status = portalctl("status", **off)
        assert status.returncode == 0, status.stdout
        assert "off (OGP_PORTAL_XLOADER=0)" in status.stdout

        # the same request published to both portals: the same DataStore tables
        publish(ckan_portal.url, ckan_portal.token, request, tmp_path / "r1")
        token = (home / "api_token").read_text().strip()
        publish(url, token, request, tmp_path / "r2")
        name = f"{agency}-procurement"
        through_xloader = datastore_tables(ckan_portal.api(), name)
        fallback = datastore_tables(ckanapi.RemoteCKAN(url, apikey=token), name)
        assert sorted(fallback) == ["procurement-fy2024.csv", "procurement-fy2025.csv"]
        for resource, (fields, total, rows, mark) in fallback.items():
            x_fields, x_total, x_rows, x_mark = through_xloader[resource]
            assert (mark, x_mark) == (None, LOADED)  # each took its own path
            assert fields == x_fields
            assert total == x_total == len(rows)
            assert rows == x_rows
        assert [t[1] for t in fallback.values()] == [4, 3]

        # 2. with xloader: one worker, reused by a second `up`, stopped by `down`
        on = {**env, "OGP_PORTAL_XLOADER": "1"}
        up = portalctl("up", **on)
        assert up.returncode == 0, up.stderr[-2000:]
        assert "xloader" in extensions(url)
        [pid] = worker_pids(home)
        assert (home / "run" / "worker.pid").read_text().strip() == pid
        again = portalctl("up", **on)
        assert again.returncode == 0, again.stderr[-2000:]
        assert "already up" in again.stdout
        assert worker_pids(home) == {pid}
        assert "worker     ok" in portalctl("status", **on).stdout

        # 3. a worker killed with -9: status says so, `up` starts one worker and no orphan of
        # the killed one (RQ's scheduler) is left running beside it
        os.kill(int(pid), signal.SIGKILL)
        assert portalctl("status", **on).returncode == 1
        up = portalctl("up", **on)
        assert up.returncode == 0, up.stderr[-2000:]
        [new] = worker_pids(home)
        assert new != pid
        assert group_members(int(pid), f"{home}/ckan.ini") == []
    finally:
        down = portalctl("down", **env)
    assert down.returncode == 0, down.stderr[-2000:]
    deadline = time.monotonic() + 30  # a hang guard: SIGTERM, then SIGKILL after 20 s
    while worker_pids(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert worker_pids(home) == set()
    assert not (home / "run" / "worker.pid").exists()

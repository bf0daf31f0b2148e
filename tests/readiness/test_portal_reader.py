"""Reading published validation reports: a report gone between the listing and its download
(its dataset deleted meanwhile) counts as no report instead of failing the whole readiness run.
Only the agencies of the registry count: other organizations on the portal are ignored."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import pytest

from pipelines.contracts import load_agencies
from pipelines.publish.client import CKANClient, RetryableHTTPError
from pipelines.readiness.facts import PortalResource
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.portal_reader import _fetch_summary, read_portal

from .conftest import AS_OF, no_local

REPORT = {"valid": True, "counts": {"rows": 3, "published_rows": 3}, "privacy": {"findings": {}}}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/gone.json":
            self.send_error(404)
        elif self.path == "/broken.json":
            self.send_error(500)
        else:
            body = json.dumps(REPORT).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _resource(url: str) -> PortalResource:
    return PortalResource(
        id="r",
        name="validation-report.json",
        format="JSON",
        url=url,
        page_url=url,
        datastore_active=False,
    )


def _client(server: str) -> CKANClient:
    return CKANClient(server, None, timeout_s=5, max_attempts=2, backoff_initial_s=0.01)


def test_a_report_deleted_after_the_listing_counts_as_no_report(server: str) -> None:
    assert _fetch_summary(_client(server), _resource(f"{server}/gone.json")) is None


def test_a_present_report_is_read(server: str) -> None:
    assert _fetch_summary(_client(server), _resource(f"{server}/report.json")) is not None


def test_a_server_error_still_fails(server: str) -> None:
    # After the client's retries: the same error as any other CKAN call's.
    with pytest.raises(RetryableHTTPError, match="HTTP 500"):
        _fetch_summary(_client(server), _resource(f"{server}/broken.json"))


# --- B9: only the agencies of the registry count (real local portal) ------------------------


@pytest.mark.portal
def test_organizations_outside_the_registry_are_ignored(
    ckan: ckanapi.RemoteCKAN, run_id: str, created: list[tuple[str, str]], config: OgpConfig
) -> None:
    listed, other = f"reg-{run_id}-listed", f"reg-{run_id}-other"
    for name in (listed, other):
        created.extend([("dataset", f"{name}-budget"), ("organization", name)])
        ckan.action.organization_create(name=name, title=f"หน่วยงานทดสอบ {name}")
        ckan.action.package_create(
            name=f"{name}-budget", title=f"budget {name}", owner_org=name, license_id="cc-by"
        )
    public = CKANClient(ckan.address, None, timeout_s=60)
    everyone = read_portal(public, config.methodology.portal)
    snap = read_portal(public, config.methodology.portal, agencies=[listed])
    # the registry names one of the two: the other and its dataset are left out, and named
    assert [o.name for o in snap.organizations] == [listed]
    assert [d.name for d in snap.datasets] == [f"{listed}-budget"]
    # the other is named outside the registry, the listed one never (others' test
    # organizations may come and go on the shared portal meanwhile: no exact list)
    assert other in snap.outside_registry
    assert listed not in snap.outside_registry
    total = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF).overall[
        "agencies_total"
    ]
    n = len(snap.outside_registry)
    assert (total.value, total.note_en) == (
        1,
        f"{n} organizations on the portal outside the agency registry ignored",
    )
    assert total.note_th == f"ไม่นับองค์กร {n} แห่งบนพอร์ทัลที่ไม่อยู่ในทะเบียนหน่วยงาน"
    # without a registry nothing is ignored (and nothing said)
    assert everyone.outside_registry == []
    assert {listed, other} <= {o.name for o in everyone.organizations}


# --- a registry agency with no organization on the portal awaits data (real local portal) ---


@pytest.mark.portal
def test_a_registry_agency_without_an_organization_awaits_every_family(
    ckan: ckanapi.RemoteCKAN,
    run_id: str,
    created: list[tuple[str, str]],
    config: OgpConfig,
    tmp_path: Path,
) -> None:
    """R3: an agency of the registry the portal has no organization for was in no figure. Now
    it is an agency of the report awaiting its three families, named. Hand count: present
    publishes procurement (awaits budget and decisions: 2), absent awaits all 3: 5 partitions
    awaiting, 1 of 2 agencies received procurement."""
    present, absent = f"reg-{run_id}-present", f"reg-{run_id}-absent"
    created.extend([("dataset", f"{present}-procurement"), ("organization", present)])
    ckan.action.organization_create(name=present, title=f"หน่วยงานทดสอบ {present}")
    ckan.action.package_create(
        name=f"{present}-procurement", title="procurement", owner_org=present, license_id="cc-by"
    )
    # the test's own registry, generated: the two agencies, nothing else
    datasets = tmp_path / "datasets"
    (datasets / "agencies").mkdir(parents=True)
    lines = [
        "agency_code,name_th,name_en,ministry_th,ministry_en,kind,website,aliases",
        f"{present},กรมทดสอบมี,Present Test Department,-,-,department,,",
        f"{absent},กรมทดสอบไม่มี,Absent Test Department,-,-,department,,",
    ]
    (datasets / "agencies" / "agencies.csv").write_text("\n".join(lines) + "\n", "utf-8")
    registry = {a.agency_code: (a.name_th, a.name_en) for a in load_agencies(datasets)}
    public = CKANClient(ckan.address, None, timeout_s=60)
    snap = read_portal(public, config.methodology.portal, agencies=registry)

    assert [(o.name, o.on_portal) for o in snap.organizations] == [(absent, False), (present, True)]
    missing = snap.without_organization[0]
    # its evidence is the portal's organization list (where it is absent), never a dead page
    assert (missing.title, missing.title_en, missing.url) == (
        "กรมทดสอบไม่มี",
        "Absent Test Department",
        f"{ckan.address}/organization",
    )
    result = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    overall = result.overall
    assert overall["agencies_total"].value == 2
    assert overall["partitions_awaiting"].value == 2 + 3
    assert overall["agencies_awaiting_procurement"].value == 1
    assert overall["agencies_awaiting_budget"].value == 2
    assert overall["agencies_awaiting_procurement"].evidence == [f"{ckan.address}/organization"]
    named = overall["agencies_without_organization"]
    assert (named.value, named.note_th, named.note_en) == (
        1,
        "กรมทดสอบไม่มี",
        "Absent Test Department",
    )
    card = next(c for c in result.agencies if c.agency == absent).figures
    assert card["partitions_awaiting"].value == 3
    assert card["score"].value == 0
    assert card["oit_coverage"].ratio == "0/6"

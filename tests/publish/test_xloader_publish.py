"""The publisher's xloader path against the real local portal (which runs ckanext-xloader and
its job worker): declared types and the Thai/English dictionary kept, every row loaded, Thai
text searchable, Thai column names kept, a failed job reported with xloader's log and left
to the next run, and no automatic job racing the publisher's."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import ckanapi
import pyarrow as pa
import pytest

from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.client import CKANClient
from pipelines.publish.csvfile import to_safe_csv
from pipelines.publish.datastore import load_datastore
from pipelines.publish.metadata import DATASTORE_HASH_KEY, datastore_fields
from pipelines.publish.model import DatastoreTable, DictionaryField
from pipelines.publish.xloader import (
    FAILED,
    LOAD_STATE_KEY,
    LOADED,
    MIN_ROWS_ENV,
    XloaderLoadError,
    load_via_xloader,
    offers_xloader,
)
from pipelines.readiness.portal_reader import _dataset

pytestmark = [pytest.mark.portal, pytest.mark.timeout(300)]

PORTALCTL = Path(__file__).resolve().parents[2] / "portal" / "portalctl.py"


@pytest.fixture(autouse=True)
def every_table_through_xloader(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tables are a few rows: below the size where xloader pays, so ask for it."""
    monkeypatch.setenv(MIN_ROWS_ENV, "0")


def _client(portal: Any) -> CKANClient:
    return CKANClient(portal.url, portal.token, timeout_s=60)


def _table_fields(api: ckanapi.RemoteCKAN, resource_id: str) -> list[dict[str, Any]]:
    fields = api.action.datastore_search(resource_id=resource_id, limit=0)["fields"]
    return [f for f in fields if f["id"] != "_id"]


def test_the_publisher_loads_through_xloader_with_types_dictionary_and_thai_search(
    ckan_portal, make_request, unique_agency, tmp_path
):
    client = _client(ckan_portal)
    assert offers_xloader(client)  # the local portal runs xloader: this is the path taken
    request = make_request(unique_agency, years={2025: 6})
    receipt = CKANPublisher(url=ckan_portal.url).publish(
        [request], receipts_dir=tmp_path / "receipts"
    )
    api = ckan_portal.api()
    [csv] = [r for r in request.resources if r.datastore is not None]
    package = api.action.package_show(id=f"{unique_agency}-procurement")
    resource = next(r for r in package["resources"] if r["name"] == csv.name)

    status = api.action.xloader_status(resource_id=resource["id"])
    assert status["status"] == "complete"  # the table came from an xloader job
    assert resource[LOAD_STATE_KEY] == LOADED
    assert resource[DATASTORE_HASH_KEY]
    assert [r.datastore_rows for r in receipt.datasets[0].resources if r.name == csv.name] == [6]

    # types and the bilingual dictionary, as declared from the Table Schema
    assert csv.datastore is not None
    wanted = datastore_fields(csv.datastore)
    got = _table_fields(api, resource["id"])
    assert [(f["id"], f["type"]) for f in got] == [(f["id"], f["type"]) for f in wanted]
    assert {f["type"] for f in got} >= {"text", "int8", "numeric", "date"}
    for have, want in zip(got, wanted, strict=True):
        for key in ("label", "notes", "type_override"):
            assert have["info"][key] == want["info"][key], (have["id"], key)
    labels = {f["id"]: f["info"]["label"] for f in got}
    assert labels["project_name"] == "ชื่อโครงการ / Project name"

    # every row, exact values (the CSV's spreadsheet neutralisation undone), Thai search
    search = api.action.datastore_search(resource_id=resource["id"], sort="project_id")
    assert search["total"] == 6
    names = [record["project_name"] for record in search["records"]]
    assert names[0] == '=HYPERLINK("http://evil.example")'
    assert names[1:] == [f"จัดซื้อวัสดุ {i}" for i in range(1, 6)]
    assert {record["winner_name"] for record in search["records"]} == {"-บริษัท ทดสอบ จำกัด"}
    assert isinstance(search["records"][0]["fiscal_year"], int)
    found = api.action.datastore_search(
        resource_id=resource["id"], filters={"project_name": "จัดซื้อวัสดุ 3"}
    )
    assert [r["project_name"] for r in found["records"]] == ["จัดซื้อวัสดุ 3"]
    # full text (the "simple" configuration: a Thai run of letters is one word)
    text = api.action.datastore_search(resource_id=resource["id"], q={"project_name": "จัดซื้อวัสดุ"})
    assert text["total"] == 5

    # the readiness report sees a completed load as served by the API
    assert _dataset(ckan_portal.url, package, set()).resources[0].datastore_active

    # unchanged content: nothing reloaded (no new xloader job)
    again = CKANPublisher(url=ckan_portal.url).publish(
        [request], receipts_dir=tmp_path / "receipts"
    )
    assert again.datasets[0].action == "unchanged"
    assert api.action.xloader_status(resource_id=resource["id"])["job_id"] == status["job_id"]


def _upload_csv(api: ckanapi.RemoteCKAN, package_id: str, table: pa.Table, folder: Path) -> str:
    path = folder / "table.csv"
    path.write_bytes(to_safe_csv(table))
    with path.open("rb") as fh:
        created = api.action.resource_create(
            package_id=package_id, name="table.csv", format="CSV", upload=fh
        )
    return str(created["id"])


@pytest.fixture
def bare_dataset(ckan: ckanapi.RemoteCKAN, created: list[tuple[str, str]], run_id: str) -> str:
    """A dataset of our own (not the publisher's) to put resources in by hand."""
    org = f"xl-{run_id}-{uuid.uuid4().hex[:6]}"
    created.extend([("dataset", f"{org}-d"), ("organization", org)])
    ckan.action.organization_create(name=org, title=org)
    ckan.action.package_create(name=f"{org}-d", title="xloader test", owner_org=org)
    return f"{org}-d"


def test_thai_column_names_are_kept_and_a_failed_job_is_reported_with_its_log(
    ckan_portal, ckan, bare_dataset, tmp_path
):
    client = _client(ckan_portal)
    table = pa.table(
        {
            "รหัส": pa.array(["001", "002", "003"]),
            "ชื่อหน่วยงาน": pa.array(["กรมบัญชีกลาง", "กรมสรรพากร", ""]),
            "จำนวน": pa.array([1, 2, 3], pa.int64()),
        }
    )
    fields = (
        DictionaryField("รหัส", "string", "Code", "รหัส"),
        DictionaryField("ชื่อหน่วยงาน", "string", "Agency name", "ชื่อหน่วยงาน"),
        DictionaryField("จำนวน", "integer", "Count", "จำนวน"),
    )
    resource_id = _upload_csv(ckan, bare_dataset, table, tmp_path)
    # no automatic job on create: the portal submits nothing by itself (formats empty)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.xloader_status(resource_id=resource_id)

    assert load_via_xloader(client, resource_id, DatastoreTable(fields, table, ("รหัส",))) == 3
    got = _table_fields(ckan, resource_id)
    assert [(f["id"], f["type"]) for f in got] == [
        ("รหัส", "text"),
        ("ชื่อหน่วยงาน", "text"),
        ("จำนวน", "int8"),
    ]
    records = ckan.action.datastore_search(resource_id=resource_id, sort="รหัส")["records"]
    # empty text is null, as COPY reads it (the CSV cannot tell them apart either)
    assert [r["ชื่อหน่วยงาน"] for r in records] == ["กรมบัญชีกลาง", "กรมสรรพากร", None]
    assert [r["จำนวน"] for r in records] == [1, 2, 3]
    q = ckan.action.datastore_search(resource_id=resource_id, q="กรมสรรพากร")
    assert [r["รหัส"] for r in q["records"]] == ["002"]

    # the same file declared with a column xloader cannot COPY into: the job fails
    wrong = (fields[0], DictionaryField("ชื่อหน่วยงาน", "integer", "Agency", "หน่วยงาน"), fields[2])
    with pytest.raises(XloaderLoadError) as failed:
        load_via_xloader(client, resource_id, DatastoreTable(wrong, table), wait_s=120)
    message = str(failed.value)
    assert "failed" in message
    assert "xloader log:" in message
    assert 'invalid input syntax for type bigint: "กรมบัญชีกลาง"' in message  # COPY's refusal
    resource = ckan.action.resource_show(id=resource_id)
    assert resource[LOAD_STATE_KEY] == FAILED
    package = ckan.action.package_show(id=bare_dataset)
    assert not _dataset(ckan_portal.url, package, set()).resources[0].datastore_active
    # the next run loads it again (a failed job is no reason to skip)
    assert load_via_xloader(client, resource_id, DatastoreTable(fields, table)) == 3
    assert ckan.action.resource_show(id=resource_id)[LOAD_STATE_KEY] == "loading"  # until the
    # executor's last patch, which marks it loaded with the datastore hash


def test_a_second_up_reuses_the_one_job_worker(ckan_portal):
    home = Path(str(ckan_portal.env["ckan_ini"])).parent
    pid = (home / "run" / "worker.pid").read_text().strip()
    up = subprocess.run(
        [sys.executable, str(PORTALCTL), "up"], capture_output=True, text=True, timeout=300
    )
    assert up.returncode == 0, up.stderr
    assert "already up" in up.stdout
    assert (home / "run" / "worker.pid").read_text().strip() == pid
    workers = {
        proc.name
        for proc in Path("/proc").iterdir()
        if proc.name.isdigit() and _cmdline(proc).endswith(f"{home}/ckan.ini jobs worker")
    }
    # one worker; its own children (RQ's scheduler, a job's work-horse) carry its command line
    assert {name for name in workers if _parent(name) not in workers} == {pid}
    status = subprocess.run(
        [sys.executable, str(PORTALCTL), "status"], capture_output=True, text=True, timeout=60
    )
    assert status.returncode == 0
    assert "worker     ok" in status.stdout


def _parent(pid: str) -> str:
    stat = (Path("/proc") / pid / "stat").read_text()
    return stat.rsplit(")", 1)[1].split()[1]


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def test_cells_xloader_alters_or_refuses_end_exact_in_the_datastore(
    ckan_portal, ckan, bare_dataset, tmp_path
):
    client = _client(ckan_portal)
    fields = (
        DictionaryField("id", "string", "Id", "รหัส"),
        DictionaryField("text", "string", "Text", "ข้อความ"),
    )
    # a CR inside a cell: xloader reads the file with universal newlines (CR becomes LF)
    returns = pa.table({"id": ["1", "2", "3"], "text": ["a\r\nb", "a\rb", "end\r"]})
    crlf = _upload_csv(ckan, bare_dataset, returns, tmp_path)
    assert load_datastore(client, crlf, DatastoreTable(fields, returns, ("id",))) == 3
    assert ckan.action.xloader_status(resource_id=crlf)["status"] == "complete"
    records = ckan.action.datastore_search(resource_id=crlf, sort="id")["records"]
    assert [r["text"] for r in records] == ["a\r\nb", "a\rb", "end\r"]

    # a cell over xloader's CSV field limit (131,072 characters): its job fails every time, so
    # the table is loaded by datastore_upsert in the same run instead of left empty
    long = pa.table({"id": ["1", "2"], "text": ["ก" * 140_000, "short"]})
    refused = _upload_csv(ckan, bare_dataset, long, tmp_path)
    assert load_datastore(client, refused, DatastoreTable(fields, long, ("id",))) == 2
    assert ckan.action.xloader_status(resource_id=refused)["status"] == "error"
    records = ckan.action.datastore_search(resource_id=refused, sort="id")["records"]
    assert [len(r["text"]) for r in records] == [140_000, 5]

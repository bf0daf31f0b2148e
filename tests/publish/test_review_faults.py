"""Through the fault proxy in front of the real portal: what an adversarial review broke.

A foreign dataset's notes that look like a header do not break planning; a dataset a steward made
private stays private; a keyed public table cut mid-reload keeps every old row; a dripped reply
does not outlast the deadline; an error page echoing the token base64- or hex-encoded leaks it
nowhere and is summarised; receipts stay valid JSON and are written when an organization fails,
whose error is named after the create, not the look-up inside its retry.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.client import PortalDeadlineError, RetryableHTTPError
from pipelines.publish.metadata import extras_dict
from pipelines.publish.plan import STATE_KEY
from pipelines.publish.receipt import PublishError, PublishReceipt

from .fault_proxy import FaultProxy, drip, reply, running

pytestmark = [pytest.mark.portal, pytest.mark.timeout(600)]


@pytest.fixture(autouse=True)
def datastore_upsert_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """These faults are the datastore_upsert path's (the fallback on a portal without
    ckanext-xloader): force it on the local portal, which offers xloader."""
    monkeypatch.setenv("OGP_DATASTORE_LOADER", "upsert")


FAST: dict[str, Any] = {"max_attempts": 2, "backoff_initial_s": 0.05, "backoff_max_s": 0.1}
UNTIL_THE_DEADLINE: dict[str, Any] = {**FAST, "max_attempts": 10_000}


def publish(url: str, request: Any, receipts: Path, **config: Any) -> PublishReceipt:
    on_request = config.pop("on_request", None)
    return CKANPublisher(url=url, **config).publish(
        [request], receipts_dir=receipts, on_request=on_request
    )


def receipts_in(folder: Path) -> list[PublishReceipt]:
    """Every receipt in ``folder`` (each must be valid JSON)."""
    return [PublishReceipt.model_validate_json(p.read_text()) for p in sorted(folder.glob("*"))]


def test_a_foreign_dataset_whose_notes_look_like_a_header_does_not_break_planning(
    ckan_portal, make_request, agency, created, tmp_path
) -> None:
    publish(ckan_portal.url, make_request(agency), tmp_path / "r")
    staff = f"{agency}-staff-notes"
    created.insert(0, ("dataset", staff))
    ckan_portal.api().action.package_create(
        name=staff, owner_org=agency, notes='API token: "ask the admin" — ขอ token: "ผู้ดูแล"'
    )

    receipt = publish(ckan_portal.url, make_request(agency, {2024: 6}), tmp_path / "r")

    assert receipt.failures == []
    assert receipt.datasets[0].action == "update"
    notes = ckan_portal.api().action.package_show(id=staff)["notes"]
    assert notes.startswith('API token: "ask the admin"')  # nothing rewrote it


def test_a_dataset_a_steward_made_private_stays_private_and_untouched(
    ckan_portal, make_request, agency, tmp_path, anon
) -> None:
    name = f"{agency}-procurement"
    publish(ckan_portal.url, make_request(agency), tmp_path / "r")
    api = ckan_portal.api()
    api.action.package_patch(id=name, private=True)  # withdrawn (a privacy incident)
    before = api.action.package_show(id=name)

    receipt = publish(ckan_portal.url, make_request(agency, {2024: 9}, seed=1), tmp_path / "r")

    assert receipt.failures == []
    assert receipt.datasets[0].action == "withheld"
    after = api.action.package_show(id=name)
    assert after["private"] is True
    assert after["metadata_modified"] == before["metadata_modified"]
    assert [r["content_hash"] for r in after["resources"]] == [
        r["content_hash"] for r in before["resources"]
    ]
    with pytest.raises((ckanapi.NotFound, ckanapi.NotAuthorized)):
        anon.action.package_show(id=name)


def test_an_interrupted_creation_is_marked_and_the_mark_is_gone_once_public(
    ckan_portal, proxy, make_request, agency, tmp_path
) -> None:
    request = make_request(agency, {2024: 3, 2025: 2})
    proxy.fail_from(6, reply(503))  # reads (2), organization, dataset, one resource: then down
    with pytest.raises(PortalDeadlineError):
        publish(proxy.url, request, tmp_path / "r", deadline_s=3.0, **UNTIL_THE_DEADLINE)
    api = ckan_portal.api()
    half = api.action.package_show(id=request.dataset.name)
    assert half["private"] is True
    assert extras_dict(half).get(STATE_KEY) == "creating"

    receipt = publish(ckan_portal.url, request, tmp_path / "r")

    assert receipt.datasets[0].action == "update"
    done = api.action.package_show(id=request.dataset.name)
    assert done["private"] is False
    assert STATE_KEY not in extras_dict(done)


def test_a_keyed_public_table_cut_mid_reload_keeps_every_old_row(
    ckan_portal, proxy, make_request, agency, tmp_path, anon
) -> None:
    old = make_request(agency, {2024: 400})
    publish(ckan_portal.url, old, tmp_path / "r", datastore_batch_rows=100)
    new = make_request(agency, {2024: 400}, seed=1)  # every key changes
    upserts: list[str] = []

    def portal_goes_down(action: str) -> None:
        if action == "datastore_upsert":
            upserts.append(action)
            if len(upserts) == 2:
                proxy.fail_from(1, reply(503))

    with pytest.raises(PortalDeadlineError):
        publish(
            proxy.url,
            new,
            tmp_path / "r",
            datastore_batch_rows=100,
            datastore_parallel=1,
            deadline_s=4.0,
            on_request=portal_goes_down,
            **UNTIL_THE_DEADLINE,
        )

    package = anon.action.package_show(id=old.dataset.name)
    table = next(r for r in package["resources"] if r["name"] == "procurement-fy2024.csv")
    assert table["datastore_active"] is True
    rows = anon.action.datastore_search(resource_id=table["id"], limit=2000)["records"]
    old_ids = set(old.resources[0].datastore.table.column("project_id").to_pylist())
    assert old_ids <= {row["project_id"] for row in rows}  # the public lost no row
    cut = [r for r in receipts_in(tmp_path / "r") if r.error]
    assert len(cut) == 1
    assert "updated in place" in str(cut[0].datasets[0].error)

    rerun = publish(ckan_portal.url, new, tmp_path / "r", datastore_batch_rows=100)
    assert rerun.failures == []
    after = anon.action.datastore_search(resource_id=table["id"], limit=2000)
    assert after["total"] == 400
    wanted = set(new.resources[0].datastore.table.column("project_id").to_pylist())
    assert {row["project_id"] for row in after["records"]} == wanted


def test_a_reply_dripped_byte_by_byte_does_not_outlast_the_deadline(
    ckan_portal, proxy, make_request, agency, tmp_path
) -> None:
    proxy.fail_from(1, drip(0.5))  # every reply: one byte each half second
    started = time.monotonic()
    with pytest.raises(PortalDeadlineError, match="not answering") as error:
        publish(
            proxy.url,
            make_request(agency),
            tmp_path / "r",
            timeout_s=2.0,
            deadline_s=4.0,
            **UNTIL_THE_DEADLINE,
        )
    assert time.monotonic() - started < 4.0 + 10.0  # hang guard; a dripped reply is ~50 s
    assert "\n" not in str(error.value)
    assert ("organization_list", "drip") in proxy.injected


def _recoverable(text: str, token: str) -> bool:
    """Does any base64 or hex blob in ``text`` decode to something holding ``token``?"""
    for blob in re.findall(r"[A-Za-z0-9+/=_-]{24,}", text):
        for decode in (
            lambda b: base64.b64decode(b + "==", altchars=b"-_"),
            lambda b: base64.b64decode(b + "=="),
            bytes.fromhex,
        ):
            try:
                if token.encode() in decode(blob):
                    return True
            except (binascii.Error, ValueError):
                continue
    return False


@pytest.mark.parametrize("encoding", ["base64", "hex"])
def test_an_error_page_echoing_the_token_encoded_leaks_it_nowhere(
    ckan_portal, make_request, agency, tmp_path, caplog, encoding
) -> None:
    token = ckan_portal.token
    caplog.set_level(logging.INFO)
    publish(ckan_portal.url, make_request(agency), tmp_path / "r")
    echoing = contextlib.contextmanager(running)
    with echoing(FaultProxy(ckan_portal.url, echo=True, echo_encoding=encoding)) as echo:
        echo.fail_from(3, reply(403))  # the reads pass; every write meets an echoing 403 page
        with pytest.raises(PublishError) as error:
            publish(echo.url, make_request(agency, {2024: 9}), tmp_path / "r", **FAST)
        assert echo.echoed > 0
    receipts = "\n".join(p.read_text() for p in (tmp_path / "r").glob("*.json"))
    assert "Request id" in str(error.value)  # the page is summarised, not dropped
    assert "Request id" in receipts
    for text in (str(error.value), receipts, caplog.text):
        assert token not in text
        assert not _recoverable(text, token)


def test_a_huge_error_page_is_summarised_and_the_receipt_stays_valid_json(
    ckan_portal, proxy, make_request, agency, tmp_path
) -> None:
    page = '<html><script>var token = "abc\\"123";</script>' + "<p>trouble</p>" * 5000
    publish(ckan_portal.url, make_request(agency), tmp_path / "r")
    proxy.fail_from(3, reply(403, body=page))
    with pytest.raises(PublishError) as error:
        publish(proxy.url, make_request(agency, {2024: 9}), tmp_path / "r", **FAST)
    assert "trouble" in str(error.value)
    assert len(str(error.value)) < 2_000
    for path in (tmp_path / "r").glob("*.json"):
        json.loads(path.read_text())  # each receipt parses
    failed = [r for r in receipts_in(tmp_path / "r") if r.failures]
    assert len(failed) == 1
    assert len(str(failed[0].datasets[0].error)) < 2_000


def test_an_organization_that_fails_leaves_a_receipt_naming_its_create(
    ckan_portal, proxy, make_request, agency, tmp_path
) -> None:
    proxy.on("organization_create", reply(502))
    proxy.on("organization_show", reply(503))  # the look-up inside the retry fails
    with pytest.raises(RetryableHTTPError) as error:
        publish(proxy.url, make_request(agency), tmp_path / "r", **FAST)
    assert proxy.pending() == {}
    assert str(error.value).startswith("CKAN organization_create: ")
    (receipt,) = receipts_in(tmp_path / "r")
    assert str(receipt.error).startswith("RetryableHTTPError: CKAN organization_create: ")
    assert receipt.datasets == []


def test_a_keyless_table_cut_mid_rebuild_is_reported_as_possibly_partial(
    ckan_portal, proxy, make_request, agency, tmp_path
) -> None:
    def keyless(request: Any) -> Any:
        resources = tuple(
            replace(r, datastore=replace(r.datastore, primary_key=()))
            if r.datastore is not None
            else r
            for r in request.resources
        )
        return replace(request, resources=resources)

    publish(ckan_portal.url, keyless(make_request(agency, {2024: 300})), tmp_path / "r")

    def portal_goes_down(action: str) -> None:
        if action == "datastore_upsert":  # the first batch after the table's create
            proxy.fail_from(1, reply(503))

    with pytest.raises(PortalDeadlineError, match="publishing stopped there"):
        publish(
            proxy.url,
            keyless(make_request(agency, {2024: 300}, seed=1)),
            tmp_path / "r",
            datastore_batch_rows=100,
            datastore_parallel=1,
            deadline_s=3.0,
            on_request=portal_goes_down,
            **UNTIL_THE_DEADLINE,
        )
    (cut,) = [r for r in receipts_in(tmp_path / "r") if r.error]
    assert "may be partial until the re-run" in str(cut.datasets[0].error)

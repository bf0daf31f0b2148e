"""Publishing through a scripted fault proxy in front of the real local portal: lost replies of
committed writes, 5xx, 429 with Retry-After, slow and hanging replies.

Where the portal recovers, one run ends at the exact catalog (resources, sha256, DataStore rows,
no duplicates); where it does not, the run ends within its deadline with one clear line, every
resource is at its old or its new bytes, and a re-run converges.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.client import PortalDeadlineError
from pipelines.publish.datapackage import as_published, resource_urls
from pipelines.publish.executor import find_package
from pipelines.publish.metadata import dataset_dict, datastore_hash
from pipelines.publish.model import PublishRequest
from pipelines.publish.receipt import PublishError, PublishReceipt

from .fault_proxy import commit_then, hang, reply, slow, stale

pytestmark = [pytest.mark.portal, pytest.mark.timeout(600)]


@pytest.fixture(autouse=True)
def datastore_upsert_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """These faults are the datastore_upsert path's (the fallback on a portal without
    ckanext-xloader): force it on the local portal, which offers xloader."""
    monkeypatch.setenv("OGP_DATASTORE_LOADER", "upsert")


FAST_RETRIES: dict[str, Any] = {
    "max_attempts": 6,
    "backoff_initial_s": 0.05,
    "backoff_max_s": 0.2,
}


def publish(url: str, portal: Any, request: PublishRequest, tmp_path: Path, **config: Any):
    publisher = CKANPublisher(url=url, **config)
    return publisher.publish([request], receipts_dir=tmp_path / "receipts")


def assert_exact_catalog(api: ckanapi.RemoteCKAN, request: PublishRequest) -> None:
    """The portal holds exactly ``request``: names in order, bytes (sha256), whole DataStore
    tables without duplicate rows, one preview each, and the dataset is public."""
    package = api.action.package_show(id=request.dataset.name)
    request = as_published(request, resource_urls(package))  # datapackage.json: portal URLs
    assert package["private"] is False
    assert [r["name"] for r in package["resources"]] == [r.name for r in request.resources]
    for found, wanted in zip(package["resources"], request.resources, strict=True):
        assert found["content_hash"] == wanted.content_hash, found["name"]
        if wanted.datastore is None:
            continue
        rows = wanted.datastore.num_rows
        search = api.action.datastore_search(resource_id=found["id"], limit=rows + 10)
        assert search["total"] == rows, found["name"]
        ids = [record["project_id"] for record in search["records"]]
        assert len(ids) == len(set(ids)) == rows, found["name"]
        assert sorted(ids) == sorted(wanted.datastore.table.column("project_id").to_pylist())
        assert found["datastore_hash"] == datastore_hash(wanted)
        views = api.action.resource_view_list(id=found["id"])
        assert [v["view_type"] for v in views] == ["datatables_view"], found["name"]


def assert_settled(portal: Any, request: PublishRequest, tmp_path: Path) -> None:
    again = publish(portal.url, portal, request, tmp_path)
    assert again.datasets[0].action == "unchanged"
    assert again.bytes_uploaded == 0


# --- a portal that recovers ---------------------------------------------------------------------


def test_lost_replies_and_transient_errors_on_create_converge_in_one_run(
    ckan_portal, proxy, make_request, agency, tmp_path
):
    proxy.on("organization_create", commit_then(502))
    proxy.on("package_create", commit_then(502))
    proxy.on("resource_create", commit_then(502), reply(500), reply(429, "1"))
    # The second table's create commits but its reply comes after the client's timeout.
    proxy.on("datastore_create", commit_then(502), slow(4.0))
    proxy.on("datastore_upsert", commit_then(502))  # an insert batch: retried as an upsert
    proxy.on("resource_view_create", commit_then(504))
    proxy.on("package_show", slow(1.0))  # a look-up, slow but within the timeout
    request = make_request(agency, {2024: 5, 2025: 3})

    receipt = publish(
        proxy.url,
        ckan_portal,
        request,
        tmp_path,
        datastore_batch_rows=2,
        timeout_s=2.0,
        **FAST_RETRIES,
    )

    assert proxy.pending() == {}  # every scripted fault was met
    assert receipt.failures == []
    assert receipt.datasets[0].action == "create"
    assert_exact_catalog(ckan_portal.api(), request)
    assert len(ckan_portal.api().action.organization_list(organizations=[agency])) == 1
    assert_settled(ckan_portal, request, tmp_path)


def test_lost_replies_on_update_neither_resend_uploads_nor_double_rows(
    ckan_portal, proxy, make_request, agency, tmp_path
):
    publish(ckan_portal.url, ckan_portal, make_request(agency, {2024: 5, 2025: 3}), tmp_path)
    before = {
        r["name"]: r["id"]
        for r in ckan_portal.api().action.package_show(id=f"{agency}-procurement")["resources"]
    }
    proxy.on("resource_patch", commit_then(502))  # fy2025's new bytes are in; reply lost
    # fy2025's keyed table is updated in place: fields, upserts, then its dropped key deleted.
    proxy.on("datastore_delete", commit_then(502))
    proxy.on("datastore_create", commit_then(502))
    proxy.on("datastore_upsert", reply(503), commit_then(502))
    changed = make_request(agency, {2024: 5, 2025: 2})

    receipt = publish(
        proxy.url, ckan_portal, changed, tmp_path, datastore_batch_rows=2, **FAST_RETRIES
    )

    assert proxy.pending() == {}
    assert receipt.failures == []
    assert_exact_catalog(ckan_portal.api(), changed)
    after = ckan_portal.api().action.package_show(id=f"{agency}-procurement")["resources"]
    assert {r["name"]: r["id"] for r in after} == before  # replaced in place
    # fy2025 upload (reply lost, found by sha256: not sent again), fy2025 datastore_hash,
    # datapackage.json upload.
    assert proxy.seen.count("resource_patch") == 3
    assert "resource_show" in proxy.seen
    assert_settled(ckan_portal, changed, tmp_path)


def test_already_exists_after_a_lost_reply_is_success_when_the_content_matches(
    ckan_portal, proxy, make_request, agency, tmp_path
):
    # The create commits, its reply is lost, and the look-up reads a lagging replica that does
    # not have it yet: the create is sent again and refused ("already in use"); the look-up
    # after the refusal finds our dataset with the same metadata hash, so that is success.
    proxy.on("package_create", commit_then(502))
    proxy.on("package_show", stale())
    request = make_request(agency, {2024: 3})

    receipt = publish(proxy.url, ckan_portal, request, tmp_path, **FAST_RETRIES)

    assert proxy.pending() == {}
    assert proxy.seen.count("package_create") == 2
    assert receipt.failures == []
    assert_exact_catalog(ckan_portal.api(), request)


def test_already_exists_with_other_content_stays_a_refusal(
    ckan_portal, proxy, make_request, agency, tmp_path
):
    """A dataset of that name that is not ours (no marker) is never taken for our create."""
    request = make_request(agency, {2024: 3})
    publish(ckan_portal.url, ckan_portal, request, tmp_path)
    ckan_portal.api().action.package_patch(id=request.dataset.name, extras=[])
    proxy.on("package_create", reply(502))  # the first attempt fails: the look-up runs
    client = CKANPublisher(url=proxy.url, **FAST_RETRIES).client()
    data = dataset_dict(request.dataset)
    try:
        with pytest.raises(ckanapi.ValidationError) as refused:
            client.call("package_create", data, already_done=lambda: find_package(client, data))
        # the portal's own refusal of the name (its wording follows the portal's language)
        assert set(refused.value.error_dict) == {"name", "__type"}
        assert refused.value.error_dict["name"]
    finally:
        client.close()
    assert proxy.pending() == {}
    assert proxy.seen.count("package_create") == 2
    assert proxy.seen.count("package_show") == 2  # before the resend, after the refusal


def test_a_table_without_key_is_rebuilt_when_a_lost_insert_doubled_rows(
    ckan_portal, proxy, make_request, agency, tmp_path, caplog
):
    caplog.set_level(logging.WARNING)
    keyed = make_request(agency, {2024: 7})
    request = replace(
        keyed,
        resources=tuple(
            replace(r, datastore=replace(r.datastore, primary_key=()))
            if r.datastore is not None
            else r
            for r in keyed.resources
        ),
    )
    proxy.on("datastore_upsert", commit_then(502))  # no key: the retried insert doubles a batch

    receipt = publish(
        proxy.url, ckan_portal, request, tmp_path, datastore_batch_rows=2, **FAST_RETRIES
    )

    assert proxy.pending() == {}
    assert receipt.failures == []
    assert "rebuilding it" in caplog.text
    assert_exact_catalog(ckan_portal.api(), request)


# --- a portal that does not recover: the deadline -----------------------------------------------

DEADLINE_S = 5.0
SLACK_S = 8.0
# Attempts never run out first: the deadline alone must end the publish.
UNTIL_THE_DEADLINE = {**FAST_RETRIES, "max_attempts": 10_000}


@pytest.mark.parametrize(
    ("fault", "doing"),
    [
        (reply(429, "1"), "answering 429"),
        (reply(503), "answering HTTP 503"),
        (hang(60), "not answering \\(timeouts\\)"),
    ],
    ids=["429", "503", "hang"],
)
def test_a_portal_that_keeps_failing_stops_at_the_deadline_and_a_rerun_converges(
    ckan_portal, proxy, make_request, agency, tmp_path, fault, doing
):
    old = make_request(agency, {2024: 5, 2025: 3})
    publish(ckan_portal.url, ckan_portal, old, tmp_path)
    new = make_request(agency, {2024: 6, 2025: 4}, seed=1)
    # Reads (2), fy2024's upload, its table dropped and re-created: then the portal fails.
    proxy.fail_from(5, fault)

    started = time.monotonic()
    with pytest.raises(PortalDeadlineError) as error:
        publish(
            proxy.url,
            ckan_portal,
            new,
            tmp_path,
            deadline_s=DEADLINE_S,
            timeout_s=1.5,
            **UNTIL_THE_DEADLINE,
        )
    elapsed = time.monotonic() - started

    assert elapsed < DEADLINE_S + SLACK_S
    assert isinstance(error.value, PublishError)  # `ogp publish` shows its receipt
    assert error.value.receipt.error == str(error.value)
    message = str(error.value)
    assert "\n" not in message
    assert re.fullmatch(
        f"portal kept {doing} for \\d+ s; publishing stopped there \\(see the receipt\\); "
        "re-run later",
        message,
    ), message
    receipts = [
        PublishReceipt.model_validate_json(path.read_text())
        for path in (tmp_path / "receipts").glob("*.json")
    ]
    assert sorted(str(r.error) for r in receipts) == sorted([message, "None"])  # still written
    # Every resource holds its old bytes or its new ones, nothing else; some got the new ones.
    package = ckan_portal.api().action.package_show(id=f"{agency}-procurement")
    before, after = (as_published(r, resource_urls(package)) for r in (old, new))  # descriptor
    allowed = {r.name: {r.content_hash} for r in before.resources}
    for resource in after.resources:
        allowed[resource.name].add(resource.content_hash)
    assert [r["name"] for r in package["resources"]] == [r.name for r in new.resources]
    assert all(r["content_hash"] in allowed[r["name"]] for r in package["resources"])
    new_hashes = {r.content_hash for r in after.resources} - {
        r.content_hash for r in before.resources
    }
    assert any(r["content_hash"] in new_hashes for r in package["resources"])

    rerun = publish(ckan_portal.url, ckan_portal, new, tmp_path)
    assert rerun.failures == []
    assert_exact_catalog(ckan_portal.api(), new)


def test_a_new_dataset_cut_off_by_the_deadline_is_never_public_half_made(
    ckan_portal, proxy, make_request, agency, tmp_path, anon
):
    request = make_request(agency, {2024: 5, 2025: 3})
    # Reads (2), organization, dataset, first resource: then 429 for ever.
    proxy.fail_from(6, reply(429, "1"))

    with pytest.raises(PortalDeadlineError, match="answering 429"):
        publish(proxy.url, ckan_portal, request, tmp_path, deadline_s=4.0, **UNTIL_THE_DEADLINE)

    half = ckan_portal.api().action.package_show(id=f"{agency}-procurement")
    assert half["private"] is True
    assert 0 < len(half["resources"]) < len(request.resources)
    with pytest.raises((ckanapi.NotFound, ckanapi.NotAuthorized)):
        anon.action.package_show(id=f"{agency}-procurement")

    publish(ckan_portal.url, ckan_portal, request, tmp_path)
    assert_exact_catalog(ckan_portal.api(), request)
    assert anon.action.package_show(id=f"{agency}-procurement")["name"] == request.dataset.name

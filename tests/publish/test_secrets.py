"""A portal that echoes the Authorization header (the fault proxy in echo mode, forwarding real
requests to the real local portal): the API token must reach no log line, no exception, no
Dagster storage and no file the pipeline writes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import ckanapi
import dagster as dg
import pytest
import requests

from pipelines.defs.publish import RESOURCE_KEY
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.client import CKANClient
from pipelines.publish.model import PublishRequest
from pipelines.redaction import MASK
from pipelines.settings import get_settings

from .fault_proxy import FaultProxy, commit_then, reply, running

pytestmark = [pytest.mark.portal, pytest.mark.timeout(600)]

RETRIES: dict[str, Any] = {"max_attempts": 4, "backoff_initial_s": 0.05, "backoff_max_s": 0.2}


@pytest.fixture
def echo_proxy(ckan_portal: Any) -> Iterator[FaultProxy]:
    yield from running(FaultProxy(ckan_portal.url, echo=True))


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ckan_portal: Any) -> Iterator[Path]:
    """Fresh data and build folders, and the token from the environment (as in production)."""
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OGP_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("OGP_CKAN_TOKEN", ckan_portal.token)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def refused(request: PublishRequest) -> PublishRequest:
    """The same dataset under an organization name CKAN refuses (upper case)."""
    bad = "Refused-" + request.organization.name
    return replace(
        request,
        organization=replace(request.organization, name=bad),
        dataset=replace(request.dataset, owner_org=bad),
    )


def files_holding(folder: Path, secret: str) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]


def test_the_proxy_really_echoes_the_token(ckan_portal, echo_proxy) -> None:
    """The control: without the publisher's redaction the token is right there in the reply."""
    token = ckan_portal.token
    reply_ = requests.post(
        f"{echo_proxy.url}/api/3/action/status_show",
        headers={"Authorization": token},
        json={},
        timeout=30,
    )
    assert reply_.json()["success"] is True  # forwarded to the real portal
    assert token in reply_.text


def test_a_publish_through_an_echoing_portal_leaks_the_token_nowhere(
    ckan_portal, echo_proxy, make_request, agency, dirs, caplog, capfd
) -> None:
    token = ckan_portal.token
    caplog.set_level(logging.DEBUG)
    echo_proxy.on("package_create", commit_then(502))  # an error page that echoes the header
    echo_proxy.on("resource_create", reply(500))
    publisher = CKANPublisher(url=echo_proxy.url, **RETRIES)
    request = make_request(agency)

    receipt = publisher.publish([request])  # default receipts folder, under the data folder
    with pytest.raises(ckanapi.ValidationError) as error:  # the organization is refused
        publisher.publish([refused(request)])

    assert echo_proxy.echoed > 10
    assert echo_proxy.pending() == {}
    assert receipt.failures == []
    assert "lowercase" in str(error.value)  # the server's own message is kept
    captured = capfd.readouterr()
    assert "retrying in" in caplog.text  # the echoed error pages were logged, minus the token
    for text in (caplog.text, captured.out, captured.err, str(error.value), repr(error.value)):
        assert token not in text
    assert all(token not in record.getMessage() for record in caplog.records)
    assert list((dirs / "data").rglob("*.json"))  # receipts were written there
    assert files_holding(dirs, token) == []


def test_dagster_storage_of_a_run_through_an_echoing_portal_holds_no_token(
    ckan_portal, echo_proxy, make_request, agency, dirs
) -> None:
    token = ckan_portal.token
    request = make_request(agency)
    echo_proxy.on("resource_create", commit_then(502))

    @dg.asset(required_resource_keys={RESOURCE_KEY})
    def echo_published(context) -> dg.MaterializeResult:
        publisher: CKANPublisher = getattr(context.resources, RESOURCE_KEY)
        receipt = publisher.publish([request])
        context.log.info("published %s", receipt.model_dump_json())
        return dg.MaterializeResult(metadata={"receipt": receipt.model_dump(mode="json")})

    @dg.asset(required_resource_keys={RESOURCE_KEY})
    def echo_refused(context) -> None:
        publisher: CKANPublisher = getattr(context.resources, RESOURCE_KEY)
        publisher.publish([refused(request)])  # raises with the server's (echoing) message

    home = dirs / "dagster"
    home.mkdir()
    python_logs = {"managed_python_loggers": ["pipelines"], "python_log_level": "DEBUG"}
    instance = dg.DagsterInstance.local_temp(str(home), overrides={"python_logs": python_logs})
    resources = {RESOURCE_KEY: CKANPublisher(url=echo_proxy.url, **RETRIES)}
    try:
        ok = dg.materialize([echo_published], instance=instance, resources=resources)
        failed = dg.materialize(
            [echo_refused], instance=instance, resources=resources, raise_on_error=False
        )
        assert ok.success
        assert not failed.success
        texts = []
        for run in (ok, failed):
            for entry in instance.all_logs(run.run_id):
                texts.append(entry.user_message)
                texts.append(str(entry.dagster_event))
    finally:
        instance.dispose()

    assert echo_proxy.echoed > 0
    assert echo_proxy.pending() == {}
    everything = "\n".join(texts)
    assert "published {" in everything  # the asset's own log line
    assert "retrying in" in everything  # the client's retry warning, captured by Dagster
    assert "lowercase" in everything  # the failure, with the server's message
    assert token not in everything
    assert list(home.rglob("*.db"))  # the SQLite run and event storage
    assert files_holding(home, token) == []
    assert files_holding(dirs / "data", token) == []


# --- every error is clean, whatever its class ----------------------------------------------------


def test_an_error_requests_raises_with_the_token_in_it_leaves_the_client_clean(ckan_portal) -> None:
    """requests' InvalidHeader quotes the whole header value (a token with a newline): the client
    rebuilds it from redacted text, with no cause or context carrying the original."""
    token = ckan_portal.token
    client = CKANClient(ckan_portal.url, token + "\n", timeout_s=30, max_attempts=1)
    try:
        with pytest.raises(requests.exceptions.InvalidHeader) as error:
            client.call("status_show")
    finally:
        client.close()
    assert error.value.__cause__ is None
    assert error.value.__context__ is None
    text = "".join(traceback.format_exception(error.value))
    assert "InvalidHeader" in text
    assert MASK in text
    assert token not in text
    assert token[-20:] not in text


def test_a_dagster_run_failing_with_the_token_in_an_unexpected_error_stores_no_token(
    ckan_portal, make_request, agency, dirs
) -> None:
    token = ckan_portal.token
    request = make_request(agency)

    def boom(action: str) -> None:
        raise RuntimeError(f"unexpected while sending {action} with Authorization: {token}")

    @dg.asset(required_resource_keys={RESOURCE_KEY})
    def unexpected_failure(context) -> None:
        getattr(context.resources, RESOURCE_KEY).publish([request], on_request=boom)

    home = dirs / "dagster"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    try:
        result = dg.materialize(
            [unexpected_failure],
            instance=instance,
            resources={RESOURCE_KEY: CKANPublisher(url=ckan_portal.url, **RETRIES)},
            raise_on_error=False,
        )
        assert not result.success
        texts = []
        for entry in instance.all_logs(result.run_id):
            texts.append(entry.user_message)
            texts.append(str(entry.dagster_event))
    finally:
        instance.dispose()
    everything = "\n".join(texts)
    assert "unexpected while sending organization_list" in everything  # the failure is there
    assert token not in everything
    assert files_holding(home, token) == []


def _ogp(*args: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OGP_CKAN_TOKEN": token, "COLUMNS": "200"}
    ogp = Path(sys.executable).with_name("ogp")
    return subprocess.run(
        [str(ogp), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_ogp_publish_strips_a_token_file_newline_and_refuses_a_broken_token_in_one_line(
    ckan_portal, workspace, unique_agency, tmp_path
) -> None:
    token = ckan_portal.token
    broken = _ogp("publish", token=token[:40] + "\n" + token[40:])
    assert broken.returncode == 2, broken.stdout + broken.stderr
    output = broken.stdout + broken.stderr
    assert "OGP_CKAN_TOKEN" in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1
    assert token[:40] not in output
    assert token[40:] not in output

    published = _ogp("publish", token=token + "\n")  # as read from a secrets file
    output = published.stdout + published.stderr
    assert published.returncode == 0, output
    assert f"{unique_agency}-procurement" in output
    assert token not in output
    assert files_holding(workspace, token) == []

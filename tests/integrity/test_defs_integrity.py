"""The Dagster assets, materialized for one agency partition against a temporary data dir.

The OCDS package is *withheld* (the asset succeeds, status and reason in its metadata, no
package on disk) when the schema is offline; the red flags are published either way. A schema
folder that is broken, an invalid package or bad red-flag definitions: test_failed_derived.py."""

import functools
import http.server
import json
import shutil
import socket
import threading

import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, DagsterEvent, DagsterInstance, StaticPartitionsDefinition, materialize

from pipelines.defs import integrity as integrity_defs
from pipelines.integrity.ocds_schema import forget_unreachable
from pipelines.integrity.partition import (
    gated_table_path,
    integrity_dir,
    package_path,
    screened_table_path,
    withheld_note_path,
)
from pipelines.settings import get_settings

PARTITIONS = StaticPartitionsDefinition(["cgd", "pcd"])
PUBLIC_REASON = (
    "the official OCDS 1.1.5 schema could not be obtained when this dataset was published"
)
PUBLIC_REASON_TH = "ไม่สามารถรับสคีมา OCDS 1.1.5 ฉบับทางการได้ขณะเผยแพร่ชุดข้อมูลนี้"


@pytest.fixture
def data_dir(tmp_path, monkeypatch, ocds_schema_dir, make_project, make_table):
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(ocds_schema_dir))
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()
    forget_unreachable()
    path = gated_table_path(tmp_path, "cgd")
    path.parent.mkdir(parents=True)
    rows = [make_project(1, number_of_bidders=1), make_project(2, contract_value=1_500_000.0)]
    pq.write_table(make_table(rows), path)
    pq.write_table(make_table(rows), screened_table_path(tmp_path, "cgd"))
    yield tmp_path
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()
    forget_unreachable()


def asset_name(event: DagsterEvent) -> str:
    key = event.asset_key
    assert key is not None
    return key.path[-1]


def failure_message(event: DagsterEvent) -> str:
    error = event.step_failure_data.error
    assert error is not None
    return error.message


def test_both_assets_depend_on_clean_procurement_and_share_its_partitions():
    assets = integrity_defs.build_integrity_assets(PARTITIONS)
    for asset in assets:
        assert asset.partitions_def == PARTITIONS
        assert AssetKey("clean_procurement") in asset.dependency_keys
    assert {a.key for a in assets} == {
        AssetKey("procurement_ocds"),
        AssetKey("procurement_red_flags"),
    }


def test_materializing_a_partition_writes_the_package_and_the_flags(data_dir):
    result = materialize(integrity_defs.build_integrity_assets(PARTITIONS), partition_key="cgd")
    assert result.success
    events = {
        asset_name(event): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert events["procurement_ocds"]["releases"].value == 2
    assert events["procurement_ocds"]["validation_errors"].value == 0
    assert events["procurement_red_flags"]["flag_R018"].value == 1
    assert events["procurement_red_flags"]["flag_TH-ABOVE-BUDGET"].value == 1
    assert events["procurement_red_flags"]["flag_R003"].value == 0
    folder = integrity_dir(data_dir, "cgd")
    assert (folder / "ocds_release_package.json").is_file()
    assert (folder / "red_flags.csv").is_file()


def test_a_partition_without_a_clean_table_fails_naming_the_file(data_dir):
    result = materialize(
        integrity_defs.build_integrity_assets(PARTITIONS), partition_key="pcd", raise_on_error=False
    )
    assert not result.success
    failures = [failure_message(event) for event in result.get_step_failure_events()]
    assert len(failures) == 2
    for failure in failures:
        assert "no validated procurement table for pcd" in failure
        assert "validation/procurement/pcd/publishable.parquet" in failure


def metadata_of(result):
    return {
        event.asset_key.path[-1]: {
            key: value.value
            for key, value in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def offline(monkeypatch, url):
    monkeypatch.delenv("OGP_OCDS_SCHEMA_DIR", raising=False)
    monkeypatch.setenv("OGP_OCDS_SCHEMA_URL", url)
    get_settings.cache_clear()


def closed_port_url() -> str:
    with socket.socket() as probe:  # bound then released: nobody listens there
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/schema/1__1__5/"


def test_offline_the_package_is_withheld_and_an_old_one_removed(data_dir, monkeypatch):
    old = package_path(data_dir, "cgd")
    old.parent.mkdir(parents=True)
    old.write_text('{"publishedDate": "2020-01-01T00:00:00+07:00", "releases": []}')
    url = closed_port_url()
    offline(monkeypatch, url)

    result = materialize(integrity_defs.build_integrity_assets(PARTITIONS), partition_key="cgd")

    assert result.success
    metadata = metadata_of(result)
    assert metadata["procurement_ocds"] == {
        "status": "withheld",
        "reason": f"the OCDS 1.1.5 schema could not be downloaded from {url} (no network: the "
        "host could not be reached); set OGP_OCDS_SCHEMA_DIR to a local copy",
    }
    assert metadata["procurement_red_flags"]["status"] == "published"
    assert not old.exists(), "an old package is never published beside new data"
    note = json.loads(withheld_note_path(data_dir, "cgd").read_text(encoding="utf-8"))
    # What the public reads: no URL, no cause (an intermittent network changes neither).
    assert note["reason"] == PUBLIC_REASON
    assert note["reason_th"] == PUBLIC_REASON_TH
    assert (integrity_dir(data_dir, "cgd") / "red_flags.csv").is_file()


def test_the_first_run_with_the_schema_publishes_and_clears_the_note(
    data_dir, monkeypatch, ocds_schema_dir
):
    offline(monkeypatch, closed_port_url())
    assets = integrity_defs.build_integrity_assets(PARTITIONS)
    assert materialize(assets, partition_key="cgd").success
    assert withheld_note_path(data_dir, "cgd").is_file()

    monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(ocds_schema_dir))
    get_settings.cache_clear()
    result = materialize(assets, partition_key="cgd")

    assert result.success
    metadata = metadata_of(result)["procurement_ocds"]
    assert (metadata["status"], metadata["releases"]) == ("published", 2)
    assert "reason" not in metadata
    assert package_path(data_dir, "cgd").is_file()
    assert not withheld_note_path(data_dir, "cgd").exists()


def test_a_failed_download_is_tried_once_for_all_partitions_of_a_process(
    data_dir, monkeypatch, make_project, make_table
):
    path = gated_table_path(data_dir, "pcd")
    path.parent.mkdir(parents=True)
    pq.write_table(make_table([make_project(3, agency_code="pcd")]), path)
    pq.write_table(
        make_table([make_project(3, agency_code="pcd")]), screened_table_path(data_dir, "pcd")
    )
    requests: list[str] = []

    class Unavailable(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_error(503)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        offline(monkeypatch, f"http://127.0.0.1:{server.server_port}/schema/1__1__5/")
        assets = integrity_defs.build_integrity_assets(PARTITIONS)
        outcomes = [materialize(assets, partition_key=key) for key in ("cgd", "pcd")]
    finally:
        server.shutdown()
        server.server_close()
    assert [metadata_of(r)["procurement_ocds"]["status"] for r in outcomes] == ["withheld"] * 2
    assert (
        f"(HTTP 503 from http://127.0.0.1:{server.server_port}/schema/1__1__5/release-schema.json)"
        in metadata_of(outcomes[1])["procurement_ocds"]["reason"]
    )
    assert requests == ["/schema/1__1__5/release-schema.json"]


def test_a_partition_without_rows_withholds_the_package(data_dir, make_table):
    old = package_path(data_dir, "cgd")
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    pq.write_table(make_table([]), gated_table_path(data_dir, "cgd"))

    result = materialize(integrity_defs.build_integrity_assets(PARTITIONS), partition_key="cgd")

    assert result.success
    assert metadata_of(result)["procurement_ocds"] == {
        "status": "withheld",
        "reason": integrity_defs.NO_ROWS.reason,
    }
    assert not old.exists()


@pytest.fixture
def not_the_schema():
    """A server answering 200 {} to every path (a misconfigured mirror, a captive portal)."""

    class Empty(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Empty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_reply_that_is_not_the_schema_withholds_and_the_next_good_url_publishes(
    data_dir, monkeypatch, not_the_schema, ocds_schema_dir
):
    offline(monkeypatch, f"http://{not_the_schema}/schema/1__1__5/")
    assets = integrity_defs.build_integrity_assets(PARTITIONS)
    first = materialize(assets, partition_key="cgd", raise_on_error=False)
    assert first.success, "an unusable download is unavailable, not a failed step"
    metadata = metadata_of(first)["procurement_ocds"]
    assert metadata["status"] == "withheld"
    assert "release-schema.json is not the OCDS release schema (no id)" in metadata["reason"]
    assert not (data_dir / "cache").exists(), "nothing cached"

    # The schema, served at the corrected URL: published at once (no stale cache in the way).
    good = data_dir / "site" / "schema" / "1__1__5"
    good.mkdir(parents=True)
    for name in ("release-schema.json", "release-package-schema.json"):
        shutil.copyfile(ocds_schema_dir / name, good / name)
    handler = functools.partial(Quiet, directory=str(data_dir / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        offline(monkeypatch, f"http://127.0.0.1:{server.server_port}/schema/1__1__5/")
        integrity_defs.clear_validator_cache()
        second = materialize(assets, partition_key="cgd")
    finally:
        server.shutdown()
        server.server_close()
    assert metadata_of(second)["procurement_ocds"]["status"] == "published"
    assert package_path(data_dir, "cgd").is_file()
    assert not withheld_note_path(data_dir, "cgd").exists()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_credentials_and_query_of_the_url_reach_neither_reason_nor_log(
    data_dir, monkeypatch, not_the_schema
):
    url = f"http://steward:s3cretpass@{not_the_schema}/schema/1__1__5/?access_token=tok3n"
    offline(monkeypatch, url)
    instance = DagsterInstance.ephemeral()
    assets = integrity_defs.build_integrity_assets(PARTITIONS)
    result = materialize(assets, partition_key="cgd", instance=instance)
    metadata = metadata_of(result)["procurement_ocds"]
    assert metadata["status"] == "withheld"
    assert f"from http://{not_the_schema}/schema/1__1__5/ (" in metadata["reason"]
    logged = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if "withheld" in entry.user_message
    ]
    assert logged, "the warning is logged"
    note = withheld_note_path(data_dir, "cgd").read_text(encoding="utf-8")
    for text in [metadata["reason"], note, *logged]:
        for secret in ("steward", "s3cretpass", "tok3n", "access_token"):
            assert secret not in text, text

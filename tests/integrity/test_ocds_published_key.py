"""The published bids table of two sole traders whose citizen ids mask to the same cell
(``3-xxxx-xxxxx-xx-3``) on one project: the gate checks the key (project_id, bidder_tax_id) on
the real ids, the published table holds it twice, so the published table declares no primary key
(pipelines.publish.request.published_key) and the whole dataset publishes on the real portal."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from stdnum.th import pin

from pipelines.contracts import load_spec
from pipelines.layout import publishable_path, validation_dir
from pipelines.normalize import normalize_files
from pipelines.publish import request as request_module
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.request import ReportPaths, build_request, published_key
from pipelines.validation.gate import validate_partition
from tests.publish.publish_samples import sample_agency

from .conftest import juristic_id

FAMILY = "procurement_bids"
HEADER = (
    "project_id,agency_code,fiscal_year,bidder_tax_id,bidder_name,bid_amount,bid_status,bid_date"
)


def sole_traders_with_one_mask() -> list[str]:
    """Two valid citizen ids (first digit 3) sharing their check digit: one masked cell."""
    ids: list[str] = []
    for n in range(1, 1000):
        body = f"31006{n:07d}"
        cid = body + pin.calc_check_digit(body)
        if not ids or cid[-1] == ids[0][-1]:
            ids.append(cid)
        if len(ids) == 2:
            return ids
    raise AssertionError("no two citizen ids with one check digit")


def bids_csv(agency: str) -> str:
    first, second = sole_traders_with_one_mask()
    rows = [HEADER]
    for year, project in ((2567, "67001000001"), (2568, "68001000001")):
        rows += [
            f"{project},{agency},{year},{juristic_id(5)},บริษัท ชนะ จำกัด,900000,valid,",
            f"{project},{agency},{year},{first},นาย ก,950000,valid,",
            f"{project},{agency},{year},{second},นาย ข,960000,disqualified,",
        ]
    return "\n".join(rows) + "\n"


def gated_bids(tmp_path: Path, agency: str = "cgd") -> Path:
    """The gate's publishable bids table (a registered agency: the gate resolves it); the test
    publishes it under an organization of its own."""
    spec = load_spec(FAMILY)
    drop = tmp_path / "procurement_bids_2568.csv"
    drop.write_text(bids_csv(agency), encoding="utf-8")
    normal = normalize_files([drop], spec, agency=agency)
    data = tmp_path / "data"
    validate_partition(
        FAMILY,
        agency,
        normal.table,
        spec,
        cast_errors=normal.cast_errors,
        personal_data=normal.personal_data,
        out_dir=validation_dir(data, FAMILY, agency),
    )
    return publishable_path(data, FAMILY, agency)


@pytest.fixture
def agency(created: list[tuple[str, str]]) -> str:
    name = f"t{uuid.uuid4().hex[:10]}"
    created.extend([("dataset", f"{name}-{FAMILY}"), ("organization", name)])
    return name


def report(tmp_path: Path) -> ReportPaths:
    (tmp_path / "r.json").write_text('{"publishable": true}', encoding="utf-8")
    (tmp_path / "r.html").write_text("<html><body>report</body></html>", encoding="utf-8")
    return ReportPaths(tmp_path / "r.json", tmp_path / "r.html")


def test_masked_key_column_is_no_published_key(tmp_path: Path) -> None:
    spec = load_spec(FAMILY)
    assert spec.primary_key == ["project_id", "bidder_tax_id"]  # the gate's key stays
    assert published_key(spec) == ()
    assert published_key(load_spec("procurement")) == tuple(load_spec("procurement").primary_key)
    table = pq.read_table(gated_bids(tmp_path))
    keys = list(
        zip(table["project_id"].to_pylist(), table["bidder_tax_id"].to_pylist(), strict=True)
    )
    assert len(keys) == 6
    assert len(set(keys)) == 4  # masked: the key repeats once a year
    request = build_request(spec, sample_agency("tkeyunit"), table, report(tmp_path))
    keyed = [r.datastore.primary_key for r in request.resources if r.datastore is not None]
    assert keyed == [(), ()]
    descriptor = next(r for r in request.resources if r.name == "datapackage.json")
    schemas = [r["schema"] for r in json.loads(descriptor.content)["resources"] if "schema" in r]
    assert schemas
    assert all("primaryKey" not in schema for schema in schemas)


def test_two_masked_sole_traders_publish_whole(ckan_portal, agency: str, tmp_path: Path) -> None:
    spec = load_spec(FAMILY)
    table = pq.read_table(gated_bids(tmp_path))
    request = build_request(spec, sample_agency(agency), table, report(tmp_path))
    receipt = CKANPublisher(url=ckan_portal.url).publish([request], receipts_dir=tmp_path / "rc")
    assert receipt.error is None
    assert not receipt.failures, receipt.failures
    api = ckan_portal.api()
    package = api.action.package_show(id=request.dataset.name)
    assert package["private"] is False
    counts = {}
    for resource in package["resources"]:
        if resource["name"].endswith(".csv"):
            found = api.action.datastore_search(resource_id=resource["id"], limit=0)
            counts[resource["name"]] = found["total"]
    assert counts == {"procurement_bids-fy2024.csv": 3, "procurement_bids-fy2025.csv": 3}


def test_a_repeated_key_is_refused_before_anything_is_written(
    ckan_portal, agency: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publisher's guard (pipelines.publish.datastore.check_unique_keys): a keyed table
    whose key repeats would be refused by the DataStore midway, after the dataset's first
    tables were replaced (a keyed table being rebuilt is dropped first). Here the published
    table is kept as the contract's key would make it: nothing is written, the dataset as it
    was stays whole."""
    spec = load_spec(FAMILY)
    table = pq.read_table(gated_bids(tmp_path))
    publisher = CKANPublisher(url=ckan_portal.url)
    good = build_request(spec, sample_agency(agency), table, report(tmp_path))
    publisher.publish([good], receipts_dir=tmp_path / "r1")
    monkeypatch.setattr(request_module, "published_key", lambda spec: tuple(spec.primary_key))
    keyed = build_request(spec, sample_agency(agency), table, report(tmp_path))
    assert {r.datastore.primary_key for r in keyed.resources if r.datastore} == {
        ("project_id", "bidder_tax_id")
    }
    receipt = publisher.publish([keyed], receipts_dir=tmp_path / "r2", raise_on_error=False)
    (failed,) = receipt.failures
    assert "DuplicateKeyError" in str(failed.error)
    assert "procurement_bids-fy2024.csv: the primary key (project_id, bidder_tax_id)" in str(
        failed.error
    )
    assert "3-xxxx" not in str(failed.error)  # never the values
    api = ckan_portal.api()
    package = api.action.package_show(id=good.dataset.name)
    assert package["private"] is False
    totals = {
        r["name"]: api.action.datastore_search(resource_id=r["id"], limit=0)["total"]
        for r in package["resources"]
        if r["name"].endswith(".csv")
    }
    assert totals == {"procurement_bids-fy2024.csv": 3, "procurement_bids-fy2025.csv": 3}

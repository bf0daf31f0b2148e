"""Release-level bids and awards (pipelines/integrity/ocds_bids.py): a hand-computed 3-bid
project, the export without a bids table, the partition reading the gate's bids file, and the
demo path (one demo agency's drops through `ogp run` to the real local portal)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import sys
from pathlib import Path
from typing import Any

import ckanapi
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from stdnum.th import pin

from pipelines.integrity.ocds_bids import SCHEMA, BidsTableError, index_bids
from pipelines.integrity.ocds_config import load_ocds_config
from pipelines.integrity.ocds_export import export_release_package
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.ocds_validate import package_validator, validate_package
from pipelines.integrity.partition import export_partition, gated_bids_path, gated_table_path
from tests.conftest import Portal
from tests.deploy.sandbox import make_sandbox, on_portal
from tests.deploy.sandbox import run as sandbox_run

PUBLISHED = dt.datetime(2024, 6, 1, 9, 30)
PROJECT = "67000000001"
# A sole trader bids under the citizen id (a valid mod-11 id starting 3): personal data.
SOLE_TRADER = "3100600" + "12345"
SOLE_TRADER += pin.calc_check_digit(SOLE_TRADER)
WINNER = "บริษัท ผู้รับเหมา 1 จำกัด"


def bid(tax_id: str, name: str, amount: float, status: str, day: dt.date | None) -> dict[str, Any]:
    return {
        "project_id": PROJECT,
        "agency_code": "cgd",
        "fiscal_year": 2024,
        "bidder_tax_id": tax_id,
        "bidder_name": name,
        "bid_amount": amount,
        "bid_status": status,
        "bid_date": day,
    }


@pytest.fixture
def three_bids(make_juristic_id) -> list[dict[str, Any]]:
    """The winner (contract value 900,000), a higher valid bid, a lower one disqualified from a
    sole trader; listed as the agency's system lists them, not by price."""
    return [
        bid(make_juristic_id(1), WINNER, 900_000.0, "valid", dt.date(2024, 1, 20)),
        bid(make_juristic_id(101), "บริษัท ข จำกัด", 950_000.5, "valid", dt.date(2024, 1, 25)),
        bid(SOLE_TRADER, "นายสมชาย ใจดี", 850_000.0, "disqualified", None),
    ]


def bids_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


@pytest.fixture
def export(make_table, buyer):
    def run(rows, bids=None):
        return export_release_package(make_table(rows), buyer, published=PUBLISHED, bids=bids)

    return run


def test_three_bids_give_the_hand_computed_section(
    export, make_project, make_juristic_id, three_bids, ocds_schema_dir
):
    row = make_project(1, award_date=dt.date(2024, 2, 5))
    package = export([row], bids_table(three_bids))
    (release,) = package["releases"]
    winner, other = make_juristic_id(1), make_juristic_id(101)
    assert release["bids"] == {
        "statistics": [
            {"id": f"{PROJECT}-bids", "measure": "bids", "value": 3},
            {"id": f"{PROJECT}-validBids", "measure": "validBids", "value": 2},
            {
                "id": f"{PROJECT}-disqualifiedBidders",
                "measure": "disqualifiedBidders",
                "value": 1,
            },
        ],
        "details": [  # in order of amount
            {
                "id": f"{PROJECT}-bid-1",
                "status": "disqualified",
                "tenderers": [{"id": f"{PROJECT}-tenderer-1", "name": "นายสมชาย ใจดี"}],
                "value": {"amount": 850000, "currency": "THB"},
            },
            {
                "id": f"{PROJECT}-bid-2",
                "date": "2024-01-20T00:00:00+07:00",
                "status": "valid",
                "tenderers": [{"id": f"TH-TIN-{winner}", "name": WINNER}],
                "value": {"amount": 900000, "currency": "THB"},
            },
            {
                "id": f"{PROJECT}-bid-3",
                "date": "2024-01-25T00:00:00+07:00",
                "status": "valid",
                "tenderers": [{"id": f"TH-TIN-{other}", "name": "บริษัท ข จำกัด"}],
                "value": {"amount": 950000.5, "currency": "THB"},
            },
        ],
    }
    assert release["tender"]["numberOfTenderers"] == 3
    assert release["awards"][0]["date"] == "2024-02-05T00:00:00+07:00"
    assert release["awards"][0]["suppliers"] == [{"id": f"TH-TIN-{winner}", "name": WINNER}]
    parties = {party["id"]: party for party in release["parties"]}
    assert [party["roles"] for party in release["parties"]] == [
        ["buyer", "procuringEntity"],
        ["supplier", "tenderer"],
        ["tenderer"],
        ["tenderer"],
    ]
    assert parties[f"TH-TIN-{other}"]["identifier"] == {
        "scheme": "TH-TIN",
        "id": other,
        "legalName": "บริษัท ข จำกัด",
    }
    assert parties[f"{PROJECT}-tenderer-1"] == {
        "id": f"{PROJECT}-tenderer-1",
        "name": "นายสมชาย ใจดี",
        "roles": ["tenderer"],
    }
    # the sole trader's citizen id appears nowhere, in any form
    text = json.dumps(package, ensure_ascii=False)
    assert SOLE_TRADER not in text
    assert SOLE_TRADER[:7] not in text
    # valid against OCDS 1.1.5 with the bid extension ocds.yaml declares
    validator = package_validator(load_schemas(ocds_schema_dir), config=load_ocds_config())
    assert validate_package(package, validator) == []


def test_the_order_of_the_bids_table_does_not_matter(export, make_project, three_bids):
    row = make_project(1)
    first = export([row], bids_table(three_bids))
    for seed in range(3):
        shuffled = list(three_bids)
        random.Random(seed).shuffle(shuffled)
        assert export([row], bids_table(shuffled)) == first


def test_without_bids_nothing_is_invented(export, make_project, three_bids):
    """No bids table (the agency sent none): no bids section, numberOfTenderers from the row,
    the award date still published; a table without this project's bids: the same for it."""
    rows = [
        make_project(1, award_date=dt.date(2024, 2, 5)),
        make_project(2, number_of_bidders=4),
        make_project(
            3,
            status="announced",
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
            number_of_bidders=None,
        ),
    ]
    for bids in (None, bids_table(three_bids)):
        releases = {r["tender"]["id"]: r for r in export(rows, bids)["releases"]}
        second = releases["67000000002"]
        assert "bids" not in second
        assert second["tender"]["numberOfTenderers"] == 4
        assert [p["roles"] for p in second["parties"]] == [
            ["buyer", "procuringEntity"],
            ["supplier"],
        ]
        assert "date" not in second["awards"][0]  # no award_date in that row
        assert "numberOfTenderers" not in releases["67000000003"]["tender"]
        assert releases[PROJECT]["awards"][0]["date"] == "2024-02-05T00:00:00+07:00"
        assert ("bids" in releases[PROJECT]) is (bids is not None)
    without = export(rows)["releases"][0]
    assert without["tender"]["numberOfTenderers"] == 3  # the row's number_of_bidders
    assert without["date"] == "2024-02-15T00:00:00+07:00"  # the contract is the latest stage


def test_award_date_dates_an_awarded_release(export, make_project):
    row = make_project(1, status="awarded", contract_date=None, award_date=dt.date(2024, 2, 9))
    (release,) = export([row])["releases"]
    assert release["date"] == "2024-02-09T00:00:00+07:00"
    assert release["awards"][0]["date"] == release["date"]


def test_an_ocds_source_reads_the_award_date_back(export, make_project):
    """An agency sending OCDS (pipelines/sources/ocds.py): awards[].date is its award_date."""
    from pipelines.sources.ocds import release_to_row

    row = make_project(1, status="awarded", contract_date=None, award_date=dt.date(2024, 2, 9))
    (release,) = export([row])["releases"]
    assert release_to_row(release)["award_date"] == "2024-02-09"
    (contracted,) = export([make_project(2)])["releases"]
    assert release_to_row(contracted)["award_date"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agency_code": "pcd"}, "agency_code"),
        ({"bid_status": "won"}, "bid_status"),
        ({"bid_status": None}, "bid_status"),
    ],
)
def test_a_foreign_or_unknown_bid_is_refused(three_bids, change, field):
    three_bids[1].update(change)
    with pytest.raises(BidsTableError, match=rf"project {PROJECT} \(row 2\), field {field}"):
        index_bids(bids_table(three_bids), "cgd")


def test_the_partition_reads_the_gates_bids_file(
    tmp_path: Path, make_table, make_project, three_bids, ocds_schema_dir
):
    """export_partition: the gate's publishable bids (family procurement_bids, columns as
    ocds.yaml declares them) go into the package; without that file, no bids section."""
    data = tmp_path / "data"
    rows = [make_project(1, award_date=dt.date(2024, 2, 5)), make_project(2)]
    procurement = gated_table_path(data, "cgd")
    procurement.parent.mkdir(parents=True)
    pq.write_table(make_table(rows), procurement)
    validator = package_validator(load_schemas(ocds_schema_dir), config=load_ocds_config())

    outcome = export_partition("cgd", data, validator, published=PUBLISHED)
    assert outcome.issues == []
    assert outcome.path is not None
    package = json.loads(outcome.path.read_text(encoding="utf-8"))
    assert all("bids" not in release for release in package["releases"])

    bids = gated_bids_path(data, "cgd")
    assert bids.parts[-3:] == ("procurement_bids", "cgd", "publishable.parquet")
    bids.parent.mkdir(parents=True)
    pq.write_table(bids_table(three_bids), bids)
    outcome = export_partition("cgd", data, validator, published=PUBLISHED)
    assert outcome.issues == []
    assert outcome.path is not None
    releases = json.loads(outcome.path.read_text(encoding="utf-8"))["releases"]
    assert [len(r.get("bids", {}).get("details", [])) for r in releases] == [3, 0]
    assert SOLE_TRADER not in outcome.path.read_text(encoding="utf-8")


# --- the demo path: one demo agency's drops through `ogp run`, the real local portal ----------

REPO = Path(__file__).resolve().parents[2]
DEMO_AGENCY = "dla"  # cp874 CSVs, Thai headers and statuses; a sole trader among its 2568 bidders


def generated_bids(agency: str) -> list[dict[str, Any]]:
    """The bids the generator wrote into the agency's drops (bench/generate.py)."""
    spec = importlib.util.spec_from_file_location("bench_generate_bids", REPO / "bench/generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return [
        row
        for year in module.FISCAL_YEARS_BE
        for row in module.bids_rows(agency, year, module.DEFAULT_SEED)
    ]


@pytest.mark.timeout(2400)
def test_one_demo_agency_publishes_its_bids_and_their_ocds(
    tmp_path: Path, run_id: str, ckan_portal: Portal, ckan: ckanapi.RemoteCKAN, ocds_schema_dir
):
    """dla's drops, sent by a test agency (tests/deploy/sandbox.py): the bids family passes the
    gate and is published (CSV per fiscal year, DataStore), the OCDS package carries every bid
    of every published project, and the sole trader's citizen id is nowhere on the portal."""
    expected = generated_bids(DEMO_AGENCY)
    (sole_trader,) = [
        b["bidder_tax_id"] for b in expected if not b["bidder_tax_id"].startswith("0")
    ]
    made = make_sandbox(tmp_path / "box", f"{run_id}bd", 0, ocds_schema_dir, [DEMO_AGENCY])
    with on_portal(ckan, ckan_portal.token_file.parent, made) as sandbox:
        (agency,) = sandbox.agencies
        result = sandbox_run(sandbox, "bids")
        assert result.row(agency, "procurement_bids")["status"] == "published", result.console
        assert result.row(agency, "OCDS package")["status"] == "published", result.console

        dataset = ckan.action.package_show(id=f"{agency}-procurement_bids")
        csvs = sorted(r["name"] for r in dataset["resources"] if r["name"].endswith(".csv"))
        assert csvs == ["procurement_bids-fy2024.csv", "procurement_bids-fy2025.csv"]
        published_rows = 0
        for resource in dataset["resources"]:
            if not resource["name"].endswith(".csv"):
                continue
            text = requests.get(resource["url"], timeout=60).text
            assert sole_trader not in text
            published_rows += len(text.splitlines()) - 1
            store = ckan.action.datastore_search(resource_id=resource["id"], q=sole_trader)
            assert store["total"] == 0
        assert published_rows == len(expected)  # every bid passed the gate

        data = Path(sandbox.env["OGP_DATA_DIR"])
        package_text = (
            data / "integrity/procurement" / agency / "ocds_release_package.json"
        ).read_text(encoding="utf-8")
        assert sole_trader not in package_text
        releases = json.loads(package_text)["releases"]
        by_project: dict[str, list[dict[str, Any]]] = {}
        for row in expected:
            by_project.setdefault(row["project_id"], []).append(row)
        with_bids = [r for r in releases if "bids" in r]
        assert with_bids
        for release in with_bids:
            bids = by_project.pop(release["tender"]["id"])
            statistics = {s["measure"]: s["value"] for s in release["bids"]["statistics"]}
            assert statistics == {
                "bids": len(bids),
                "validBids": sum(b["bid_status"] == "valid" for b in bids),
                "disqualifiedBidders": sum(b["bid_status"] == "disqualified" for b in bids),
            }
            assert release["tender"]["numberOfTenderers"] == len(bids)
            assert sorted(d["value"]["amount"] for d in release["bids"]["details"]) == sorted(
                b["bid_amount"] for b in bids
            )
            assert "date" in release["awards"][0]
        # the projects left are those the gate did not publish (none here) or not awarded
        published = {r["tender"]["id"] for r in releases}
        assert not set(by_project) & published
        tenderers = [p for r in with_bids for p in r["parties"] if p["roles"] == ["tenderer"]]
        assert sum("identifier" not in p for p in tenderers) == 1  # the sole trader, no id

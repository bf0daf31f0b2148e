"""OCDS input: release packages, record packages and JSON lines -> canonical procurement rows."""

import json

import pytest

from pipelines.contracts import OcdsSource
from pipelines.sources import ocds
from pipelines.sources.landing import LandingArea


def release(tag, date, **sections):
    return {
        "ocid": "ocds-th0000-67000000001",
        "id": f"67000000001-{tag}",
        "date": date,
        "tag": [tag],
        "initiationType": "tender",
        **sections,
    }


TENDER = release(
    "tender",
    "2023-11-01T09:00:00+07:00",
    buyer={"id": "rid", "name": "กรมชลประทาน"},
    planning={"budget": {"id": "FY2024", "amount": {"amount": 2500000, "currency": "THB"}}},
    tender={
        "id": "67000000001",
        "title": "จ้างขุดลอกคลอง",
        "status": "active",
        "procurementMethod": "open",
        "procurementMethodDetails": "ประกวดราคาอิเล็กทรอนิกส์ (e-bidding)",
        "value": {"amount": 2400000, "currency": "THB"},
        "tenderPeriod": {
            "startDate": "2023-11-01T09:00:00+07:00",
            "endDate": "2023-11-20T16:30:00+07:00",
        },
        "numberOfTenderers": 3,
    },
)
CONTRACT = release(
    "contract",
    "2023-12-15T10:00:00+07:00",
    awards=[
        {
            "id": "a1",
            "suppliers": [{"id": "TH-TIN-0105561234567", "name": "บริษัท ตัวอย่าง จำกัด"}],
            "value": {"amount": 2300000},
        }
    ],
    contracts=[
        {
            "id": "c1",
            "awardID": "a1",
            "dateSigned": "2023-12-15T10:00:00+07:00",
            "value": {"amount": 2290000, "currency": "THB"},
        }
    ],
)


def test_releases_merge_into_one_row_per_ocid():
    (row,) = ocds.releases_to_rows([CONTRACT, TENDER])  # order of arrival does not matter
    assert row == {
        "project_id": "67000000001",
        "agency_code": "rid",
        "fiscal_year": 2024,
        "project_name": "จ้างขุดลอกคลอง",
        "method": "ประกวดราคาอิเล็กทรอนิกส์ (e-bidding)",
        "budget": 2500000,
        "reference_price": 2400000,
        "announce_date": "2023-11-01",
        "bid_close_date": "2023-11-20",
        "award_date": None,  # the award carries no date
        "contract_date": "2023-12-15",
        "number_of_bidders": 3,
        "winner_tax_id": "0105561234567",
        "winner_name": "บริษัท ตัวอย่าง จำกัด",
        "contract_value": 2290000,
        "status": "contracted",
    }


@pytest.mark.parametrize(
    ("tender_status", "sections", "status"),
    [
        ("cancelled", {}, "cancelled"),
        ("planned", {}, "planned"),
        ("active", {}, "announced"),
        ("active", {"awards": CONTRACT["awards"]}, "awarded"),
    ],
)
def test_status_follows_the_stages(tender_status, sections, status):
    one = release("tender", "2024-01-01", tender={"id": "1", "status": tender_status}, **sections)
    assert ocds.release_to_row(one)["status"] == status


def test_package_record_package_and_json_lines_read_alike(tmp_path):
    package = tmp_path / "package.json"
    package.write_text(json.dumps({"releases": [TENDER, CONTRACT]}), encoding="utf-8")
    records = tmp_path / "records.json"
    merged = {**TENDER, **CONTRACT}
    records.write_text(
        json.dumps({"records": [{"ocid": TENDER["ocid"], "compiledRelease": merged}]})
    )
    lines = tmp_path / "releases.jsonl"
    lines.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (TENDER, CONTRACT)) + "\n"
    )
    rows = [ocds.releases_to_rows(ocds.read_releases(path)) for path in (package, records, lines)]
    assert rows[0] == rows[1] == rows[2]


def test_broken_json_lines_name_the_line(tmp_path):
    lines = tmp_path / "releases.jsonl"
    lines.write_text(json.dumps(TENDER) + "\n{broken\n")
    with pytest.raises(ValueError, match="line 2"):
        ocds.read_releases(lines)


def test_ocds_source_lands_files(tmp_path):
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "rid.jsonl").write_text(json.dumps(TENDER) + "\n")
    landing = LandingArea(tmp_path / "data", "procurement", "rid")
    (landed,) = ocds.pull(OcdsSource(path="feed/*.jsonl"), landing, base_dir=tmp_path)
    assert landed.path.suffix == ".jsonl"
    assert ocds.read_releases(landed.path) == [TENDER]


@pytest.mark.parametrize(
    ("supplier", "tax_id"),
    [
        ({"id": "TH-TIN-0105561234567"}, "0105561234567"),
        ({"id": "x", "identifier": {"scheme": "TH-TIN", "id": "0105561234567"}}, "0105561234567"),
        ({"id": "67000000001-supplier", "name": "ร้านค้า"}, None),  # a sole trader, id withheld
    ],
)
def test_only_th_tin_identifiers_become_tax_ids(supplier, tax_id):
    one = release("award", "2024-01-01", awards=[{"id": "a", "suppliers": [supplier]}])
    assert ocds.release_to_row(one)["winner_tax_id"] == tax_id

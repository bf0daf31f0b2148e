"""The package's bytes do not depend on the order of the input rows (releases by ocid, then
release id; bids.details by their number), and bids.statistics uses only measures of the bid
extension's bidStatistics codelist (vendored beside ocds.yaml)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from typing import Any

import pyarrow as pa

from pipelines.integrity.ocds_bids import MEASURES, SCHEMA
from pipelines.integrity.ocds_export import export_release_package
from pipelines.settings import REPO_ROOT

CODELIST = REPO_ROOT / "datasets/procurement/ocds_extensions/bids/codelists/bidStatistics.csv"
PUBLISHED = dt.datetime(2024, 6, 1, 9, 30)


def bids_for(projects: list[dict[str, Any]], juristic_id) -> list[dict[str, Any]]:
    """Three bids per project, amounts varying by project, statuses mixed."""
    rows = []
    for number, project in enumerate(projects, start=1):
        for k, status in enumerate(("valid", "disqualified", "withdrawn"), start=1):
            rows.append(
                {
                    "project_id": project["project_id"],
                    "agency_code": "cgd",
                    "fiscal_year": 2024,
                    "bidder_tax_id": juristic_id(100 * number + k),
                    "bidder_name": f"บริษัท {number}-{k} จำกัด",
                    "bid_amount": 800_000.0 + 10_000 * ((number * 7 + k * 3) % 11),
                    "bid_status": status,
                    "bid_date": dt.date(2024, 1, 10 + k),
                }
            )
    return rows


def package_bytes(rows, bids, make_table, buyer) -> bytes:
    package = export_release_package(
        make_table(rows), buyer, published=PUBLISHED, bids=pa.Table.from_pylist(bids, SCHEMA)
    )
    return json.dumps(package, ensure_ascii=False, indent=1).encode()


def test_reordered_rows_give_identical_bytes(make_project, make_table, make_juristic_id, buyer):
    # statuses that give different release ids, numbers out of order on purpose
    rows = [
        make_project(n, status=status)
        for n, status in ((12, "contracted"), (3, "awarded"), (7, "contracted"), (1, "planned"))
    ]
    bids = bids_for(rows, make_juristic_id)
    first = package_bytes(rows, bids, make_table, buyer)
    releases = json.loads(first)["releases"]
    keys = [(r["ocid"], r["id"]) for r in releases]
    assert keys == sorted(keys)
    assert len(keys) == 4
    for seed in range(5):
        shuffled_rows, shuffled_bids = list(rows), list(bids)
        random.Random(seed).shuffle(shuffled_rows)
        random.Random(seed + 100).shuffle(shuffled_bids)
        assert package_bytes(shuffled_rows, shuffled_bids, make_table, buyer) == first
    for release in releases:
        numbers = [int(d["id"].rsplit("-", 1)[1]) for d in release["bids"]["details"]]
        assert numbers == [1, 2, 3]


def test_statistics_measures_are_codelist_codes(make_project, make_table, make_juristic_id, buyer):
    with CODELIST.open(encoding="utf-8") as handle:
        codes = {row["Code"] for row in csv.DictReader(handle)}
    assert {measure for measure, _ in MEASURES} <= codes
    rows = [make_project(1)]
    package = json.loads(package_bytes(rows, bids_for(rows, make_juristic_id), make_table, buyer))
    statistics = package["releases"][0]["bids"]["statistics"]
    assert {s["measure"]: s["value"] for s in statistics} == {
        "bids": 3,
        "validBids": 1,
        "disqualifiedBidders": 1,
    }

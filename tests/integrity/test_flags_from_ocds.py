"""Every red flag recomputed from the published OCDS release package alone (issue 16, item 4).

The inputs are generated here (seeded, deterministic): one agency's procurement rows and bids,
every method and status, short and long submission periods, one to five bids with valid,
disqualified and withdrawn statuses, a sole trader's bid, planted cases for each bid flag. The
pipeline writes red-flags.csv from the gate's tables (``flag_partition``) and the OCDS export
builds the package from the same rows (all of them published: nothing is quarantined here, a
quarantined row is by definition not in the OCDS). The oracle below reads only the package's JSON
and applies each flag's definition as written in Cardinal's documentation (and, for the TH-
flags, in red_flags.yaml) with plain Python and numpy's quantiles; it must find exactly the
(ocid, flag) pairs of red-flags.csv, with the same triggering values.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stdnum.th import moa

from pipelines.integrity.ocds_export import Buyer, export_release_package
from pipelines.integrity.partition import BIDS_FAMILY, flag_partition
from pipelines.integrity.procurement_table import SCHEMA
from pipelines.integrity.red_flags import FlagSpec, load_flag_specs
from pipelines.layout import PROCUREMENT, publishable_path, schema_valid_path

AGENCY = "cgd"
BUYER = Buyer(AGENCY, "กรมบัญชีกลาง", "The Comptroller General's Department")
METHODS = ["e_bidding", "e_market", "selection", "specific", "price_agreement"]
SOLE_TRADER = "1101700207030"  # a valid citizen id: personal data, never published
Json = dict[str, Any]


def tin(serial: int) -> str:
    body = f"0105{serial:08d}"
    return body + moa.calc_check_digit(body)


# --- the generated inputs ------------------------------------------------------------------


def generate(seed: int, projects: int = 90) -> tuple[list[Json], list[Json]]:
    """Procurement rows and bid rows of one agency (deterministic for ``seed``)."""
    rng = random.Random(seed)
    rows: list[Json] = []
    bids: list[Json] = []
    for number in range(1, projects + 1):
        method = METHODS[number % len(METHODS)]
        status = rng.choice(["contracted"] * 6 + ["awarded"] * 2 + ["announced", "cancelled"])
        start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
        period = rng.choice([3, 7, 14, 15, 16, 30, 45])
        budget = float(rng.randrange(400, 3000) * 1000)
        reference = budget * rng.choice([0.9, 0.95, 1.0])
        winner = 1000 + rng.randrange(12)
        value = round(reference * rng.uniform(0.7, 1.02), 2)
        if number % 17 == 0:
            value = round(budget * 1.6, 2)  # over budget: a warning, published and flagged
        if number % 23 == 0:  # one supplier's large contracts: most of the buyer's value
            budget, reference, winner = 100_000_000.0, 100_000_000.0, 1011
            value, status = 95_000_000.0, "contracted"
        if method == "specific" and number % 3 == 0:  # split purchases just under 500,000
            budget, reference, value, winner = 500_000.0, 500_000.0, 480_000.0, 1000
            start = dt.date(2024, 3, 1) + dt.timedelta(days=number % 20)
            period, status = 7, "contracted"
        awarded = status in ("awarded", "contracted")
        row = {
            "project_id": f"{68000000000 + number:011d}",
            "agency_code": AGENCY,
            "fiscal_year": 2024,
            "project_name": f"โครงการทดสอบ {number}",
            "method": method,
            "budget": budget,
            "reference_price": reference,
            "announce_date": start,
            "bid_close_date": start + dt.timedelta(days=period),
            "award_date": start + dt.timedelta(days=period + 5) if awarded else None,
            "contract_date": start + dt.timedelta(days=period + 10)
            if status == "contracted"
            else None,
            "number_of_bidders": rng.randrange(1, 4),
            "winner_tax_id": tin(winner) if awarded else None,
            "winner_name": f"บริษัท ผู้ชนะ {winner} จำกัด" if awarded else None,
            "contract_value": value if awarded else None,
            "status": status,
        }
        rows.append(row)
        if number % 10 == 9:
            continue  # no bids for this project: numberOfTenderers is number_of_bidders
        bids += project_bids(rng, row, number, winner if awarded else None, value)
    return rows, bids


def project_bids(rng: random.Random, row: Json, number: int, winner: int | None, value: float):
    """One to five bids; the winner's valid bid is usually (not always) the lowest."""
    others = rng.sample(range(2000, 2015), rng.randrange(0, 5))
    plan: list[tuple[str, float, str]] = []
    if winner is not None:
        plan.append((tin(winner), value, "valid"))
    for other in others:
        factor = rng.choice([1.05, 1.06, 1.07, 1.08, 1.1, 1.4])
        status = rng.choice(["valid"] * 8 + ["disqualified", "withdrawn"])
        plan.append((tin(other), round(value * factor, 2), status))
    if winner is not None and number % 21 == 0:  # R024: a second bid very close to the winner
        plan.append((tin(2016), round(value * 1.001, 2), "valid"))
    if winner is not None and number % 29 == 0:  # a lower valid bid lost: not on price alone
        plan.append((tin(2017), round(value * 0.97, 2), "valid"))
    if number % 4 == 0:  # R038: a tenderer disqualified wherever it bids
        plan.append((tin(2030), round(value * 1.3, 2), "disqualified"))
    if number % 13 == 0:  # R036: the lowest bid disqualified
        plan.append((tin(2020), round(value * 0.8, 2), "disqualified"))
    if number % 11 == 0 and plan:  # R035: all but the winner disqualified
        plan = [plan[0]] + [(t, a, "disqualified") for t, a, _ in plan[1:]]
        plan.append((tin(2021), round(value * 1.2, 2), "disqualified"))
    if number % 19 == 0:  # a sole trader's bid (its id never published)
        plan.append((SOLE_TRADER, round(value * 1.02, 2), "valid"))
    return [
        {
            "project_id": row["project_id"],
            "agency_code": AGENCY,
            "fiscal_year": 2024,
            "bidder_tax_id": tax_id,
            "bidder_name": f"ผู้เสนอราคา {index}",
            "bid_amount": amount,
            "bid_status": status,
            "bid_date": row["bid_close_date"] - dt.timedelta(days=1),
        }
        for index, (tax_id, amount, status) in enumerate(plan)
    ]


# --- the oracle: Cardinal's definitions over the OCDS JSON ---------------------------------


def r8(values: list[float], p: float) -> float:
    return float(np.quantile(values, p, method="median_unbiased"))  # Cardinal's quartiles


def submitted(release: Json) -> list[Json]:
    details = release.get("bids", {}).get("details", [])
    return [b for b in details if b.get("status") not in ("invited", "withdrawn")]


def active_award(release: Json) -> Json | None:
    awards = release.get("awards") or []
    if any(a.get("status") not in ("active", "cancelled", "unsuccessful") for a in awards):
        return None
    active = [a for a in awards if a.get("status") == "active"]
    return active[0] if len(active) == 1 else None


def one_id(bid: Json) -> str | None:
    tenderers = bid.get("tenderers") or []
    return tenderers[0].get("id") if len(tenderers) == 1 else None


def days(period: Json) -> int:
    start = dt.datetime.fromisoformat(period["startDate"])
    end = dt.datetime.fromisoformat(period["endDate"])
    return (end - start).days


def second_bid_ratio(release: Json) -> float | None:
    award = active_award(release)
    if award is None or "bids" not in release:
        return None
    suppliers = award.get("suppliers") or []
    if len(suppliers) != 1:
        return None
    valid = [
        (one_id(b), b["value"]["amount"])
        for b in release["bids"]["details"]
        if b.get("status") == "valid" and one_id(b) and "value" in b
    ]
    won = [amount for who, amount in valid if who == suppliers[0]["id"]]
    lost = [amount for who, amount in valid if who != suppliers[0]["id"]]
    if not won or not lost or min(lost) < min(won) or min(won) <= 0:
        return None
    return (min(lost) - min(won)) / min(won)


def oracle(package: Json, specs: dict[str, FlagSpec]) -> dict[tuple[str, str], Any]:
    """(ocid, flag id) -> the value that triggered it, from the package alone."""
    found: dict[tuple[str, str], Any] = {}
    releases = [r for r in package["releases"] if r["tender"].get("status") != "cancelled"]
    r018 = specs["R018"].parameters["procurement_methods"]
    threshold = specs["R003"].parameters["threshold"]
    ratios: dict[str, float] = {}
    for release in releases:
        ocid, tender = release["ocid"], release["tender"]
        period = tender.get("tenderPeriod", {})
        if "startDate" in period and "endDate" in period and days(period) < threshold:
            found[ocid, "R003"] = days(period)
        if tender.get("procurementMethod") in r018 and tender.get("numberOfTenderers") == 1:
            found[ocid, "R018"] = 1
        ratio = second_bid_ratio(release)
        if ratio is not None:
            ratios[ocid] = ratio
        award = active_award(release)
        if award is not None and "bids" in release:
            suppliers = {s["id"] for s in award.get("suppliers", [])}
            valid = {one_id(b) for b in release["bids"]["details"] if b["status"] == "valid"}
            out = {one_id(b) for b in release["bids"]["details"] if b["status"] == "disqualified"}
            if len(valid) == 1 and valid == suppliers and len(out - valid) >= 1:
                found[ocid, "R035"] = len(out - valid)
            priced = [b for b in submitted(release) if "value" in b]
            if any(b["status"] == "valid" for b in priced):
                lowest = priced[0]  # r036.rs: in bids.details order, strictly lower replaces
                for candidate in priced[1:]:
                    if candidate["value"]["amount"] < lowest["value"]["amount"]:
                        lowest = candidate
                if lowest["status"] == "disqualified":
                    found[ocid, "R036"] = lowest["value"]["amount"]
    minimum = specs["R024"].parameters["minimum_processes"]  # this project's deviation
    q1, q3 = (r8(list(ratios.values()), p) for p in (0.25, 0.75)) if ratios else (0.0, 0.0)
    if len(ratios) >= minimum and q3 > q1:
        low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        for ocid, ratio in ratios.items():
            if q1 > 0 and low > 0 and ratio <= low:
                found[ocid, "R024"] = ratio
            if high > 0 and ratio >= high:
                found[ocid, "R058"] = ratio
    found.update(r038(releases, specs["R038"].parameters))
    found.update(thai_flags(releases, specs))
    return found


def r038(releases: list[Json], parameters: Json) -> dict[tuple[str, str], Any]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # tenderer -> [out, submitted]
    for release in releases:
        for bid in submitted(release):
            for tenderer in bid.get("tenderers", []):
                counts[tenderer["id"]][0] += bid["status"] == "disqualified"
                counts[tenderer["id"]][1] += 1
    ratios = {
        who: out / total
        for who, (out, total) in counts.items()
        if total >= parameters["minimum_submitted_bids"]
    }
    if not ratios:
        return {}
    q1, q3 = r8(list(ratios.values()), 0.25), r8(list(ratios.values()), 0.75)
    fence = q3 + 1.5 * (q3 - q1)
    flagged = {who for who, ratio in ratios.items() if fence > 0 and ratio >= fence}
    found: dict[tuple[str, str], Any] = {}
    for release in releases:
        hit = {
            t["id"]
            for bid in submitted(release)
            if bid["status"] == "disqualified"
            for t in bid.get("tenderers", [])
            if t["id"] in flagged
        }
        if hit:
            found[release["ocid"], "R038"] = sorted(hit)
    return found


def thai_flags(releases: list[Json], specs: dict[str, FlagSpec]) -> dict[tuple[str, str], Any]:
    """TH-ABOVE-BUDGET, TH-PRICE-REF, TH-SPLIT, TH-SUPPLIER-SHARE as red_flags.yaml defines
    them, read back from the OCDS fields (awards[].value, planning.budget, tender.value,
    procurementMethodDetails, contracts[].dateSigned, awards[].suppliers)."""
    found: dict[tuple[str, str], Any] = {}
    details = {"ประกวดราคาอิเล็กทรอนิกส์ (e-bidding)": "e_bidding", "วิธีเฉพาะเจาะจง": "specific"}
    details |= {"ตลาดอิเล็กทรอนิกส์ (e-market)": "e_market", "วิธีคัดเลือก": "selection"}
    awards = [r for r in releases if active_award(r) and "value" in r["awards"][0]]
    tolerance = specs["TH-ABOVE-BUDGET"].parameters["tolerance"]
    for release in awards:
        value = release["awards"][0]["value"]["amount"]
        budget = release["planning"]["budget"].get("amount", {}).get("amount")
        if budget is not None and value > budget * (1 + tolerance):
            found[release["ocid"], "TH-ABOVE-BUDGET"] = value
    ref = specs["TH-PRICE-REF"].parameters
    groups: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for release in awards:
        method = details.get(release["tender"]["procurementMethodDetails"])
        value = release["awards"][0]["value"]["amount"]
        reference = release["tender"].get("value", {}).get("amount", 0)
        if method in ref["methods"] and value > 0 and reference > 0:
            key = (str(method), release["planning"]["budget"]["id"])
            groups[key][release["ocid"]] = (reference - value) / value
    for group in groups.values():
        if len(group) >= ref["min_group_size"]:
            q1, q3 = np.percentile(list(group.values()), [25, 75])
            fence = q1 - ref["iqr_multiplier"] * (q3 - q1)
            for ocid, difference in group.items():
                if difference <= fence and difference < q1:
                    found[ocid, "TH-PRICE-REF"] = difference
    split = specs["TH-SPLIT"].parameters
    by_supplier: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for release in awards:
        value = release["awards"][0]["value"]["amount"]
        signed = (release.get("contracts") or [{}])[0].get("dateSigned")
        method = details.get(release["tender"]["procurementMethodDetails"])
        supplier = release["awards"][0]["suppliers"][0]["id"]
        low = split["threshold"] * (1 - split["margin"])
        if method in split["methods"] and signed and low <= value < split["threshold"]:
            by_supplier[supplier].append((dt.date.fromisoformat(signed[:10]), release["ocid"]))
    window = dt.timedelta(days=split["window_days"])
    for dated in by_supplier.values():
        for start, _ in dated:
            inside = [ocid for day, ocid in dated if start <= day <= start + window]
            if len(inside) >= split["min_count"]:
                for ocid in inside:
                    found[ocid, "TH-SPLIT"] = len(inside)
    share = specs["TH-SUPPLIER-SHARE"].parameters
    totals: dict[str, float] = defaultdict(float)
    for release in awards:
        totals[release["awards"][0]["suppliers"][0]["id"]] += release["awards"][0]["value"][
            "amount"
        ]
    total = sum(totals.values())
    if len(awards) >= share["min_buyer_awards"] and total > 0:
        for release in awards:
            if totals[release["awards"][0]["suppliers"][0]["id"]] / total > share["max_share"]:
                found[release["ocid"], "TH-SUPPLIER-SHARE"] = None
    return found


# --- the test --------------------------------------------------------------------------------


def publish_gate_outputs(data_dir: Path, rows: list[Json], bids: list[Json]) -> None:
    """The gate's two files per family, as the gate writes them when nothing is quarantined."""
    procurement = pa.Table.from_pylist(rows, schema=SCHEMA)
    bid_table = pa.Table.from_pylist(bids)
    for family, table in ((PROCUREMENT, procurement), (BIDS_FAMILY, bid_table)):
        for path in (
            publishable_path(data_dir, family, AGENCY),
            schema_valid_path(data_dir, family, AGENCY),
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path)


@pytest.mark.parametrize("seed", [16, 2024])
def test_every_flag_in_red_flags_csv_is_recomputed_from_the_ocds_package(
    tmp_path: Path, seed: int
) -> None:
    rows, bids = generate(seed)
    publish_gate_outputs(tmp_path, rows, bids)
    specs = {spec.id: spec for spec in load_flag_specs()}
    outcome = flag_partition(AGENCY, tmp_path, list(specs.values()))
    with outcome.csv.open(encoding="utf-8", newline="") as handle:
        published = list(csv.DictReader(handle))
    package = json.loads(
        json.dumps(
            export_release_package(
                pa.Table.from_pylist(rows, schema=SCHEMA),
                BUYER,
                bids=pa.Table.from_pylist(bids),
                published=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ),
            ensure_ascii=False,
        )
    )
    expected = oracle(package, specs)

    got = {(r["ocid"], r["flag_id"]) for r in published}
    assert got == set(expected)
    # every flag raised at least once on these inputs, so none passes by raising nothing
    assert {flag for _, flag in got} == set(specs)
    # the values that triggered it are the ones read back from the OCDS
    for record in published:
        values, want = json.loads(record["values"]), expected[record["ocid"], record["flag_id"]]
        flag = record["flag_id"]
        if flag == "R003":
            assert values["tender_period_days"] == want
        elif flag in ("R024", "R058", "TH-PRICE-REF"):
            assert values["difference"] == pytest.approx(want, rel=1e-9)
        elif flag == "R035":
            assert values["disqualified_tenderers"] == want
        elif flag == "R036":
            assert values["lowest_disqualified_bid"] == pytest.approx(want)
        elif flag == "R038":
            assert sorted(s["id"] for s in values["subjects"]) == want
        assert json.loads(record["parameters"]) == specs[flag].parameters
    # no personal data: the sole trader's citizen id appears in neither file
    for text in (outcome.csv.read_text(encoding="utf-8"), json.dumps(package)):
        assert SOLE_TRADER not in text

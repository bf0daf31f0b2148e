"""Red flags over every row that passed the schema (issue 15, item 4; issue 16, item 3).

A contract 60% over its budget with a 7-day bid period breaks the suite's "contract within the
budget" rule, a *warning* since issue 16: the gate publishes it, names it in its report, and the
red flags flag it. A contract awarded with no bidder breaks an *error* rule and is quarantined,
not published: it is still screened and flagged (a 7-day period), and counted in the rate's
numerator as a flagged project not published. A row with a schema error (a budget that is not a
number) is in neither, and not in the denominator.

Hand-computed: 25 rows received, 1 with a schema error → 24 screened (N); the gate publishes
23 (the no-bidder row quarantined); flagged projects n = 2. The over-budget row: short
submission period (R003, 7 < 15 days), above budget, and price close to the reference
(TH-PRICE-REF: (1,000,000 − 1,600,000) / 1,600,000 = −37.5% is below the lower fence, 11.1% for
every other row, IQR 0). The no-bidder row: R003 only. Every other row: distinct suppliers (1/24
of the value each), the same price difference, 3 bidders, a 30-day bid period.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
from stdnum.th import moa

from pipelines.contracts import load_spec
from pipelines.integrity.partition import flag_partition, gated_table_path, screened_table_path
from pipelines.integrity.red_flags import PUBLISHED_FLAGS_SCHEMA, load_flag_specs
from pipelines.layout import validation_dir
from pipelines.validation.gate import validate_partition

SPEC = load_spec("procurement")
OVER_BUDGET = 19  # the row number in the file (header = 1) is this + 1
SCHEMA_ERROR = 25
NO_BIDDER = 22
NO_BIDDER_RULE = "At least one bidder on awarded projects / โครงการที่มีผู้ชนะต้องมีผู้เสนอราคาอย่างน้อยหนึ่งราย"


def tax_id(serial: int) -> str:
    body = f"0105{serial:08d}"
    return body + moa.calc_check_digit(body)


def project_id(number: int) -> str:
    return f"{67000000000 + number:011d}"


def row(number: int) -> dict[str, str]:
    values = {
        "project_id": project_id(number),
        "agency_code": "cgd",
        "fiscal_year": "2024",
        "project_name": f"จ้างก่อสร้างอาคาร {number}",
        "method": "e_bidding",
        "budget": "1000000",
        "reference_price": "1000000",
        "announce_date": "2024-01-01",
        "bid_close_date": "2024-01-31",
        "contract_date": "2024-02-15",
        "number_of_bidders": "3",
        "winner_tax_id": tax_id(number),
        "winner_name": f"บริษัท ผู้รับเหมาเลขที่{number} จำกัด",
        "contract_value": "900000",
        "status": "contracted",
    }
    if number == OVER_BUDGET:  # 60% over the budget, bids closed after 7 days
        values.update(contract_value="1600000", bid_close_date="2024-01-08")
    if number == NO_BIDDER:  # an error rule: awarded with no bidder; bids closed after 7 days
        values.update(number_of_bidders="0", bid_close_date="2024-01-08")
    if number == SCHEMA_ERROR:  # not a number: a schema error, over budget all the same
        values.update(budget="lots", contract_value="1600000")
    return values


def gate(data_dir: Path) -> None:
    source = data_dir / "procurement.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SPEC.field_names)
        writer.writeheader()
        writer.writerows(row(number) for number in range(1, 26))
    result = validate_partition(
        "procurement",
        "cgd",
        source,
        SPEC,
        out_dir=validation_dir(data_dir, "procurement", "cgd"),
    )
    assert result.status == "quarantined", result.reasons
    assert result.quarantined_rows == [NO_BIDDER + 1, SCHEMA_ERROR + 1]
    assert [(r.row_number, r.severity) for r in result.rule_rows] == [
        (OVER_BUDGET + 1, "warning"),
        (NO_BIDDER + 1, "error"),
    ]


def test_a_contract_over_budget_is_published_and_flagged(tmp_path: Path) -> None:
    gate(tmp_path)
    published = pq.read_table(gated_table_path(tmp_path, "cgd"))["project_id"].to_pylist()
    screened = pq.read_table(screened_table_path(tmp_path, "cgd"))["project_id"].to_pylist()
    assert project_id(OVER_BUDGET) in published  # a warning: published
    assert project_id(NO_BIDDER) not in published  # an error: quarantined
    assert project_id(NO_BIDDER) in screened
    assert project_id(SCHEMA_ERROR) not in screened
    assert (len(published), len(screened)) == (23, 24)

    outcome = flag_partition("cgd", tmp_path, load_flag_specs())

    assert [(f["project_id"], f["flag_id"]) for f in outcome.flags.to_pylist()] == [
        (project_id(OVER_BUDGET), "R003"),
        (project_id(OVER_BUDGET), "TH-ABOVE-BUDGET"),
        (project_id(OVER_BUDGET), "TH-PRICE-REF"),
        (project_id(NO_BIDDER), "R003"),
    ]
    report = json.loads(outcome.report.read_text(encoding="utf-8"))
    assert report["rate"] == {
        "flagged_projects": 2,
        "screened_rows": 24,
        "published_rows": 23,
        "flagged_not_published": [project_id(NO_BIDDER)],
    }
    # no bids table in this data folder: the bid flags are not computable, not "0 flagged"
    assert report["not_computable"] == ["R024", "R035", "R036", "R038", "R058"]


def test_the_published_flags_carry_no_name_tax_id_or_local_path(tmp_path: Path) -> None:
    gate(tmp_path)
    outcome = flag_partition("cgd", tmp_path, load_flag_specs())
    with outcome.csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == PUBLISHED_FLAGS_SCHEMA.names
        rows = list(reader)
    # the quarantined row's flag says it is not in the OCDS, and which rule held it back
    assert [(r["project_id"], r["published"], r["held_back_by"]) for r in rows] == [
        (project_id(OVER_BUDGET), "yes", ""),
        (project_id(OVER_BUDGET), "yes", ""),
        (project_id(OVER_BUDGET), "yes", ""),
        (project_id(NO_BIDDER), "no", NO_BIDDER_RULE),
    ]
    assert [r["detail"] for r in rows] == [
        "tender period 7 days (fewer than 15), procurement method open",
        "contract value 1,600,000.00 THB above budget 1,000,000.00 THB",
        "price difference -37.50% at or below the lower fence 11.11% (e_bidding FY2024)",
        "tender period 7 days (fewer than 15), procurement method open",
    ]
    published_text = outcome.csv.read_text(encoding="utf-8") + outcome.report.read_text(
        encoding="utf-8"
    )
    quarantined = row(OVER_BUDGET)
    for secret in (quarantined["winner_tax_id"], quarantined["winner_name"], str(tmp_path)):
        assert secret not in published_text

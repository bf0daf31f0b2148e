"""A sole trader who wins (review findings 8 and 14): its tax id is its citizen id, personal
data. The procurement contract masks winner_tax_id as the bids contract masks bidder_tax_id, so
the partition is published (it was blocked whole), the citizen id appears in no gate output and
no red-flag file, and the flags' supplier grouping (TH-SPLIT, TH-SUPPLIER-SHARE) counts each
sole trader's award as a supplier of its own (the OCDS supplier id the export writes), never
merging two persons whose masks coincide.

Hand-computed: 6 specific-method contracts of 480,000 THB within 10 days, all won by sole
traders: A (3 awards) and B (3 awards), both masked to the same ``3-xxxx-xxxxx-xx-3`` shape.
Grouped by masked id they would be one supplier with 6 awards (TH-SPLIT, and 100 % of the
value: TH-SUPPLIER-SHARE); grouped by OCDS supplier id each award is its own supplier: no flag.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
from stdnum.th import pin

from pipelines.contracts import load_spec
from pipelines.integrity.partition import flag_partition, gated_table_path, screened_table_path
from pipelines.integrity.red_flags import load_flag_specs
from pipelines.layout import validation_dir
from pipelines.validation.gate import validate_partition

SPEC = load_spec("procurement")
PERSON_A, PERSON_B = "3100600000013", "3100600000153"


def row(number: int, winner: str) -> dict[str, str]:
    return {
        "project_id": f"{67000000000 + number:011d}",
        "agency_code": "cgd",
        "fiscal_year": "2024",
        "project_name": f"จ้างซ่อมแซม {number}",
        "method": "specific",
        "budget": "500000",
        "reference_price": "500000",
        "announce_date": f"2024-03-{number:02d}",
        "bid_close_date": f"2024-03-{number + 20:02d}",
        "award_date": "",
        "contract_date": f"2024-04-{number:02d}",
        "number_of_bidders": "1",
        "winner_tax_id": winner,
        "winner_name": f"ร้านค้าเลขที่ {number}",
        "contract_value": "480000",
        "status": "contracted",
    }


def test_a_sole_trader_winner_is_masked_published_and_never_merged(tmp_path: Path) -> None:
    assert pin.is_valid(PERSON_A)
    assert pin.is_valid(PERSON_B)
    assert PERSON_A[-1] == PERSON_B[-1] == "3"  # equal masks (first and last digit kept)
    source = tmp_path / "procurement.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SPEC.field_names)
        writer.writeheader()
        for number in range(1, 7):
            writer.writerow(row(number, PERSON_A if number <= 3 else PERSON_B))
    result = validate_partition(
        "procurement", "cgd", source, SPEC, out_dir=validation_dir(tmp_path, "procurement", "cgd")
    )
    assert result.status == "passed", result.reasons  # was: blocked (personal data)
    published = pq.read_table(gated_table_path(tmp_path, "cgd"))
    masked = set(published["winner_tax_id"].to_pylist())
    assert len(masked) == 1  # both persons look alike once masked
    assert published.num_rows == 6

    outcome = flag_partition("cgd", tmp_path, load_flag_specs())
    flags = {(f["project_id"], f["flag_id"]) for f in outcome.flags.to_pylist()}
    assert not {flag for _, flag in flags} & {"TH-SPLIT", "TH-SUPPLIER-SHARE"}
    written = [outcome.csv, outcome.parquet, outcome.report]
    written += [gated_table_path(tmp_path, "cgd"), screened_table_path(tmp_path, "cgd")]
    written += [validation_dir(tmp_path, "procurement", "cgd") / "report.json"]
    for path in written:
        data = path.read_bytes()
        assert PERSON_A.encode() not in data, path
        assert PERSON_B.encode() not in data, path

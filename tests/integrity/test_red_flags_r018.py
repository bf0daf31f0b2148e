"""R018 is "exactly one tenderer" in the published OCDS (issue 16 acceptance): Cardinal reads
tender.numberOfTenderers, which the export writes from the procurement row's number_of_bidders
whether or not the process has bid rows (a partial bids file lists fewer bids than were
received), and so does the flag. Inputs: test_flags_from_ocds's generator."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pipelines.integrity.ocds_export import export_release_package
from pipelines.integrity.partition import flag_partition
from pipelines.integrity.procurement_table import SCHEMA
from pipelines.integrity.red_flags import load_flag_specs

from .test_flags_from_ocds import AGENCY, BUYER, generate, publish_gate_outputs


def test_r018_is_exactly_one_tenderer_in_the_ocds(tmp_path: Path) -> None:
    rows, bids = generate(7)
    publish_gate_outputs(tmp_path, rows, bids)
    outcome = flag_partition(AGENCY, tmp_path, load_flag_specs())
    package = export_release_package(
        pa.Table.from_pylist(rows, schema=SCHEMA), BUYER, bids=pa.Table.from_pylist(bids)
    )
    one_tenderer = {
        r["ocid"]
        for r in package["releases"]
        if r["tender"].get("numberOfTenderers") == 1
        and r["tender"]["procurementMethod"] in ("open", "selective")
        and r["tender"]["status"] != "cancelled"
    }
    r018 = {r["ocid"] for r in outcome.flags.to_pylist() if r["flag_id"] == "R018"}
    assert r018 == one_tenderer
    assert len(r018) >= 3
    # numberOfTenderers is the row's number_of_bidders, bid rows or not (F16a's rule): a
    # partial bids file (one bid row of a process that received more) is no single bid
    bidders = {row["project_id"]: row["number_of_bidders"] for row in rows}
    partial = set()
    for release in package["releases"]:
        assert release["tender"]["numberOfTenderers"] == bidders[release["tender"]["id"]]
        details = release.get("bids", {}).get("details", [])
        competitive = release["tender"]["procurementMethod"] in ("open", "selective")
        if competitive and len(details) == 1 and release["tender"]["numberOfTenderers"] > 1:
            partial.add(release["ocid"])
    assert partial
    assert not partial & r018

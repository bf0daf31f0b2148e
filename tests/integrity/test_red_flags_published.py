"""red-flags.csv says, per row, whether its process and bids are published as screened
(issue 16 review, findings 1 and 10).

The inputs of test_flags_from_ocds (generated, seeded) go through the real gate as CSV files,
with rows broken on purpose: procurement rows whose contract is signed before the announcement
(an error rule: quarantined, still screened and flagged), one row with a schema error (neither
screened nor published: it shifts the gate's row numbering), and bids of amount 0 (an error rule
of the bids suite: quarantined). The package is exported from what the gate published, and the
oracle of test_flags_from_ocds reads only the package. Expected:

- every row of a process absent from the OCDS is ``published = no`` and names the rule;
- every row of a published process whose bids lost a row is ``bids_partial`` and names the
  bids' rule; every other row is ``yes``;
- for the per-process flags (R003, R018, R035, R036, TH-ABOVE-BUDGET) the ``yes`` rows are
  exactly the oracle's pairs on fully published processes; for R024 / R058 (fences over the
  screened peers) each ``yes`` row's difference, recomputed from the OCDS, is beyond the fence
  the row records.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pipelines.contracts import load_spec
from pipelines.integrity.flags.published import NO, PARTIAL, YES
from pipelines.integrity.ocds_bids import read_bids
from pipelines.integrity.ocds_config import load_ocds_config
from pipelines.integrity.ocds_export import export_release_package
from pipelines.integrity.partition import BIDS_FAMILY, flag_partition, gated_table_path
from pipelines.integrity.procurement_table import read_procurement
from pipelines.integrity.red_flags import FlagSpec, load_flag_specs
from pipelines.layout import PROCUREMENT, publishable_path, validation_dir
from pipelines.validation.gate import validate_partition
from tests.integrity.test_flags_from_ocds import AGENCY, BUYER, generate, oracle, second_bid_ratio

Json = dict[str, Any]
SIGNED_EARLY = "Contract signed on or after the announcement"
ZERO_BID = "A bid offers a positive price"
PER_PROCESS = {"R003", "R018", "R035", "R036", "TH-ABOVE-BUDGET"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _write(path: Path, rows: list[Json]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: _text(v) for k, v in row.items()} for row in rows)
    return path


def broken_inputs(seed: int) -> tuple[list[Json], list[Json], set[str], set[str]]:
    """The generated rows with 4 contracts signed early (and a 3-day bid period), 1 schema
    error and 3 zero bids; the projects held back and the projects that lost a bid."""
    rows, bids = generate(seed)
    contracted = [r for r in rows if r["status"] == "contracted" and r["contract_date"]]
    held = set()
    for row in contracted[2:30:7]:
        row["contract_date"] = row["announce_date"] - dt.timedelta(days=3)
        row["bid_close_date"] = row["announce_date"] + dt.timedelta(days=3)  # and R003
        held.add(row["project_id"])
    rows[5]["budget"] = "lots"  # a schema error: neither screened nor published
    dropped_project = rows[5]["project_id"]
    partial = set()
    losers = [b for b in bids if b["project_id"] not in held | {dropped_project}]
    for bid in losers[3:60:20]:
        bid.update(bid_amount=0.0, bid_status="disqualified")
        partial.add(bid["project_id"])
    return rows, bids, held, partial


def gate(data_dir: Path, rows: list[Json], bids: list[Json]) -> None:
    for family, table in ((PROCUREMENT, rows), (BIDS_FAMILY, bids)):
        source = _write(data_dir / f"{family}.csv", table)
        result = validate_partition(
            family,
            AGENCY,
            source,
            load_spec(family),
            out_dir=validation_dir(data_dir, family, AGENCY),
        )
        assert result.status == "quarantined", (family, result.reasons)


@pytest.mark.parametrize("seed", [16, 2024])
def test_each_flag_row_says_whether_the_ocds_shows_it(tmp_path: Path, seed: int) -> None:
    rows, bids, held, partial = broken_inputs(seed)
    gate(tmp_path, rows, bids)
    specs = {spec.id: spec for spec in load_flag_specs()}
    outcome = flag_partition(AGENCY, tmp_path, list(specs.values()))
    with outcome.csv.open(encoding="utf-8", newline="") as handle:
        flagged = list(csv.DictReader(handle))
    declared = load_ocds_config().bids
    package = json.loads(
        json.dumps(
            export_release_package(
                read_procurement(gated_table_path(tmp_path, AGENCY)),
                BUYER,
                bids=read_bids(publishable_path(tmp_path, BIDS_FAMILY, AGENCY), declared),
                published=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ),
            ensure_ascii=False,
        )
    )
    held_rows = [r for r in flagged if r["project_id"] in held]
    assert {r["project_id"] for r in held_rows} == held  # each planted one is flagged (R003...)
    assert all(r["held_back_by"].startswith(SIGNED_EARLY) for r in held_rows)
    partial_rows = [r for r in flagged if r["published"] == PARTIAL]
    assert partial_rows  # a bid-partial process is flagged
    assert all(r["held_back_by"].startswith("bids: " + ZERO_BID) for r in partial_rows)
    check_explained(flagged, package, specs, partial)


def check_explained(
    flagged: list[Json], package: Json, specs: dict[str, FlagSpec], partial: set[str]
) -> None:
    """Every flag row is either recomputable from the ``package`` alone or says why not;
    ``partial``: the published projects that lost a bid at the gate (worked out by the test)."""
    releases = {r["ocid"]: r for r in package["releases"]}
    for record in flagged:
        shown = (record["published"], record["ocid"] in releases)
        if record["published"] == NO:  # quarantined: not in the OCDS, the rule named
            assert shown == (NO, False), record
            assert record["held_back_by"], record
        elif record["project_id"] in partial:
            assert shown == (PARTIAL, True), record
            assert record["held_back_by"].startswith("bids: "), record
        else:
            assert shown == (YES, True), record
            assert record["held_back_by"] == "", record
    # per-process flags: on fully published processes, exactly what the OCDS alone gives
    expected = oracle(package, specs)
    fully = {ocid for ocid, r in releases.items() if r["tender"]["id"] not in partial}
    got = {(r["ocid"], r["flag_id"]) for r in flagged if r["published"] == YES}
    assert {p for p in got if p[1] in PER_PROCESS} == {
        p for p in expected if p[1] in PER_PROCESS and p[0] in fully
    }
    # R024 / R058 (fences over the screened peers): the OCDS difference is beyond the fence
    for record in flagged:
        if record["flag_id"] not in ("R024", "R058") or record["published"] != YES:
            continue
        values = json.loads(record["values"])
        ratio = second_bid_ratio(releases[record["ocid"]])
        assert ratio == pytest.approx(values["difference"], rel=1e-9)
        if record["flag_id"] == "R024":
            assert ratio <= values["lower_fence"]
        else:
            assert ratio >= values["upper_fence"]

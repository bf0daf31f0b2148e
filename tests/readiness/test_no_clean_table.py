"""The report never reads a clean table: the real pipeline's assets (raw, clean with its gate,
red flags) run on a generated drop in a temporary data folder; the report built from their
outputs is byte-identical once the clean tables are deleted, and changes when a gate output
goes (the comparison can fail)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from stdnum.th import moa

from pipelines.contracts import load_specs
from pipelines.contracts.models import FileSource, Sources
from pipelines.defs.integrity import build_integrity_assets
from pipelines.defs.pull import agency_partitions, build_clean_asset, build_raw_asset
from pipelines.integrity.procurement_table import COLUMNS
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.report import build_report, write_report
from pipelines.settings import get_settings

from .conftest import AS_OF, PORTAL, dataset, organization, snapshot

AGENCY = agency_partitions.get_partition_keys()[0]  # any registry agency: the data dir is ours
ROWS, SINGLE_BIDS = 12, 3  # the last row's method is not in the contract: quarantined


def juristic_id(serial: int) -> str:
    body = f"0105{serial:08d}"
    return body + moa.calc_check_digit(body)


def write_drop(path: Path) -> None:
    """A procurement file as an agency sends it: the contract's columns, B.E. fiscal year."""
    path.parent.mkdir(parents=True)
    rows = [
        {
            "project_id": f"{67000000000 + n:011d}",
            "agency_code": AGENCY,
            "fiscal_year": 2568,
            "project_name": f"จ้างก่อสร้างอาคาร {n}",
            "method": "e_bidding" if n < ROWS else "by_lottery",
            "budget": "1000000.00",
            "reference_price": "1000000.00",
            "announce_date": "2024-11-04",
            "bid_close_date": "2024-12-04",
            "contract_date": "2025-01-06",
            "number_of_bidders": 1 if n <= SINGLE_BIDS else 4,
            "winner_tax_id": juristic_id(n),
            "winner_name": f"บริษัท ผู้รับเหมา {n} จำกัด",
            "contract_value": "900000.00",
            "status": "contracted",
        }
        for n in range(1, ROWS + 1)
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real assets' outputs for AGENCY's procurement in a temporary data folder."""
    data = tmp_path / "data"
    drop = tmp_path / "drops" / AGENCY / "procurement_2568.csv"
    write_drop(drop)
    monkeypatch.setenv("OGP_DATA_DIR", str(data))
    get_settings.cache_clear()
    try:
        spec = load_specs()["procurement"].model_copy(
            update={"sources": Sources(default=FileSource(path=str(drop)))}
        )
        red_flags = [
            asset
            for asset in build_integrity_assets(agency_partitions)
            if asset.key == dg.AssetKey("procurement_red_flags")
        ]
        result = dg.materialize(
            [build_raw_asset(spec), build_clean_asset(spec), *red_flags], partition_key=AGENCY
        )
    finally:
        get_settings.cache_clear()
    assert result.success
    return data


def report_json(config: OgpConfig, data: Path, out: Path) -> bytes:
    """The report from the local outputs and a fixed portal snapshot holding AGENCY's data."""
    portal = snapshot(
        [organization(AGENCY)],
        [dataset(AGENCY, "procurement", [("procurement-2025.csv", "CSV", True)])],
    )
    local = read_local_outputs(data, data.parent)
    indicators = compute_indicators(portal, local, config.methodology, 2025, AS_OF)
    paths = write_report(build_report(config, indicators, PORTAL, AS_OF), out)
    return paths.json_path.read_bytes()


@pytest.mark.timeout(600)
def test_report_unchanged_without_the_clean_tables(
    config: OgpConfig, data_dir: Path, tmp_path: Path
) -> None:
    clean = data_dir / "clean" / "procurement" / AGENCY
    gate = data_dir / "validation" / "procurement" / AGENCY
    assert (clean / "procurement.parquet").is_file()
    gate_report = json.loads((gate / "report.json").read_text(encoding="utf-8"))
    assert (gate_report["status"], gate_report["counts"]["rows"]) == ("quarantined", ROWS)
    assert (gate / "publishable.parquet").is_file()

    before = report_json(config, data_dir, tmp_path / "before")
    document = json.loads(before)
    card = next(a for a in document["agencies"] if a["agency"] == AGENCY)
    red_flag_rate = card["figures"]["red_flag_rate"]
    # over the rows the gate let through (the flags never saw the quarantined one)
    assert red_flag_rate["value"] == pytest.approx(SINGLE_BIDS / (ROWS - 1))
    assert red_flag_rate["evidence"] == [f"{PORTAL}/dataset/{AGENCY}-procurement"]  # never local
    validation = card["figures"]["validation_pass_rate"]
    assert (validation["value"], validation["evidence"]) == (
        1.0,  # quarantined: published with a quarantined row (partial), let through (L6)
        [f"{PORTAL}/dataset/{AGENCY}-procurement"],
    )

    shutil.rmtree(data_dir / "clean")
    after = report_json(config, data_dir, tmp_path / "after")
    assert after == before

    # control: without the gate's report the verdict is unknown, and the report says so (the
    # red-flag rate is the integrity stage's, over the rows that passed the schema: it stays)
    (gate / "report.json").unlink()
    without_gate = json.loads(report_json(config, data_dir, tmp_path / "no-gate"))
    card = next(a for a in without_gate["agencies"] if a["agency"] == AGENCY)
    assert card["figures"]["red_flag_rate"]["value"] == red_flag_rate["value"]
    assert card["figures"]["validation_pass_rate"]["value"] is None

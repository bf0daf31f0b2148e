"""Stale bids (ocds_bids.current_bids): the OCDS package and the red flags use the gate's bids
only when they were made from the bids files present now (the drop's files, by content, are the
files the clean table was made from, and the gate's report judged that clean table). A changed
file not yet through the gate withholds both with a one-line reason; a file that is gone means
no bids, whatever an earlier run left behind. Inputs are taken in through the real stages
(land, clean, gate) from files the test writes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import StaticPartitionsDefinition, materialize

from pipelines.contracts import load_spec
from pipelines.defs import integrity as integrity_defs
from pipelines.integrity.ocds_bids import STALE, STALE_TH, current_bids
from pipelines.integrity.ocds_schema import forget_unreachable
from pipelines.integrity.partition import (
    flags_note_path,
    gated_table_path,
    package_path,
    screened_table_path,
    withheld_note_path,
)
from pipelines.layout import report_json_path, validation_dir
from pipelines.normalize.partition import clean
from pipelines.settings import REPO_ROOT, get_settings
from pipelines.sources.partition import land
from pipelines.validation.gate import validate_partition

from .conftest import juristic_id, project, table

FAMILY = "procurement_bids"
HEADER = (
    "project_id,agency_code,fiscal_year,bidder_tax_id,bidder_name,bid_amount,bid_status,bid_date"
)


def bids_text(amount: int) -> str:
    rows = [
        f"67000000001,cgd,2567,{juristic_id(1)},บริษัท ผู้รับเหมา 1 จำกัด,{amount},valid,",
        f"67000000001,cgd,2567,{juristic_id(2)},บริษัท สอง จำกัด,{amount + 50000},valid,",
    ]
    return "\n".join([HEADER, *rows]) + "\n"


def drop(base: Path, text: str | None) -> None:
    folder = base / "datasets/drops/cgd"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "procurement_bids_2567.csv"
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")


def take_in(data: Path, base: Path) -> None:
    """raw -> clean -> gate of the cgd bids, as clean_procurement_bids runs them."""
    spec = load_spec(FAMILY)
    land(spec, "cgd", data, base_dir=base)
    part = clean(spec, "cgd", data)
    validate_partition(
        FAMILY,
        "cgd",
        part.files.parquet,
        spec,
        cast_errors=part.result.cast_errors,
        personal_data=part.result.personal_data,
        out_dir=validation_dir(data, FAMILY, "cgd"),
    )


def test_bids_are_used_only_while_they_match_the_files_now(tmp_path: Path) -> None:
    data, base = tmp_path / "data", tmp_path / "repo"
    drop(base, bids_text(900_000))
    assert current_bids(data, "cgd", base_dir=base) == current_bids(data, "cgd", base_dir=base)
    assert current_bids(data, "cgd", base_dir=base).publishable is None  # never gated here
    assert not current_bids(data, "cgd", base_dir=base).stale

    take_in(data, base)
    fresh = current_bids(data, "cgd", base_dir=base)
    assert not fresh.stale
    assert fresh.publishable is not None
    assert pq.read_table(fresh.publishable).num_rows == 2
    assert fresh.schema_valid is not None

    drop(base, bids_text(800_000))  # a new file, the bids step not run yet
    assert current_bids(data, "cgd", base_dir=base).stale
    spec = load_spec(FAMILY)
    land(spec, "cgd", data, base_dir=base)  # raw ran, clean not yet: still stale
    assert current_bids(data, "cgd", base_dir=base).stale
    take_in(data, base)
    assert not current_bids(data, "cgd", base_dir=base).stale
    amounts = pq.read_table(current_bids(data, "cgd", base_dir=base).publishable)["bid_amount"]
    assert sorted(amounts.to_pylist()) == [800_000, 850_000]

    drop(base, None)  # the agency's bids file is gone: no bids, the gate's leftovers ignored
    gone = current_bids(data, "cgd", base_dir=base)
    assert (gone.publishable, gone.schema_valid, gone.stale) == (None, None, False)


def test_the_reason_is_one_line_each() -> None:
    assert "\n" not in STALE + STALE_TH
    assert "bids" in STALE
    assert "ผู้เสนอราคา" in STALE_TH


@pytest.fixture
def settings_for(monkeypatch, ocds_schema_dir):
    def use(data_dir: Path) -> None:
        monkeypatch.setenv("OGP_DATA_DIR", str(data_dir))
        monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(ocds_schema_dir))
        get_settings.cache_clear()
        integrity_defs.clear_validator_cache()
        forget_unreachable()

    yield use
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()


def gated_procurement(data: Path) -> None:
    rows = [project(1, fiscal_year=2024)]
    path = gated_table_path(data, "cgd")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table(rows), path)
    pq.write_table(table(rows), screened_table_path(data, "cgd"))
    report_json_path(data, "procurement", "cgd").write_text("{}", encoding="utf-8")


def run_assets(data: Path):
    partitions = StaticPartitionsDefinition(["cgd"])
    return materialize(integrity_defs.build_integrity_assets(partitions), partition_key="cgd")


def test_the_assets_withhold_on_bids_gated_from_other_files(tmp_path: Path, settings_for) -> None:
    """cgd's bids files now are the repository's demo drops; this data dir gated other ones
    (an earlier run's): the package and the flags are withheld, saying why."""
    data = tmp_path / "data"
    drop(tmp_path / "elsewhere", bids_text(900_000))
    take_in(data, tmp_path / "elsewhere")
    gated_procurement(data)
    earlier = package_path(data, "cgd")
    earlier.parent.mkdir(parents=True, exist_ok=True)
    earlier.write_text('{"releases": []}', encoding="utf-8")
    settings_for(data)
    result = run_assets(data)
    assert result.success
    statuses = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert {name: meta["status"].value for name, meta in statuses.items()} == {
        "procurement_ocds": "failed",
        "procurement_red_flags": "failed",
    }
    assert all(STALE in str(meta["reason"].value) for meta in statuses.values())
    assert not earlier.exists()
    note = json.loads(withheld_note_path(data, "cgd").read_text(encoding="utf-8"))
    assert (note["reason"], note["reason_th"]) == (STALE, STALE_TH)
    assert json.loads(flags_note_path(data, "cgd").read_text(encoding="utf-8"))["reason"] == STALE


def test_the_assets_use_bids_gated_from_the_files_now(tmp_path: Path, settings_for) -> None:
    data = tmp_path / "data"
    take_in(data, REPO_ROOT)  # the demo drops of cgd, read only
    gated_procurement(data)
    settings_for(data)
    result = run_assets(data)
    assert result.success
    metadata = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert metadata["procurement_ocds"]["status"].value == "published"
    assert metadata["procurement_red_flags"]["status"].value == "published"
    # the demo's cgd bids are for the demo's projects, none in this procurement table: reported
    demo_bids = current_bids(data, "cgd").publishable
    assert demo_bids is not None
    ocds = metadata["procurement_ocds"]
    assert ocds["orphan_bids"].value == pq.read_table(demo_bids).num_rows > 0
    assert len(ocds["orphan_bid_projects"].value) == 20
    assert ocds["bid_count_mismatches"].value == 0
    assert package_path(data, "cgd").is_file()
    assert not withheld_note_path(data, "cgd").exists()

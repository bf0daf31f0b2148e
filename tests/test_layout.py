"""pipelines/layout.py: the on-disk layout and the asset keys, and that the stages use them.

The expected paths are spelled out here on purpose (the layout is a promise to stewards and
to the portal's evidence links): a change to the layout has to change this file too.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from pipelines import layout
from pipelines.contracts import load_spec, load_specs
from pipelines.definitions import defs
from pipelines.normalize import clean_files
from pipelines.publish.ckan import default_receipts_dir
from pipelines.publish.partitions import Partition, find_partitions
from pipelines.readiness.local_reader import gate_report_path, read_local_outputs
from pipelines.settings import Settings
from pipelines.sources.landing import LandingArea


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- paths --------------------------------------------------------------------------------------


def test_partition_paths(tmp_path: Path) -> None:
    assert layout.raw_dir(tmp_path, "decisions", "a1") == tmp_path / "raw/decisions/a1"
    assert layout.raw_dir(tmp_path, "agencies", None) == tmp_path / "raw/agencies"
    files = layout.clean_files(tmp_path, "budget", "a1")
    assert files.parquet == tmp_path / "clean/budget/a1/budget.parquet"
    assert files.csv == tmp_path / "clean/budget/a1/budget.csv"
    assert files.cast_errors == tmp_path / "clean/budget/a1/cast_errors.json"
    assert files.normalization == tmp_path / "clean/budget/a1/normalization.json"
    assert layout.clean_dir(tmp_path, "agencies", None) == tmp_path / "clean/agencies"
    folder = tmp_path / "validation/budget/a1"
    assert layout.validation_dir(tmp_path, "budget", "a1") == folder
    assert layout.report_json_path(tmp_path, "budget", "a1") == folder / "report.json"
    assert layout.publishable_path(tmp_path, "budget", "a1") == folder / "publishable.parquet"
    assert layout.data_dir_of_validation(folder) == tmp_path
    assert layout.receipts_dir(tmp_path) == tmp_path / "publish/receipts"
    assert layout.cache_dir(tmp_path, "ocds") == tmp_path / "cache/ocds"


def test_integrity_paths(tmp_path: Path) -> None:
    files = layout.integrity_files(tmp_path, "a1")
    folder = tmp_path / "integrity/procurement/a1"
    assert files.folder == folder == layout.integrity_dir(tmp_path, "a1")
    assert files.package == folder / "ocds_release_package.json"
    assert files.package_note == folder / "ocds_release_package.json.withheld.json"
    assert (files.flags_csv, files.flags_parquet, files.flags_json) == (
        folder / "red_flags.csv",
        folder / "red_flags.parquet",
        folder / "red_flags.json",
    )
    assert files.flags_note == folder / "red_flags.csv.withheld.json"


def test_the_contract_names_the_integrity_files_the_layout_writes(tmp_path: Path) -> None:
    """The procurement contract's derived resources (what is published) are the files the
    integrity stage writes, notes included, and are made by the assets the layout names."""
    files = layout.integrity_files(tmp_path, "a1")
    derived = {d.asset: d for d in load_spec(layout.PROCUREMENT).derived_resources}
    assert set(derived) == {layout.PROCUREMENT_OCDS, layout.PROCUREMENT_RED_FLAGS}
    ocds, flags = derived[layout.PROCUREMENT_OCDS], derived[layout.PROCUREMENT_RED_FLAGS]
    assert tmp_path / ocds.path_for("a1") == files.package
    assert tmp_path / ocds.withheld_path_for("a1") == files.package_note
    assert tmp_path / flags.path_for("a1") == files.flags_csv
    assert tmp_path / flags.withheld_path_for("a1") == files.flags_note


def test_listings_find_only_what_the_stages_wrote(tmp_path: Path) -> None:
    for family, agency in [("budget", "b2"), ("budget", "a1"), ("decisions", "a1")]:
        touch(layout.clean_files(tmp_path, family, agency).parquet)
        touch(layout.report_json_path(tmp_path, family, agency), "{}")
    touch(tmp_path / "clean/budget/a1/stray.parquet")  # not the family's table
    touch(layout.clean_files(tmp_path, "agencies", None).parquet)  # unpartitioned: no agency
    touch(tmp_path / "validation/budget/a1/other.json")
    touch(layout.integrity_files(tmp_path, "a1").flags_csv)
    touch(tmp_path / "integrity/procurement/not-a-folder.txt")

    clean = [(family, agency) for family, agency, _ in layout.clean_tables(tmp_path)]
    assert clean == [("budget", "a1"), ("budget", "b2"), ("decisions", "a1")]
    reports = layout.validation_reports(tmp_path)
    assert [(f, a) for f, a, _ in reports] == clean
    assert all(path.name == "report.json" for _, _, path in reports)
    assert layout.integrity_agency_dirs(tmp_path) == [tmp_path / "integrity/procurement/a1"]
    assert layout.integrity_agency_dirs(tmp_path / "empty") == []


# --- the stages use the layout ------------------------------------------------------------------


def test_the_stages_read_and_write_where_the_layout_says(tmp_path: Path) -> None:
    assert LandingArea(tmp_path, "decisions", "a1").root == layout.raw_dir(
        tmp_path, "decisions", "a1"
    )
    assert LandingArea(tmp_path, "agencies", None).root == tmp_path / "raw/agencies"
    assert clean_files(tmp_path, "budget", "a1") == layout.clean_files(tmp_path, "budget", "a1")
    partition = Partition.at(tmp_path, "budget", "a1")
    assert partition.clean_path == layout.clean_files(tmp_path, "budget", "a1").parquet
    assert partition.report_json == layout.report_json_path(tmp_path, "budget", "a1")
    assert partition.data_dir == tmp_path
    assert gate_report_path(tmp_path, "budget", "a1") == partition.report_json
    assert default_receipts_dir(Settings(data_dir=tmp_path)) == tmp_path / "publish/receipts"

    touch(partition.clean_path)
    touch(tmp_path / "clean/budget/a1/stray.parquet")
    assert find_partitions(tmp_path) == [partition]
    assert find_partitions(tmp_path, families={"decisions"}) == []


def test_readiness_reads_the_gate_reports_the_layout_lists(tmp_path: Path) -> None:
    report = {"publishable": False, "reasons": ["schema"], "counts": {"published_rows": 0}}

    touch(layout.report_json_path(tmp_path, "budget", "a1"), json.dumps(report))
    touch(tmp_path / "validation/budget/a1/extra/report.json", json.dumps(report))  # too deep
    outputs = read_local_outputs(tmp_path)
    assert list(outputs.validation) == ["budget/a1"]
    assert outputs.red_flags == {}


# --- asset keys ---------------------------------------------------------------------------------


def test_family_keys() -> None:
    assert layout.raw_key("budget") == "raw_budget"
    assert layout.clean_key("budget") == "clean_budget"
    assert layout.published_key("budget") == "published_budget"


@pytest.mark.parametrize(
    ("key", "stage", "family"),
    [
        ("raw_decisions", "raw_", "decisions"),
        ("clean_agencies", "clean_", "agencies"),
        ("published_budget", "published_", "budget"),
        ("procurement_ocds", None, "procurement"),
        ("procurement_red_flags", None, "procurement"),
        ("ckan_organizations", None, None),
        ("ogp_readiness_report", None, None),
        ("raw_", None, None),
        ("rawdata", None, None),
        ("unpublished_budget", None, None),
    ],
)
def test_parsing_keys(key: str, stage: str | None, family: str | None) -> None:
    assert layout.stage_of(key) == stage
    assert layout.family_of(key) == family


def test_the_keys_are_the_code_locations_assets() -> None:
    """Every asset of the code location is named by the layout, and every name it builds for
    a contract family exists: the keys the runner reads are the keys Dagster writes."""
    graph = defs.resolve_asset_graph()
    actual = {key.to_user_string() for key in graph.get_all_asset_keys()}
    expected = {
        layout.CKAN_ORGANIZATIONS,
        layout.READINESS_REPORT,
        layout.PROCUREMENT_OCDS,
        layout.PROCUREMENT_RED_FLAGS,
    }
    for name, spec in load_specs().items():
        expected |= {layout.raw_key(name), layout.clean_key(name)}
        if spec.partitioned:
            expected.add(layout.published_key(name))
    assert actual == expected
    for key in actual:
        family = layout.family_of(key)
        assert family is None or family in load_specs(), key
    assert graph.get(dg.AssetKey(layout.PROCUREMENT_OCDS)).parent_keys == {
        dg.AssetKey(layout.clean_key(layout.PROCUREMENT))
    }

"""Identity: a project number under two agencies would make two buyers one contracting process
(the ocid is prefix + project number). The cross-agency check refuses it, naming the project,
both agencies and the files they sent; the agency's whole OCDS package is withheld with that
line in English and Thai."""

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from dagster import StaticPartitionsDefinition, materialize

from pipelines.defs import integrity as integrity_defs
from pipelines.integrity.ocds_schema import forget_unreachable
from pipelines.integrity.partition import (
    gated_table_path,
    package_path,
    screened_table_path,
    withheld_note_path,
)
from pipelines.integrity.process_ids import find_conflicts
from pipelines.layout import report_json_path
from pipelines.settings import get_settings
from pipelines.sources.landing import LandingArea

CSV_COLUMNS = ["project_id", "agency_code", "fiscal_year", "project_name", "method", "budget"]


def _csv(rows) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def _agency(data_dir, make_table, agency, files):
    """``files``: {name as sent: rows}; lands each file, writes the gate's outputs."""
    landing = LandingArea(data_dir, "procurement", agency)
    landed = [
        landing.store(_csv(rows), source=f"datasets/drops/{agency}/{name}", ext="csv")
        for name, rows in files.items()
    ]
    landing.record_latest(landed)
    every_row = [row for rows in files.values() for row in rows]
    path = gated_table_path(data_dir, agency)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(make_table(every_row), path)
    pq.write_table(make_table(every_row), screened_table_path(data_dir, agency))
    report_json_path(data_dir, "procurement", agency).write_text("{}", encoding="utf-8")


@pytest.fixture
def two_agencies(tmp_path, make_project, make_table):
    """cgd sends two files; pcd one, which repeats a project number of cgd's second file."""
    cgd = {
        "procurement_2567.csv": [make_project(1), make_project(2)],
        "procurement_2568.csv": [make_project(3), make_project(4)],
    }
    pcd = {
        "procurement_2568.csv": [
            make_project(4, agency_code="pcd"),
            make_project(9, agency_code="pcd"),
        ]
    }
    _agency(tmp_path, make_table, "cgd", cgd)
    _agency(tmp_path, make_table, "pcd", pcd)
    return tmp_path


def test_a_project_number_under_two_agencies_is_named_with_both_files(two_agencies):
    report = find_conflicts("cgd", two_agencies)
    assert report is not None
    ((conflict),) = report.conflicts
    assert (conflict.project_id, conflict.agency, conflict.other) == ("67000000004", "cgd", "pcd")
    # cgd's number is found in its second file only (the file was read again to say which).
    assert conflict.files == ("procurement_2568.csv",)
    assert conflict.other_files == ("procurement_2568.csv",)
    assert report.reason == (
        "project 67000000004 is under two agencies, cgd (procurement_2568.csv) and pcd "
        "(procurement_2568.csv): an ocid names one contracting process, so the OCDS package "
        "is withheld until one of the files is corrected"
    )
    assert "เลขที่โครงการ 67000000004" in report.reason_th
    assert "cgd (procurement_2568.csv) และ pcd (procurement_2568.csv)" in report.reason_th
    assert "\n" not in report.reason + report.reason_th  # one line each
    # Seen from the other side, the same pair.
    other = find_conflicts("pcd", two_agencies)
    assert other is not None
    assert [(c.project_id, c.agency, c.other) for c in other.conflicts] == [
        ("67000000004", "pcd", "cgd")
    ]


def test_more_conflicts_are_counted_after_the_first(tmp_path, make_project, make_table):
    _agency(tmp_path, make_table, "cgd", {"a.csv": [make_project(n) for n in (1, 2, 3)]})
    pcd = [make_project(n, agency_code="pcd") for n in (3, 2, 1)]
    _agency(tmp_path, make_table, "pcd", {"b.csv": pcd})
    report = find_conflicts("cgd", tmp_path)
    assert report is not None
    assert [c.project_id for c in report.conflicts] == [
        "67000000001",
        "67000000002",
        "67000000003",
    ]
    assert report.reason.startswith("project 67000000001 is under two agencies, cgd (a.csv)")
    assert "(and 2 more project numbers)" in report.reason
    assert "(และอีก 2 เลขที่โครงการ)" in report.reason_th


def test_distinct_numbers_are_no_conflict(tmp_path, make_project, make_table):
    _agency(tmp_path, make_table, "cgd", {"a.csv": [make_project(1)]})
    _agency(tmp_path, make_table, "pcd", {"b.csv": [make_project(2, agency_code="pcd")]})
    assert find_conflicts("cgd", tmp_path) is None
    assert find_conflicts("pcd", tmp_path) is None


def test_a_table_that_changed_is_read_again(tmp_path, make_project, make_table):
    # Tables are remembered per process (read once per change): a new file is seen.
    _agency(tmp_path, make_table, "cgd", {"a.csv": [make_project(1)]})
    _agency(tmp_path, make_table, "pcd", {"b.csv": [make_project(2, agency_code="pcd")]})
    assert find_conflicts("cgd", tmp_path) is None
    _agency(tmp_path, make_table, "pcd", {"b.csv": [make_project(1, agency_code="pcd")]})
    report = find_conflicts("cgd", tmp_path)
    assert report is not None
    assert [c.project_id for c in report.conflicts] == ["67000000001"]


@pytest.fixture
def settings_for(monkeypatch, ocds_schema_dir):
    def use(data_dir):
        monkeypatch.setenv("OGP_DATA_DIR", str(data_dir))
        monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(ocds_schema_dir))
        get_settings.cache_clear()
        integrity_defs.clear_validator_cache()
        forget_unreachable()

    yield use
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()


def test_the_asset_withholds_the_whole_package_with_the_reason(two_agencies, settings_for):
    settings_for(two_agencies)
    earlier = package_path(two_agencies, "cgd")
    earlier.parent.mkdir(parents=True, exist_ok=True)
    earlier.write_text('{"releases": []}', encoding="utf-8")  # an earlier run's package
    partitions = StaticPartitionsDefinition(["cgd", "pcd"])
    assets = [integrity_defs.build_integrity_assets(partitions)[0]]  # procurement_ocds

    result = materialize(assets, partition_key="cgd")

    assert result.success  # the family is still published, without the package
    (event,) = result.get_asset_materialization_events()
    metadata = event.step_materialization_data.materialization.metadata
    assert metadata["status"].value == "failed"
    assert "project 67000000004 is under two agencies" in str(metadata["reason"].value)
    (check,) = result.get_asset_check_evaluations()
    assert check.passed is False
    assert not earlier.exists()  # nothing half-published, nothing stale
    note = json.loads(withheld_note_path(two_agencies, "cgd").read_text(encoding="utf-8"))
    assert note["reason"].startswith("project 67000000004 is under two agencies, cgd")
    assert note["reason_th"].startswith("เลขที่โครงการ 67000000004")


def test_without_a_conflict_the_asset_publishes_the_package(
    tmp_path, make_project, make_table, settings_for
):
    _agency(tmp_path, make_table, "cgd", {"a.csv": [make_project(1)]})
    _agency(tmp_path, make_table, "pcd", {"b.csv": [make_project(2, agency_code="pcd")]})
    settings_for(tmp_path)
    partitions = StaticPartitionsDefinition(["cgd", "pcd"])
    result = materialize(
        [integrity_defs.build_integrity_assets(partitions)[0]], partition_key="cgd"
    )
    (event,) = result.get_asset_materialization_events()
    assert event.step_materialization_data.materialization.metadata["status"].value == "published"
    assert package_path(tmp_path, "cgd").is_file()
    assert not withheld_note_path(tmp_path, "cgd").exists()

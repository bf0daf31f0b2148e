"""Stability: every id and date of the package comes from the data, never from the run's clock,
so two runs over an unchanged table write the same bytes (issue 16)."""

import json

import pyarrow.parquet as pq

from pipelines.integrity.ocds_export import export_release_package
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.ocds_validate import package_validator
from pipelines.integrity.partition import export_partition, gated_table_path


def _rows(make_project):
    return [
        make_project(1),
        make_project(2, status="awarded", contract_date=None),
        # Planned: no announce, bid or contract date yet (the run's time dated these before).
        make_project(
            3,
            status="planned",
            fiscal_year=2025,
            announce_date=None,
            bid_close_date=None,
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
            number_of_bidders=None,
        ),
    ]


def test_dates_come_from_the_data(make_project, make_table, buyer):
    package = export_release_package(make_table(_rows(make_project)), buyer)
    dates = {release["id"]: release["date"] for release in package["releases"]}
    assert dates == {
        "67000000001-contracted": "2024-02-15T00:00:00+07:00",  # signed
        "67000000002-awarded": "2024-01-31T00:00:00+07:00",  # bids closed
        # planned: the first day of fiscal year 2025 (1 October 2024)
        "67000000003-planned": "2024-10-01T00:00:00+07:00",
    }
    # The package is as new as its newest release.
    assert package["publishedDate"] == "2024-10-01T00:00:00+07:00"


def test_two_runs_over_unchanged_input_write_identical_bytes(
    tmp_path, make_project, make_table, ocds_schema_dir
):
    validator = package_validator(load_schemas(ocds_schema_dir))
    path = gated_table_path(tmp_path, "cgd")
    path.parent.mkdir(parents=True)
    pq.write_table(make_table(_rows(make_project)), path)
    first = export_partition("cgd", tmp_path, validator)
    assert first.path is not None
    assert first.issues == []
    before = first.path.read_bytes()
    first.path.unlink()  # nothing of the first run is read back by the second
    second = export_partition("cgd", tmp_path, validator)
    assert second.path is not None
    assert second.path.read_bytes() == before

    # The control: changed data is a changed package (a date moved, publishedDate with it).
    rows = _rows(make_project)
    rows[2]["fiscal_year"] = 2026
    pq.write_table(make_table(rows), path)
    third = export_partition("cgd", tmp_path, validator)
    assert third.path is not None
    changed = json.loads(third.path.read_bytes())
    assert third.path.read_bytes() != before
    assert changed["publishedDate"] == "2025-10-01T00:00:00+07:00"

"""OCDS out and back in: clean table -> our release package -> (ocdskit compile) -> the OCDS
input connector and normalizer (pipelines/sources/ocds.py, pipelines/normalize) -> the same
clean table, for every field the export carries."""

import datetime as dt

import pytest
from ocdskit.combine import merge
from stdnum.th import pin

from pipelines.contracts import load_spec
from pipelines.integrity.ocds_export import export_release_package, write_release_package
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.procurement_table import COLUMNS, typed
from pipelines.normalize.table import normalize_file

PUBLISHED = dt.datetime(2024, 6, 1, 9, 30)


def carried(make_project):
    """Rows whose every field the export carries: each method and each status."""
    return [
        make_project(1),
        make_project(2, method="e_market", number_of_bidders=1, reference_price=812_345.25),
        make_project(
            3,
            method="selection",
            status="announced",
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
            number_of_bidders=None,
        ),
        make_project(
            4,
            method="specific",
            announce_date=None,
            bid_close_date=None,
            contract_date=dt.date(2023, 11, 20),
            fiscal_year=2024,
            contract_value=499_999.0,
        ),
        make_project(
            5,
            method="price_agreement",
            status="cancelled",
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
        ),
        make_project(6, status="awarded", contract_date=None),
        make_project(
            7,
            status="planned",
            announce_date=None,
            bid_close_date=None,
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
            number_of_bidders=None,
            fiscal_year=2025,
        ),
    ]


def compiled_package(package, schema_dir):
    """ocdskit's compile (merge into records), offline: the schema is given, not fetched."""
    schemas = load_schemas(schema_dir)
    (record_package,) = merge([package], schema=schemas.release, return_package=True)
    return record_package


def round_trip(rows, make_table, buyer, tmp_path, schema_dir, *, compile_first):
    package = export_release_package(make_table(rows), buyer, published=PUBLISHED)
    if compile_first:
        package = compiled_package(package, schema_dir)
    path = write_release_package(package, tmp_path / "ocds_release_package.json")
    result = normalize_file(path, load_spec("procurement"), agency=buyer.agency_code)
    assert result.cast_errors == []
    return typed(result.table).sort_by("project_id")


@pytest.mark.parametrize("compile_first", [False, True], ids=["releases", "compiled-records"])
def test_carried_fields_round_trip(
    make_project, make_table, buyer, tmp_path, ocds_schema_dir, compile_first
):
    rows = carried(make_project)
    back = round_trip(
        rows, make_table, buyer, tmp_path, ocds_schema_dir, compile_first=compile_first
    )
    original = typed(make_table(rows)).sort_by("project_id")
    for column in COLUMNS:
        assert back[column].to_pylist() == original[column].to_pylist(), column


def test_the_compiled_record_keeps_one_release_per_project(
    make_project, make_table, buyer, ocds_schema_dir
):
    rows = carried(make_project)
    package = export_release_package(make_table(rows), buyer, published=PUBLISHED)
    records = compiled_package(package, ocds_schema_dir)["records"]
    assert sorted(r["ocid"] for r in records) == sorted(r["ocid"] for r in package["releases"])
    assert all(r["compiledRelease"]["tag"] == ["compiled"] for r in records)


def test_a_sole_trader_comes_back_without_a_tax_id(
    make_project, make_table, buyer, tmp_path, ocds_schema_dir
):
    citizen_id = "110170012345"
    citizen_id += pin.calc_check_digit(citizen_id)
    row = make_project(1, winner_tax_id=citizen_id)
    (back,) = round_trip(
        [row], make_table, buyer, tmp_path, ocds_schema_dir, compile_first=False
    ).to_pylist()
    # The export withholds a citizen id (personal data), so none can come back.
    assert (back["winner_tax_id"], back["winner_name"]) == (None, row["winner_name"])

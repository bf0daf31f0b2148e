"""One agency partition: clean Parquet in, integrity files out; an invalid package is not
written, so the previous one stays."""

import copy
import datetime as dt
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from pipelines.integrity.ocds_bids import CurrentBids
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.ocds_validate import package_validator
from pipelines.integrity.partition import (
    buyer_from_registry,
    export_partition,
    flag_partition,
    gated_bids_path,
    gated_table_path,
    integrity_dir,
    screened_bids_path,
    screened_table_path,
)
from pipelines.integrity.red_flags import PUBLISHED_FLAGS_SCHEMA, load_flag_specs

PUBLISHED = dt.datetime(2024, 6, 1, 9, 30)


@pytest.fixture
def clean_cgd(tmp_path, make_project, make_table):
    rows = [
        make_project(1, number_of_bidders=1),
        make_project(2),
        make_project(3, status="planned"),
    ]
    path = gated_table_path(tmp_path, "cgd")
    path.parent.mkdir(parents=True)
    pq.write_table(make_table(rows), path)
    pq.write_table(make_table(rows), screened_table_path(tmp_path, "cgd"))
    return tmp_path, rows


@pytest.fixture(scope="module")
def validator(ocds_schema_dir):
    return package_validator(load_schemas(ocds_schema_dir))


def test_the_buyer_comes_from_the_agency_registry():
    assert buyer_from_registry("cgd").name_th == "กรมบัญชีกลาง"
    with pytest.raises(LookupError, match="no-such-agency"):
        buyer_from_registry("no-such-agency")


def test_a_valid_package_is_written(clean_cgd, validator):
    data_dir, rows = clean_cgd
    outcome = export_partition("cgd", data_dir, validator, published=PUBLISHED)
    assert (outcome.releases, outcome.issues) == (3, [])
    assert outcome.path == integrity_dir(data_dir, "cgd") / "ocds_release_package.json"
    package = json.loads(outcome.path.read_text(encoding="utf-8"))
    assert [r["tender"]["id"] for r in package["releases"]] == [r["project_id"] for r in rows]
    assert "กรมบัญชีกลาง" in outcome.path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


def test_unchanged_data_keeps_the_previous_package_byte_for_byte(clean_cgd, validator):
    data_dir, _rows = clean_cgd
    first = export_partition("cgd", data_dir, validator)
    assert first.path is not None
    before = first.path.read_bytes()
    again = export_partition("cgd", data_dir, validator)
    assert again.path == first.path
    assert again.path.read_bytes() == before  # publishedDate too: nothing to re-publish

    path = gated_table_path(data_dir, "cgd")
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 2), path)  # the data changed: a new package
    changed = export_partition("cgd", data_dir, validator)
    assert changed.releases == 2
    assert changed.path is not None
    assert changed.path.read_bytes() != before


def test_an_invalid_package_is_not_written_and_the_previous_stays(
    clean_cgd, ocds_schema_dir, validator
):
    data_dir, _ = clean_cgd
    previous = export_partition("cgd", data_dir, validator, published=PUBLISHED).path
    assert previous is not None
    before = previous.read_bytes()
    schemas = load_schemas(ocds_schema_dir)
    stricter = copy.deepcopy(schemas)
    stricter.package["required"] = [*stricter.package["required"], "x-not-in-the-package"]
    outcome = export_partition(
        "cgd", data_dir, package_validator(stricter), published=dt.datetime(2025, 1, 1)
    )
    assert outcome.path is None
    assert [(i.path, i.validator) for i in outcome.issues] == [("", "required")]
    assert previous.read_bytes() == before


def test_an_empty_partition_writes_no_package(tmp_path, make_table, validator):
    path = gated_table_path(tmp_path, "cgd")
    path.parent.mkdir(parents=True)
    pq.write_table(make_table([]), path)
    assert export_partition("cgd", tmp_path, validator).path is None


def test_flags_are_written_as_csv_parquet_and_a_described_report(clean_cgd):
    data_dir, rows = clean_cgd
    outcome = flag_partition("cgd", data_dir, load_flag_specs())
    from_csv = pacsv.read_csv(
        outcome.csv,
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in PUBLISHED_FLAGS_SCHEMA.names}
        ),
    )
    assert from_csv.to_pylist() == outcome.flags.to_pylist()
    assert pq.read_table(outcome.parquet).equals(outcome.flags)
    assert outcome.flags.to_pylist() == [
        {
            "agency_code": "cgd",
            "project_id": rows[0]["project_id"],
            "flag_id": "R018",
            "detail": "1 tenderer, procurement method open",
            "ocid": f"ocds-th0000-{rows[0]['project_id']}",
            "values": '{"number_of_tenderers":1,"procurement_method":"open"}',
            "parameters": '{"procurement_methods": ["open", "selective"]}',
            "published": "yes",
            "held_back_by": "",
        }
    ]
    report = json.loads(outcome.report.read_text(encoding="utf-8"))
    assert report["summary"]["overall"] == {"flags": 1, "projects": 1, "by_flag": {"R018": 1}}
    r018 = next(flag for flag in report["flags"] if flag["id"] == "R018")
    assert r018["projects"] == [rows[0]["project_id"]]
    assert r018["name"] == {"th": "มีผู้เสนอราคารายเดียว", "en": "Single bid received"}


def test_flags_use_only_the_bids_current_bids_allows(clean_cgd, make_juristic_id):
    """F16a's stale-bids rule (ocds_bids.current_bids): a bids file an earlier run left in the
    gate's folder is not read when no bids file is present now, and stale bids are refused."""
    data_dir, rows = clean_cgd
    leftover = pa.Table.from_pylist(
        [
            {
                "project_id": rows[0]["project_id"],
                "agency_code": "cgd",
                "bidder_tax_id": make_juristic_id(7),
                "bid_amount": 10.0,
                "bid_status": "valid",
            }
        ]
    )
    for path in (screened_bids_path(data_dir, "cgd"), gated_bids_path(data_dir, "cgd")):
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(leftover, path)
    specs = load_flag_specs()
    bid_flags = [spec.id for spec in specs if spec.needs_bids]
    on_disk = flag_partition("cgd", data_dir, specs)  # no rule given: the gate's files
    assert json.loads(on_disk.report.read_text(encoding="utf-8"))["not_computable"] == [
        "R024",
        "R058",
    ]  # computable, bar the fences of a single process
    none_now = flag_partition("cgd", data_dir, specs, current=CurrentBids())
    assert json.loads(none_now.report.read_text(encoding="utf-8"))["not_computable"] == bid_flags
    with pytest.raises(ValueError, match="has not been checked yet"):
        flag_partition("cgd", data_dir, specs, current=CurrentBids(stale=True))

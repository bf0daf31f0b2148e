"""The red-flag runner: specs from YAML, the flags table, per-flag records and the summary."""

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from pipelines.integrity.red_flags import (
    FLAGS_SCHEMA,
    compute_flags,
    describe_flags,
    load_flag_specs,
    not_computable,
    summarize,
)

EXPECTED_FLAGS = {
    "R003",
    "R018",
    "R024",
    "R035",
    "R036",
    "R038",
    "R058",
    "TH-PRICE-REF",
    "TH-SPLIT",
    "TH-ABOVE-BUDGET",
    "TH-SUPPLIER-SHARE",
}


@pytest.fixture
def crafted(make_project, make_table):
    """cgd: one short-period single bid, one over budget; pcd: one single bid; one clean row."""
    rows = [
        make_project(1, bid_close_date=dt.date(2024, 1, 5), number_of_bidders=1),
        make_project(2, contract_value=1_200_000.0),
        make_project(3, agency_code="pcd", method="selection", number_of_bidders=1),
        make_project(4),
    ]
    return rows, make_table(rows)


def test_every_flag_is_defined_bilingually_with_source_and_parameters():
    specs = load_flag_specs()
    assert {spec.id for spec in specs} == EXPECTED_FLAGS
    for spec in specs:
        assert spec.name.th
        assert spec.name.en
        assert spec.definition
        assert spec.source
        assert spec.parameters or spec.id == "R036", spec.id  # Cardinal's R036 has none
        assert spec.thai_specific == spec.id.startswith("TH-"), spec.id
        if spec.thai_specific:  # says so, and is not passed off as Cardinal's
            assert "Thai-specific" in spec.definition, spec.id
        else:
            number = spec.id[1:]
            assert spec.source == (
                f"https://cardinal.readthedocs.io/en/latest/cli/indicators/R/{number}.html"
            )
        assert ("procurement_bids" in spec.data) == spec.needs_bids, spec.id


def test_flags_table_has_one_row_per_project_and_flag(crafted):
    rows, table = crafted
    flags = compute_flags(table)
    assert flags.schema == FLAGS_SCHEMA
    got = {(r["agency_code"], r["project_id"], r["flag_id"]) for r in flags.to_pylist()}
    assert got == {
        ("cgd", rows[0]["project_id"], "R003"),
        ("cgd", rows[0]["project_id"], "R018"),
        ("cgd", rows[1]["project_id"], "TH-ABOVE-BUDGET"),
        ("pcd", rows[2]["project_id"], "R018"),
    }
    short = next(r for r in flags.to_pylist() if r["flag_id"] == "R003")
    assert short["detail"] == "tender period 4 days (fewer than 15), procurement method open"
    assert short["ocid"] == f"ocds-th0000-{rows[0]['project_id']}"
    assert json.loads(short["values"]) == {
        "tender_period_days": 4,
        "threshold": 15,
        "procurement_method": "open",
    }
    assert json.loads(short["parameters"]) == {
        "threshold": 15,
        "procurement_methods": [],
        "procurement_method_details": {},
    }


def test_details_never_carry_names_or_tax_ids(crafted):
    rows, table = crafted
    details = " ".join(compute_flags(table)["detail"].to_pylist())
    for row in rows:
        assert row["winner_tax_id"] not in details
        assert row["winner_name"] not in details


def test_summary_counts_per_agency_and_overall(crafted):
    _, table = crafted
    assert summarize(compute_flags(table)) == {
        "overall": {
            "flags": 4,
            "projects": 3,
            "by_flag": {"R003": 1, "R018": 2, "TH-ABOVE-BUDGET": 1},
        },
        "by_agency": {
            "cgd": {
                "flags": 3,
                "projects": 2,
                "by_flag": {"R003": 1, "R018": 1, "TH-ABOVE-BUDGET": 1},
            },
            "pcd": {"flags": 1, "projects": 1, "by_flag": {"R018": 1}},
        },
    }


def test_summary_of_no_flags_is_zero():
    assert summarize(FLAGS_SCHEMA.empty_table()) == {
        "overall": {"flags": 0, "projects": 0, "by_flag": {}},
        "by_agency": {},
    }


def test_each_flag_is_described_with_its_records(crafted):
    rows, table = crafted
    specs = load_flag_specs()
    skipped = not_computable(specs, None)
    assert skipped == ["R024", "R035", "R036", "R038", "R058"]
    flags = compute_flags(table)
    described = {d["id"]: d for d in describe_flags(flags, specs, skipped=skipped)}
    assert described["R018"]["projects"] == sorted([rows[0]["project_id"], rows[2]["project_id"]])
    assert described["TH-PRICE-REF"]["projects"] == []
    assert described["TH-PRICE-REF"]["computable"] is True
    # no bids table: not computable, never "0 flagged"
    assert described["R024"]["computable"] is False
    assert described["R024"]["projects"] is None
    assert "not computable" in described["R024"]["not_computable_reason"]
    assert described["R003"]["parameters"] == {
        "threshold": 15,
        "procurement_methods": [],
        "procurement_method_details": {},
    }
    assert described["R003"]["name"]["th"] == "ระยะเวลายื่นข้อเสนอสั้นผิดปกติ"


def test_string_dates_and_decimal_amounts_are_read_like_typed_ones(crafted):
    _, table = crafted
    as_text = table.set_column(
        table.schema.get_field_index("bid_close_date"),
        "bid_close_date",
        table["bid_close_date"].cast(pa.string()),
    ).set_column(
        table.schema.get_field_index("contract_value"),
        "contract_value",
        table["contract_value"].cast(pa.decimal128(18, 2)),
    )
    assert compute_flags(as_text).equals(compute_flags(table))


def test_an_unknown_check_in_the_yaml_is_refused_naming_the_file(tmp_path: Path):
    path = tmp_path / "red_flags.yaml"
    spec = {
        "id": "X1",
        "check": "no_such_check",
        "thai_specific": False,
        "name": {"th": "ก", "en": "a"},
        "definition": "d",
        "source": "s",
        "data": ["procurement"],
        "parameters": {},
    }
    path.write_text(yaml.safe_dump({"flags": [spec]}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)red_flags\.yaml.*no_such_check"):
        load_flag_specs(path)


def test_a_parameter_missing_from_the_yaml_is_refused_naming_the_flag(crafted):
    _, table = crafted
    spec = next(s for s in load_flag_specs() if s.id == "R003")
    broken = spec.model_copy(update={"parameters": {"threshold": 15}})
    with pytest.raises(ValueError, match="red flag R003"):
        compute_flags(table, [broken])

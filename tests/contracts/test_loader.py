"""Dataset contracts: the real ones load and agree with the data model; broken ones say where."""

import re
import shutil
from pathlib import Path

import pytest
from frictionless import Schema

from pipelines.contracts import (
    FileSource,
    SpecError,
    load_agencies,
    load_spec,
    load_spec_file,
    load_specs,
)

REPO = Path(__file__).resolve().parents[2]
DATA_MODEL = (REPO / "docs" / "DATA_MODEL.md").read_text(encoding="utf-8")


def data_model_columns(family: str) -> list[str]:
    section = DATA_MODEL.split(f"### {family}")[1].split("###")[0]
    return re.findall(r"^\| (\w+)(?:, (\w+))? \|", section, flags=re.M)


def expected_columns(family: str) -> list[str]:
    return [
        name for pair in data_model_columns(family) for name in pair if name and name != "column"
    ]


@pytest.mark.parametrize(
    "family",
    [
        "agencies",
        "decisions",
        "procurement",
        "procurement_bids",
        "budget",
        "asset_declarations",
        "forum_meetings",
    ],
)
def test_real_contract_loads_and_matches_the_data_model(family):
    spec = load_spec(family)
    assert spec.field_names == expected_columns(family)
    frictionless_schema = Schema.from_descriptor(spec.schema)
    assert frictionless_schema.field_names == spec.field_names
    assert all(field.get("title_th") and field.get("description") for field in spec.fields)
    assert spec.ckan.thai_gdc.first_year_of_data <= spec.ckan.thai_gdc.last_year_of_data


@pytest.mark.parametrize(
    "family", ["decisions", "procurement", "budget", "asset_declarations", "forum_meetings"]
)
def test_families_point_at_the_agency_registry(family):
    spec = load_spec(family)
    assert spec.schema["foreignKeys"] == [
        {"fields": "agency_code", "reference": {"resource": "agencies", "fields": "agency_code"}}
    ]
    assert spec.partitioned
    assert spec.expectations_suite == family


def test_agency_registry_spans_six_ministries():
    agencies = load_agencies()
    assert len({agency.ministry_en for agency in agencies}) >= 6
    assert all(re.search("[ก-๙]", agency.name_th) for agency in agencies)


def test_source_template_and_override():
    spec = load_spec("procurement")
    assert spec.source_for("dla") == FileSource(
        path="datasets/drops/dla/procurement_[0-9]*", format="ocds"
    )
    override = spec.source_for("pcd")
    assert isinstance(override, FileSource)
    assert override.sheet == "จัดซื้อจัดจ้าง"


@pytest.fixture
def datasets(tmp_path):
    """A copy of the real contracts to break."""
    copy = tmp_path / "datasets"
    for family in ("agencies", "procurement"):
        shutil.copytree(REPO / "datasets" / family, copy / family)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_copy_loads(datasets):
    assert set(load_specs(datasets)) == {"agencies", "procurement"}


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("mode: quarantine", "mode: sometimes", "policy.mode", "Input should be"),
        ("max_error_rate: 0.1", "max_error_rate: 7", "policy.max_error_rate", "less than or equal"),
        ("period_field: fiscal_year", "period_field: fiscal_yaer", "period_field", "not a field"),
        ("period_field: fiscal_year", "period_field: project_name", "period_field", "is string"),
        ("period_field: fiscal_year", "period_field: contract_date", "period_field", "required"),
        (
            "expectations: procurement",
            "expectation: procurement",
            "expectations",
            "expectation: Extra inputs",
        ),
        ("    winner_name: [", "    winner_nam: [", "aliases.columns.winner_nam", "not a field"),
        (
            "      cancelled: [ยกเลิก",
            "      canceled: [ยกเลิก",
            "aliases.values.status",
            "not in the enum",
        ),
        ("name: procurement", "name: purchases", "name", "differs from its folder"),
        ("schema: schema.json", "schema: missing.json", "schema", "not found"),
        ("default: {kind: file,", "default: {kind: ftp,", "sources.default", "does not match"),
    ],
)
def test_broken_spec_names_file_key_and_problem(datasets, old, new, key, problem):
    path = datasets / "procurement" / "dataset.yaml"
    edit(path, old, new)
    with pytest.raises(SpecError) as caught:
        load_spec_file(path)
    assert caught.value.path == path
    assert caught.value.key.startswith(key)
    assert problem in caught.value.problem


def test_invalid_yaml_gives_the_line(datasets):
    path = datasets / "procurement" / "dataset.yaml"
    edit(path, "policy:\n", "policy: [\n")
    with pytest.raises(SpecError, match=r"dataset.yaml: line \d+: not valid YAML"):
        load_spec_file(path)


def test_invalid_schema_json_is_named(datasets):
    (datasets / "procurement" / "schema.json").write_text("{ nope", encoding="utf-8")
    with pytest.raises(SpecError, match=r"schema.json: line 1: not valid JSON"):
        load_spec("procurement", datasets)


def test_broken_agency_row_gives_row_and_column(datasets):
    registry = datasets / "agencies" / "agencies.csv"
    edit(registry, "rid,กรมชลประทาน", "Royal Irrigation,กรมชลประทาน")
    with pytest.raises(SpecError) as caught:
        load_agencies(datasets)
    assert caught.value.key == "row 5: agency_code"


def test_duplicate_agency_codes_are_refused(datasets):
    registry = datasets / "agencies" / "agencies.csv"
    edit(registry, "rid,กรมชลประทาน", "cgd,กรมชลประทาน")
    with pytest.raises(SpecError, match="duplicate codes"):
        load_agencies(datasets)


def test_unknown_family(datasets):
    with pytest.raises(SpecError, match="no dataset family 'weather'"):
        load_spec("weather", datasets)


# --- issue 14 grammar: period, schedule, JSON file sources --------------------------------------

FILE_SOURCE = (
    'default: {kind: file, path: "datasets/drops/{agency}/procurement_[0-9]*", format: ocds}'
)


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            "period_field: fiscal_year",
            "period: decade\nperiod_field: fiscal_year",
            "period",
            "Input",
        ),
        (
            "period_field: fiscal_year",
            "period: calendar_year\nperiod_field: null",
            "period",
            "'calendar_year' needs a period_field",
        ),
        (
            "period_field: fiscal_year",
            "period: none\nperiod_field: fiscal_year",
            "period",
            "'none'",
        ),
        (
            "period_field: fiscal_year",
            'period_field: fiscal_year\nschedule: {cron: "0 2 32 * *"}',
            "schedule.cron",
            "'0 2 32 * *' is not a valid cron expression",
        ),
        (
            "update_frequency: monthly",
            "update_frequency: fortnightly",
            "ckan.update_frequency",
            "Input should be",
        ),
        (
            FILE_SOURCE,
            'default: {kind: file, path: "x/*.json", records: data.items}',
            "sources.default.file.records",
            "only a `format: json` source has a records path",
        ),
        (
            FILE_SOURCE,
            'default: {kind: file, path: "x/*.json", format: json, records: "data..items"}',
            "sources.default.file.records",
            "should match pattern",
        ),
        (
            FILE_SOURCE,
            'default: {kind: file, path: "x", format: xml}',
            "sources.default.file.format",
            "Input should be",
        ),
    ],
)
def test_issue14_grammar_errors_name_the_key(datasets, old, new, key, problem):
    path = datasets / "procurement" / "dataset.yaml"
    edit(path, old, new)
    with pytest.raises(SpecError) as caught:
        load_spec_file(path)
    assert caught.value.key.startswith(key)
    assert problem in caught.value.problem
    assert "\n" not in str(caught.value)


def test_period_defaults_follow_the_period_field():
    assert load_spec("budget").period == "fiscal_year"  # period_field set, no period
    assert load_spec("decisions").period == "fiscal_year"  # a date column: its fiscal year
    assert load_spec("agencies").period == "none"


def test_period_schedule_and_json_source_load(datasets):
    path = datasets / "procurement" / "dataset.yaml"
    edit(
        path,
        "period_field: fiscal_year",
        'period: calendar_year\nperiod_field: fiscal_year\nschedule: {cron: "30 1 * * 2"}',
    )
    edit(
        path,
        FILE_SOURCE,
        'default: {kind: file, path: "d/{agency}/x.json", format: json, records: data.items}',
    )
    spec = load_spec_file(path)
    assert spec.period == "calendar_year"
    assert spec.schedule is not None
    assert spec.schedule.cron == "30 1 * * 2"
    source = spec.source_for("cgd")
    assert isinstance(source, FileSource)
    assert (source.path, source.format, source.records) == ("d/cgd/x.json", "json", "data.items")

"""Resources split by the contract's period, with Thai (Buddhist Era) and English labels; the
fiscal-year output of the existing contracts is unchanged."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from pipelines.contracts import DatasetSpec, load_spec
from pipelines.publish.periods import period_keys, period_label, period_slug, period_span
from pipelines.publish.request import csv_resources, dataset_metadata

from .publish_samples import sample_agency

DAYS = [dt.date(2024, 9, 30), dt.date(2024, 10, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 31)]


def _decisions(period: str) -> DatasetSpec:
    spec = load_spec("decisions")
    changed = spec.model_copy(update={"period": period})
    changed._table_schema = spec.schema  # pydantic copies skip private attributes
    return changed


def _table() -> pa.Table:
    return pa.table(
        {
            "decision_id": [f"d{i}" for i in range(len(DAYS))],
            "decision_date": pa.array(DAYS, pa.date32()),
        }
    )


@pytest.mark.parametrize(
    ("period", "keys"),
    [
        ("fiscal_year", [2024, 2025, 2025, 2025]),
        ("calendar_year", [2024, 2024, 2025, 2025]),
        ("month", [202409, 202410, 202503, 202503]),
    ],
)
def test_period_keys_of_a_date_column(period: str, keys: list[int]) -> None:
    assert period_keys(_table(), "decision_date", period).to_pylist() == keys  # type: ignore[arg-type]


def test_a_year_column_is_taken_as_it_is() -> None:
    table = pa.table({"year": pa.array([2024, 2025], pa.int32())})
    assert period_keys(table, "year", "calendar_year").to_pylist() == [2024, 2025]


def test_a_month_needs_a_date() -> None:
    table = pa.table({"year": pa.array([2024], pa.int64())})
    with pytest.raises(TypeError, match="not a date"):
        period_keys(table, "year", "month")


def test_labels_and_names() -> None:
    assert period_label("fiscal_year", 2025) == "ปีงบประมาณ พ.ศ. 2568 / fiscal year 2025"
    assert period_label("calendar_year", 2025) == "ปี พ.ศ. 2568 / Year 2025"
    assert period_label("month", 202503) == "มี.ค. 2568 / March 2025"
    assert period_label("month", 202412) == "ธ.ค. 2567 / December 2024"
    assert period_slug("fiscal_year", 2025) == "fy2025"
    assert period_slug("calendar_year", 2025) == "2025"
    assert period_slug("month", 202503) == "2025-03"


def test_spans() -> None:
    assert period_span("fiscal_year", [2025]) == ("2024-10-01", "2025-09-30")
    assert period_span("calendar_year", [2024, 2025]) == ("2024-01-01", "2025-12-31")
    assert period_span("month", [202402, 202412]) == ("2024-02-01", "2024-12-31")
    assert period_span("month", [202402]) == ("2024-02-01", "2024-02-29")  # leap year


@pytest.mark.parametrize(
    ("period", "names", "rows"),
    [
        ("fiscal_year", ["decisions-fy2024.csv", "decisions-fy2025.csv"], [1, 3]),
        ("calendar_year", ["decisions-2024.csv", "decisions-2025.csv"], [2, 2]),
        (
            "month",
            ["decisions-2024-09.csv", "decisions-2024-10.csv", "decisions-2025-03.csv"],
            [1, 1, 2],
        ),
        ("none", ["decisions.csv"], [4]),
    ],
)
def test_resources_per_period(period: str, names: list[str], rows: list[int]) -> None:
    spec = _decisions(period)
    if period == "none":
        spec = spec.model_copy(update={"period_field": None})
        spec._table_schema = load_spec("decisions").schema
    resources, _ = csv_resources(spec, _table())
    assert [r.name for r in resources] == names
    assert [r.datastore.num_rows for r in resources if r.datastore] == rows


def test_calendar_year_resources_say_so_and_the_dataset_spans_the_years() -> None:
    spec = _decisions("calendar_year")
    resources, keys = csv_resources(spec, _table())
    assert "ปี พ.ศ. 2567 / Year 2024 (2 rows)" in resources[0].description
    assert resources[0].period == "2024"
    metadata = dataset_metadata(spec, sample_agency("ag"), keys)
    assert (metadata.extras["temporal_start"], metadata.extras["temporal_end"]) == (
        "2024-01-01",
        "2025-12-31",
    )
    assert metadata.catalog_fields["first_year_of_data"] == "2567"
    assert metadata.catalog_fields["last_year_of_data"] == "2568"


def test_fiscal_year_output_is_unchanged() -> None:
    resources, keys = csv_resources(load_spec("decisions"), _table())
    assert keys == [2024, 2025]
    assert resources[1].name == "decisions-fy2025.csv"
    assert resources[1].period == "fy2025"
    assert " ปีงบประมาณ พ.ศ. 2568 / fiscal year 2025 (3 rows)" in resources[1].description

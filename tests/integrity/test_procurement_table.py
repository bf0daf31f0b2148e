"""Reading the clean procurement table: canonical columns and types, or a clear error."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.integrity.procurement_table import (
    SCHEMA,
    ProcurementTableError,
    read_procurement,
    typed,
)


def test_columns_come_back_in_canonical_order_and_types(tmp_path, make_project, make_table):
    table = make_table([make_project(1)])
    shuffled = table.select(list(reversed(table.column_names)))
    shuffled = shuffled.set_column(
        shuffled.schema.get_field_index("budget"), "budget", shuffled["budget"].cast(pa.string())
    )
    path = tmp_path / "procurement.parquet"
    pq.write_table(shuffled, path)
    assert read_procurement(path).equals(table)
    assert read_procurement(path).schema == SCHEMA


def test_a_missing_column_is_named_with_the_source(make_project, make_table):
    table = make_table([make_project(1)]).drop_columns(["status", "budget"])
    with pytest.raises(
        ProcurementTableError, match=r"clean\.parquet: missing column\(s\) budget, status"
    ):
        typed(table, source="clean.parquet")


def test_a_value_of_the_wrong_type_names_the_field(make_project, make_table):
    table = make_table([make_project(1)])
    bad = table.set_column(
        table.schema.get_field_index("announce_date"),
        "announce_date",
        pa.array(["1 ม.ค. 2567"]),
    )
    with pytest.raises(ProcurementTableError, match="field announce_date: cannot read as date32"):
        typed(bad)

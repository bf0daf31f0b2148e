"""The one table of Table Schema types: every target agrees with the system it names.

Each supported type is checked against the real thing: the normaliser's caster gives the Arrow
type, DuckDB casts to its type and hands back the same Arrow type, frictionless knows the field
class, and the local CKAN DataStore creates a column of the PostgreSQL type and reads the values
back. Every other Table Schema type frictionless knows is refused, at contract load, with why.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import ckanapi
import duckdb
import frictionless
import frictionless.fields
import pyarrow as pa
import pytest

from pipelines.contracts import SpecError
from pipelines.contracts.loader import load_spec_file
from pipelines.normalize.cast import CASTERS, CastContext, cast_column, cast_errors
from pipelines.publish.client import CKANClient
from pipelines.publish.datastore import load_datastore
from pipelines.publish.metadata import datastore_fields
from pipelines.publish.model import DatastoreTable, DictionaryField
from pipelines.schema_types import (
    REFUSED,
    SCHEMA_TYPES,
    UnsupportedTypeError,
    arrow_type,
    check_field_type,
    datastore_type,
    duckdb_type,
    field_type,
    frictionless_field,
)

REPO = Path(__file__).resolve().parents[1]
# One cell as an agency writes it, and the value every store must hold for it.
SAMPLES: dict[str, tuple[str, Any]] = {
    "string": ("ถนนพหลโยธิน", "ถนนพหลโยธิน"),
    "integer": ("1,234", 1234),
    "number": ("1,234.5 บาท", 1234.5),
    "boolean": ("true", True),
    "date": ("31/12/2566", dt.date(2023, 12, 31)),
}
SUPPORTED = sorted(SCHEMA_TYPES)
FRICTIONLESS_TYPES = sorted(
    getattr(frictionless.fields, name).type
    for name in dir(frictionless.fields)
    if name.endswith("Field") and name != "Field"
)


def test_samples_cover_the_table_and_nothing_else() -> None:
    assert sorted(SAMPLES) == SUPPORTED


def test_the_normaliser_has_one_caster_per_type_of_the_table() -> None:
    assert sorted(CASTERS) == SUPPORTED


@pytest.mark.parametrize("type_name", SUPPORTED)
def test_the_normaliser_casts_to_the_tables_arrow_type(type_name: str) -> None:
    cell, value = SAMPLES[type_name]
    context = CastContext({"name": "x", "type": type_name}, {}, buddhist_era_year=False)
    text, typed = cast_column(pa.array([cell, None], pa.string()), context)
    assert typed.type == arrow_type(type_name)
    assert typed.to_pylist() == [value, None]
    assert cast_errors(text, typed, context, 0) == []


@pytest.mark.parametrize("type_name", SUPPORTED)
def test_duckdb_casts_the_text_to_its_type_and_back_to_the_same_arrow_type(type_name: str) -> None:
    cell, value = SAMPLES[type_name]
    # The clean table's CSV holds the typed value's text (dates ISO, booleans true/false).
    text = value.isoformat() if isinstance(value, dt.date) else str(value).lower()
    text = cell if type_name == "string" else text
    with duckdb.connect() as con:
        query = con.sql(
            f"SELECT CAST($text AS {duckdb_type(type_name)}) AS x", params={"text": text}
        )
        table = query.to_arrow_table()
    assert table.schema.field("x").type == arrow_type(type_name)
    assert table.column("x").to_pylist() == [value]


@pytest.mark.parametrize("type_name", SUPPORTED)
def test_frictionless_reads_the_type_with_the_named_field_class(type_name: str) -> None:
    field_class = getattr(frictionless.fields, frictionless_field(type_name))
    assert field_class(name="x").type == type_name
    # and frictionless accepts the normaliser's output for it (the CSV the portal serves)
    _, value = SAMPLES[type_name]
    schema = frictionless.Schema.from_descriptor({"fields": [{"name": "x", "type": type_name}]})
    cell = value.isoformat() if isinstance(value, dt.date) else str(value).lower()
    cell = value if type_name == "string" else cell
    report = frictionless.validate(frictionless.Resource(data=[["x"], [cell]], schema=schema))
    assert report.valid, report.flatten(["type", "note"])


def test_every_frictionless_type_is_supported_or_refused_never_both() -> None:
    assert not set(SCHEMA_TYPES) & set(REFUSED)
    assert sorted([*SCHEMA_TYPES, *REFUSED]) == FRICTIONLESS_TYPES


@pytest.mark.parametrize("type_name", sorted(REFUSED))
def test_a_refused_type_has_no_target_and_says_why(type_name: str) -> None:
    for target in (arrow_type, duckdb_type, datastore_type, frictionless_field):
        with pytest.raises(UnsupportedTypeError, match=REFUSED[type_name][:20]) as caught:
            target(type_name)
        assert repr(type_name) in str(caught.value)
        assert ", ".join(SCHEMA_TYPES) in str(caught.value)


def test_a_misspelt_type_is_not_a_table_schema_type() -> None:
    with pytest.raises(UnsupportedTypeError, match="not a Table Schema type"):
        check_field_type("interger")


def test_a_field_without_a_type_is_a_string() -> None:
    assert field_type({"name": "x"}) == "string"
    assert field_type({"name": "x", "type": "date"}) == "date"


@pytest.fixture
def procurement(tmp_path: Path) -> Path:
    """A copy of the real procurement contract to break."""
    copy = tmp_path / "datasets"
    for family in ("agencies", "procurement"):
        shutil.copytree(REPO / "datasets" / family, copy / family)
    return copy / "procurement"


@pytest.mark.parametrize("type_name", ["datetime", "year", "object", "geopoint", "interger"])
def test_a_contract_with_a_type_the_pipeline_cannot_carry_is_refused_at_load(
    procurement: Path, type_name: str
) -> None:
    schema_path = procurement / "schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    index = next(i for i, f in enumerate(schema["fields"]) if f["name"] == "announce_date")
    schema["fields"][index]["type"] = type_name
    schema_path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec_file(procurement / "dataset.yaml")
    assert caught.value.path == schema_path
    assert caught.value.key == f"fields[{index}].type"
    assert repr(type_name) in caught.value.problem
    assert REFUSED.get(type_name, "not a Table Schema type") in caught.value.problem


def test_the_real_contracts_load_with_supported_types_only(procurement: Path) -> None:
    spec = load_spec_file(procurement / "dataset.yaml")
    assert {field_type(f) for f in spec.fields} <= set(SCHEMA_TYPES)


def test_datastore_fields_take_the_tables_postgres_types() -> None:
    fields = tuple(DictionaryField(f"c_{t}", t, t, t) for t in SUPPORTED)
    table = DatastoreTable(
        fields, pa.table({f"c_{t}": pa.array([], arrow_type(t)) for t in SUPPORTED})
    )
    assert {f["id"]: f["type"] for f in datastore_fields(table)} == {
        f"c_{t}": datastore_type(t) for t in SUPPORTED
    }


def test_the_datastore_creates_each_type_and_reads_the_values_back(
    ckan: ckanapi.RemoteCKAN,
    ckan_portal: Any,
    created: list[tuple[str, str]],
    run_id: str,
) -> None:
    """One column per supported type, loaded by the publisher's own DataStore loader."""
    org = f"ogp-test-types-{run_id}"
    name = f"{org}-table"
    created.extend([("organization", org), ("dataset", name)])
    ckan.call_action("organization_create", {"name": org, "title": "Schema types test"})
    package = ckan.call_action(
        "package_create",
        {
            "name": name,
            "owner_org": org,
            "title": "Schema types test",
            "resources": [{"name": "types.csv", "url": "http://example.invalid/types.csv"}],
        },
    )
    resource_id = package["resources"][0]["id"]
    fields = tuple(DictionaryField(f"c_{t}", t, t, t) for t in SUPPORTED)
    rows = pa.table({f"c_{t}": pa.array([SAMPLES[t][1], None], arrow_type(t)) for t in SUPPORTED})
    client = CKANClient(ckan_portal.url, ckan_portal.token, timeout_s=60)
    assert load_datastore(client, resource_id, DatastoreTable(fields, rows)) == 2
    found = ckan.call_action("datastore_search", {"resource_id": resource_id, "sort": "_id"})
    types = {f["id"]: f["type"] for f in found["fields"] if f["id"] != "_id"}
    assert types == {f"c_{t}": datastore_type(t) for t in SUPPORTED}
    first, second = found["records"]
    read_back = {
        "string": first["c_string"],
        "integer": int(first["c_integer"]),
        "number": float(first["c_number"]),
        "boolean": first["c_boolean"],
        "date": dt.date.fromisoformat(first["c_date"][:10]),
    }
    assert read_back == {t: SAMPLES[t][1] for t in SUPPORTED}
    assert all(second[f"c_{t}"] is None for t in SUPPORTED)

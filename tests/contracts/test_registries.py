"""Foreign keys to any registry under datasets/ (a family with partitioned: false, its table
``<name>/<name>.csv``), not only the agency registry: checked when contracts load and by the
gate's schema check. The datasets folder is generated here from the repository's contracts."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.contracts import SpecError, load_specs
from pipelines.settings import REPO_ROOT
from pipelines.validation.gate import default_references
from pipelines.validation.schema_fast import validate_schema

PROVINCES = [("10", "กรุงเทพมหานคร"), ("50", "เชียงใหม่")]


def _datasets(root: Path, *, partitioned: bool = False, table: bool = True) -> Path:
    """The repository's contracts plus a `provinces` registry and a `sites` family whose
    `province_code` refers to it."""
    datasets = root / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    budget = yaml.safe_load((datasets / "budget" / "dataset.yaml").read_text(encoding="utf-8"))
    registry = datasets / "provinces"
    registry.mkdir()
    fields = [{"name": "province_code", "type": "string"}, {"name": "name_th", "type": "string"}]
    (registry / "schema.json").write_text(
        json.dumps({"fields": fields, "primaryKey": ["province_code"]}), encoding="utf-8"
    )
    contract = {
        **{k: budget[k] for k in ("title", "description", "ckan", "expectations")},
        "name": "provinces",
        "schema": "schema.json",
        "partitioned": partitioned,
        "sources": {"default": {"kind": "file", "path": "provinces.csv"}},
    }
    (registry / "dataset.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")
    if table:
        with (registry / "provinces.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([("province_code", "name_th"), *PROVINCES])
    sites = datasets / "sites"
    sites.mkdir()
    schema = {
        "fields": [{"name": "site_id", "type": "string"}, {"name": "province_code"}],
        "foreignKeys": [
            {
                "fields": "province_code",
                "reference": {"resource": "provinces", "fields": "province_code"},
            }
        ],
    }
    (sites / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (sites / "dataset.yaml").write_text(
        yaml.safe_dump({**contract, "name": "sites", "partitioned": True}), encoding="utf-8"
    )
    return datasets


def test_a_family_refers_to_a_second_registry(tmp_path: Path) -> None:
    datasets = _datasets(tmp_path)
    specs = load_specs(datasets)
    references = default_references(datasets, specs["sites"])
    assert list(references) == ["provinces"]
    assert references["provinces"].path == datasets / "provinces" / "provinces.csv"
    assert list(default_references(datasets, specs["budget"])) == ["agencies"]


def test_the_gate_checks_the_second_registry(tmp_path: Path) -> None:
    datasets = _datasets(tmp_path)
    spec = load_specs(datasets)["sites"]
    table = tmp_path / "sites.csv"
    table.write_text("site_id,province_code\na,10\nb,99\nc,50\n", encoding="utf-8")
    report = validate_schema(table, spec.schema, references=default_references(datasets, spec))
    assert [(e.type, e.row_number) for e in report.errors] == [("foreign-key", 3)]


@pytest.mark.parametrize(
    ("partitioned", "table", "problem"),
    [
        (True, True, "'provinces' is not a registry (a registry family says partitioned: false)"),
        (False, False, "registry 'provinces' has no table provinces/provinces.csv"),
    ],
)
def test_a_foreign_key_to_a_non_registry_is_a_load_error(
    tmp_path: Path, partitioned: bool, table: bool, problem: str
) -> None:
    datasets = _datasets(tmp_path, partitioned=partitioned, table=table)
    with pytest.raises(SpecError) as caught:
        load_specs(datasets)
    assert caught.value.key == "foreignKeys[0].reference.resource"
    assert caught.value.problem == problem
    assert str(caught.value.path).endswith("sites/schema.json")


def test_a_foreign_key_to_no_family_is_a_load_error(tmp_path: Path) -> None:
    datasets = _datasets(tmp_path)
    shutil.rmtree(datasets / "provinces")
    with pytest.raises(SpecError, match=r"foreignKeys\[0\]\.reference\.resource: 'provinces'"):
        load_specs(datasets)

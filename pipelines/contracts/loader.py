"""Load dataset contracts from ``datasets/<family>/`` into typed specs.

A folder is a family when it holds a ``dataset.yaml``. Every problem is raised as a
:class:`SpecError` naming the file, the key and what is wrong, so a steward can fix the
contract without reading Python.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipelines.contracts.derived import contract_problems
from pipelines.contracts.models import Agency, DatasetSpec
from pipelines.schema_types import UnsupportedTypeError, check_field_type, field_type
from pipelines.settings import get_settings
from pipelines.yaml_text import load_yaml

SPEC_FILE = "dataset.yaml"
AGENCY_REGISTRY = Path("agencies") / "agencies.csv"


class SpecError(ValueError):
    """A dataset contract that cannot be used; the message names file, key and problem."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}")


def _datasets_dir(datasets_dir: Path | None) -> Path:
    return Path(datasets_dir) if datasets_dir is not None else get_settings().datasets_dir


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(document)"
        raise SpecError(
            path, where, f"not valid YAML: {getattr(error, 'problem', error)}"
        ) from error
    if not isinstance(document, dict):
        raise SpecError(path, "(document)", "expected a mapping at the top level")
    return document


def _read_table_schema(spec_path: Path, relative: str) -> dict[str, Any]:
    path = spec_path.parent / relative
    if not path.is_file():
        raise SpecError(spec_path, "schema", f"file {relative!r} not found beside the spec")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SpecError(path, f"line {error.lineno}", f"not valid JSON: {error.msg}") from error
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise SpecError(path, "fields", "a Table Schema needs a list of fields")
    for index, field in enumerate(schema["fields"]):
        if not isinstance(field, dict):
            raise SpecError(path, f"fields[{index}]", "a field is a mapping")
        try:
            check_field_type(field_type(field))
        except UnsupportedTypeError as error:
            raise SpecError(path, f"fields[{index}].type", str(error)) from error
    return schema


# The period field's types each period can read (pipelines/publish/periods.py splits by them).
PERIOD_FIELD_TYPES = {
    "fiscal_year": ("integer", "date", "datetime"),
    "calendar_year": ("integer", "date", "datetime"),
    "month": ("date", "datetime"),
}


def _check_period_field(path: Path, spec: DatasetSpec) -> None:
    """The period field can be read by the period, and every row has one: a row without a
    period would belong to no published resource (and so vanish from every CSV)."""
    field = spec.field(str(spec.period_field))
    kinds = PERIOD_FIELD_TYPES.get(spec.period, ())
    if field.get("type", "string") not in kinds:
        raise SpecError(
            path,
            "period_field",
            f"{spec.period_field!r} is {field.get('type', 'string')}; a {spec.period} period"
            f" reads {' or '.join(kinds)}",
        )
    if not field.get("constraints", {}).get("required"):
        raise SpecError(
            path,
            "period_field",
            f"{spec.period_field!r} must be required in {spec.schema_path} (a row without a"
            " period would be in no published file)",
        )


def _check_names(spec: DatasetSpec, path: Path) -> None:
    """Every column the contract mentions must be a field of its Table Schema."""
    fields = set(spec.field_names)
    mentioned: list[tuple[str, str]] = [
        *((f"aliases.columns.{name}", name) for name in spec.aliases.columns),
        *((f"aliases.values.{name}", name) for name in spec.aliases.values),
        *((f"privacy.public_columns.{name}", name) for name in spec.privacy.public_columns),
        *(
            (f"privacy.personal_data[{i}].column", rule.column)
            for i, rule in enumerate(spec.privacy.personal_data)
        ),
        *(
            (f"normalize.buddhist_era_year_fields[{i}]", name)
            for i, name in enumerate(spec.normalize.buddhist_era_year_fields)
        ),
    ]
    if spec.period_field is not None:
        mentioned.append(("period_field", spec.period_field))
    if spec.normalize.partition_field is not None:
        mentioned.append(("normalize.partition_field", spec.normalize.partition_field))
    for key, name in mentioned:
        if name not in fields:
            raise SpecError(path, key, f"{name!r} is not a field of {spec.schema_path}")
    if spec.period_field is not None:
        _check_period_field(path, spec)
    for name, codes in spec.aliases.values.items():
        enum = spec.field(name).get("constraints", {}).get("enum")
        unknown = sorted(set(codes) - set(enum or []))
        if unknown:
            raise SpecError(path, f"aliases.values.{name}", f"codes {unknown} not in the enum")


def _problem(item: Any) -> tuple[str, str]:
    """(key, message) of one pydantic error. A model's own check names its key in the message
    ("period: ..."), which is appended to the location: ``schedule.cron``, not ``schedule``."""
    key = ".".join(str(part) for part in item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    named = re.match(r"^([a-z_][a-z0-9_.]*): (.+)$", message, flags=re.DOTALL)
    if item["type"] == "value_error" and named:
        key = f"{key}.{named[1]}" if key else named[1]
        message = named[2]
    return key or "(document)", message


def _validation_message(error: ValidationError) -> tuple[str, str]:
    """The first problem as (key, message); further problems are appended to the message."""
    problems = [_problem(item) for item in error.errors()]
    key, message = problems[0]
    others = "; ".join(f"{k}: {m}" for k, m in problems[1:])
    return key, f"{message} (also {others})" if others else message


def load_spec_file(path: Path) -> DatasetSpec:
    """Load one ``dataset.yaml`` (and its Table Schema)."""
    document = _read_yaml(path)
    try:
        spec = DatasetSpec.model_validate(document)
    except ValidationError as error:
        key, message = _validation_message(error)
        raise SpecError(path, key, message) from error
    if spec.name != path.parent.name:
        raise SpecError(path, "name", f"{spec.name!r} differs from its folder {path.parent.name!r}")
    spec._table_schema = _read_table_schema(path, spec.schema_path)
    _check_names(spec, path)
    for key, problem in contract_problems(spec, path.parent.parent)[:1]:
        raise SpecError(path, key, problem)
    return spec


def foreign_key_resources(schema: dict[str, Any]) -> list[str]:
    """The resources a Table Schema's foreign keys name ("" is the table itself: left out)."""
    names = [fk.get("reference", {}).get("resource", "") for fk in schema.get("foreignKeys", [])]
    return list(dict.fromkeys(name for name in names if name))


def registry_table_path(name: str, datasets_dir: Path | None = None) -> Path:
    """A registry's table: ``datasets/<name>/<name>.csv`` (``agencies/agencies.csv``)."""
    return _datasets_dir(datasets_dir) / name / f"{name}.csv"


def registry_problem(name: str, registry: DatasetSpec | None, datasets_dir: Path) -> str | None:
    """Why ``name`` cannot be a foreign key's target; None when it is a registry with a table."""
    if registry is None:
        return f"{name!r} is not a family under {datasets_dir}"
    if registry.partitioned:
        return f"{name!r} is not a registry (a registry family says partitioned: false)"
    if not registry_table_path(name, datasets_dir).is_file():
        return f"registry {name!r} has no table {name}/{name}.csv"
    return None


def _check_foreign_keys(specs: dict[str, DatasetSpec], root: Path) -> None:
    for name, spec in specs.items():
        for index, fk in enumerate(spec.schema.get("foreignKeys", [])):
            target = fk.get("reference", {}).get("resource", "")
            problem = target and registry_problem(target, specs.get(target), root)
            if problem:
                key = f"foreignKeys[{index}].reference.resource"
                raise SpecError(root / name / spec.schema_path, key, problem)


def load_specs(datasets_dir: Path | None = None) -> dict[str, DatasetSpec]:
    """Every family under the datasets folder, by name (sorted); foreign keys name registries."""
    root = _datasets_dir(datasets_dir)
    specs = {path.parent.name: load_spec_file(path) for path in sorted(root.glob(f"*/{SPEC_FILE}"))}
    _check_foreign_keys(specs, root)
    return specs


def load_spec(family: str, datasets_dir: Path | None = None) -> DatasetSpec:
    path = _datasets_dir(datasets_dir) / family / SPEC_FILE
    if not path.is_file():
        raise SpecError(path, "(file)", f"no dataset family {family!r}")
    return load_spec_file(path)


def load_agencies(datasets_dir: Path | None = None) -> list[Agency]:
    """The agency registry, validated row by row (row numbers count the header as row 1)."""
    path = _datasets_dir(datasets_dir) / AGENCY_REGISTRY
    if not path.is_file():
        raise SpecError(path, "(file)", "agency registry not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    agencies: list[Agency] = []
    for row_number, row in enumerate(rows, start=2):
        try:
            agencies.append(Agency.model_validate({k: v or None for k, v in row.items()}))
        except ValidationError as error:
            key, message = _validation_message(error)
            raise SpecError(path, f"row {row_number}: {key}", message) from error
    # counted once: a count per code is quadratic (~2 s at the national 8,317 agencies)
    counts = Counter(agency.agency_code for agency in agencies)
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        raise SpecError(path, "agency_code", f"duplicate codes {duplicates}")
    return agencies

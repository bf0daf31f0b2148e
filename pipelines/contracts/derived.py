"""Derived fields: values a contract computes instead of reading them from the file.

``dataset.yaml``::

    derived:
      fiscal_year: {from: announce_date, rule: fiscal_year}    # Thai fiscal year (CE) of a date
      status: {cases: [{when_present: contract_date, value: contracted},
                       {when_present: winner_name, value: awarded}], otherwise: announced}
      source_system: {constant: e-GP}
      currency: {default: THB}   # only where the column is absent or the cell blank

A derived field applies only when the file lacks the column, unless ``override: true``; when
the file has it, the file wins (``default`` fills the blank cells of a column the file has).
Rules: ``fiscal_year`` and ``calendar_year`` give an integer year (CE), ``month`` the month
``YYYY-MM`` (a string field) or its first day (a date field).

:func:`contract_problems` checks a contract once its Table Schema is loaded (the loader names
the contract and the key): derived fields and the fields they read exist, ``from`` is a date
field, the rule fits the field's type; value aliases of two codes never share a key; a field
resolved through a registry names a registry folder with its table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from pipelines.contracts.models import DatasetSpec

Rule = Literal["fiscal_year", "calendar_year", "month"]
Value = str | int
# The field types each rule can fill.
RULE_TYPES: dict[str, tuple[str, ...]] = {
    "fiscal_year": ("integer", "string"),
    "calendar_year": ("integer", "string"),
    "month": ("string", "date"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Case(_Strict):
    """``value`` for the rows where ``when_present`` has a value (the first case that holds)."""

    when_present: str
    value: Value


class DerivedField(_Strict):
    """One derived field: one of ``from`` + ``rule``, ``cases``, ``constant``, ``default``."""

    from_: str | None = Field(default=None, alias="from")
    rule: Rule | None = None
    cases: list[Case] | None = None
    otherwise: Value | None = None
    constant: Value | None = None
    default: Value | None = None
    override: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> DerivedField:
        kinds = [
            name
            for name, given in (
                ("from", self.from_ is not None or self.rule is not None),
                ("cases", self.cases is not None),
                ("constant", self.constant is not None),
                ("default", self.default is not None),
            )
            if given
        ]
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of from + rule, cases, constant, default"
                f" (found {', '.join(kinds) or 'none'})"
            )
        if (self.from_ is None) != (self.rule is None):
            raise ValueError("`from` and `rule` go together")
        if self.otherwise is not None and self.cases is None:
            raise ValueError("`otherwise` only goes with `cases`")
        if self.cases is not None and not self.cases:
            raise ValueError("`cases` needs at least one case")
        if self.default is not None and self.override:
            raise ValueError("a `default` fills blanks only; `override` does not apply")
        return self

    @property
    def kind(self) -> str:
        if self.rule is not None:
            return "rule"
        if self.cases is not None:
            return "cases"
        return "constant" if self.constant is not None else "default"

    def reads(self) -> list[str]:
        """The fields this one is computed from."""
        if self.from_ is not None:
            return [self.from_]
        return [case.when_present for case in self.cases or []]

    def values(self) -> list[Value]:
        """The literal values it may write."""
        literal = [case.value for case in self.cases or []]
        literal += [v for v in (self.otherwise, self.constant, self.default) if v is not None]
        return literal


def _types(spec: DatasetSpec) -> dict[str, str]:
    return {f["name"]: str(f.get("type", "string")) for f in spec.fields}


def _derived_problems(spec: DatasetSpec) -> list[tuple[str, str]]:
    types = _types(spec)
    problems: list[tuple[str, str]] = []
    for name, derived in spec.derived.items():
        key = f"derived.{name}"
        if name not in types:
            problems.append((key, f"{name!r} is not a field of {spec.schema_path}"))
            continue
        identity = {*spec.primary_key, spec.normalize.partition_field} - {None}
        if name in identity and (derived.default is not None or derived.override):
            # a default or an override there would make up which project or agency a row is
            problems.append(
                (key, f"{name!r} identifies the row or its agency: no default or override")
            )
        for read in derived.reads():
            if read not in types:
                problems.append((key, f"reads {read!r}, not a field of {spec.schema_path}"))
        if derived.rule is not None and derived.from_ in types:
            if types[derived.from_] != "date":
                problems.append(
                    (f"{key}.from", f"{derived.from_!r} is a {types[derived.from_]}, not a date")
                )
            if types[name] not in RULE_TYPES[derived.rule]:
                problems.append(
                    (
                        f"{key}.rule",
                        f"rule {derived.rule} cannot fill a {types[name]} field"
                        f" (only {', '.join(RULE_TYPES[derived.rule])})",
                    )
                )
        problems += _value_problems(spec, name, derived, types[name], key)
    return problems


def _value_problems(
    spec: DatasetSpec, name: str, derived: DerivedField, kind: str, key: str
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    enum = spec.field(name).get("constraints", {}).get("enum")
    for value in derived.values():
        if kind == "integer" and not isinstance(value, int):
            problems.append((key, f"{value!r} is not an integer ({name} is an integer field)"))
        elif kind not in ("integer", "string"):
            problems.append((key, f"literal values fill string or integer fields, not {kind}"))
        elif enum is not None and value not in enum:
            problems.append((key, f"{value!r} is not in the enum of {name}"))
    return problems


def _alias_problems(spec: DatasetSpec) -> list[tuple[str, str]]:
    from pipelines.normalize.cast import value_lookup  # normalize imports contracts

    problems: list[tuple[str, str]] = []
    for name, codes in spec.aliases.values.items():
        try:
            value_lookup(codes)
        except ValueError as error:
            problems.append((f"aliases.values.{name}", str(error)))
    return problems


def _resolve_problems(spec: DatasetSpec, datasets_dir: Path) -> list[tuple[str, str]]:
    from pipelines.normalize.resolve import RegistryError, load_registry

    problems: list[tuple[str, str]] = []
    types = _types(spec)
    for name, registry in spec.normalize.resolve.items():
        key = f"normalize.resolve.{name}"
        if types.get(name) != "string":
            problems.append((key, f"{name!r} is not a string field of {spec.schema_path}"))
            continue
        try:
            load_registry(datasets_dir, registry)
        except RegistryError as error:
            problems.append((key, str(error)))
    return problems


def contract_problems(spec: DatasetSpec, datasets_dir: Path) -> list[tuple[str, str]]:
    """(key, problem) for every derived field, value alias or registry the contract gets wrong."""
    return [
        *_derived_problems(spec),
        *_alias_problems(spec),
        *_resolve_problems(spec, datasets_dir),
    ]

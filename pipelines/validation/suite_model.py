"""A business-rule suite as stored and as judged: Great Expectations 1.x suite JSON in
``expectations/<family>.json``, loaded and checked here, and the outcome of running it
(:mod:`pipelines.validation.suite` runs it).

A suite file is GX's own suite JSON (``name``, ``expectations`` of ``{type, kwargs, meta}``)
with two conventions of ours:

- ``meta.severity`` per expectation: ``error`` (blocks the partition) or ``warning`` (reported);
- ``meta.parameters`` at suite level: values substituted for ``${name}`` in SQL text
  (``unexpected_rows_query``) and for GX's ``{"$PARAMETER": name}`` in kwargs; the gate may
  override them at run time (e.g. the oldest acceptable fiscal year).

Loading refuses what GX would silently drop or misreport: an unknown expectation type, a bad
severity. ``great_expectations`` is imported inside functions only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]
Engine = Literal["duckdb", "pandas"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


class SuiteError(Exception):
    """A suite that cannot be trusted: unreadable, unknown expectation, or a check that broke."""


@dataclass(frozen=True, slots=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]

    @property
    def severity(self) -> Severity:
        severity: Severity = self.meta.get("severity", "error")
        return severity

    @property
    def label(self) -> str:
        """What a steward reads: the meta's description, else the type and its columns."""
        if "description" in self.meta:
            return str(self.meta["description"])
        columns = [str(v) for k, v in self.kwargs.items() if k.startswith("column")]
        return f"{self.type}({', '.join(columns)})"


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    path: Path
    expectations: list[ExpectationSpec]
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    type: str
    label: str
    severity: Severity
    success: bool
    kwargs: dict[str, Any]
    unexpected_count: int | None = None
    element_count: int | None = None
    observed_value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "severity": self.severity,
            "success": self.success,
            "kwargs": self.kwargs,
            "unexpectedCount": self.unexpected_count,
            "elementCount": self.element_count,
            "observedValue": _jsonable(self.observed_value),
        }


@dataclass(slots=True)
class SuiteReport:
    suite: str
    engine: Engine
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def failed_errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.failed_errors


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


def known_expectation_types() -> set[str]:
    from great_expectations.expectations.registry import (
        list_registered_expectation_implementations,
    )

    return set(list_registered_expectation_implementations())


def load_suite(path: Path) -> Suite:
    """Read and check a suite file; every problem names the file (and the expectation)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SuiteError(f"{path}: cannot read the suite: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
        raise SuiteError(f"{path}: a suite is an object with an 'expectations' list")
    known = known_expectation_types()
    expectations = []
    for number, item in enumerate(document["expectations"], start=1):
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in known:
            raise SuiteError(f"{path}: expectation #{number}: unknown expectation type {kind!r}")
        meta = dict(item.get("meta") or {})
        if meta.get("severity", "error") not in SEVERITIES:
            raise SuiteError(
                f"{path}: expectation #{number} ({kind}): severity must be one of "
                f"{', '.join(SEVERITIES)}, not {meta.get('severity')!r}"
            )
        expectations.append(ExpectationSpec(kind, dict(item.get("kwargs") or {}), meta))
    meta = document.get("meta") or {}
    return Suite(
        name=str(document.get("name") or path.stem),
        path=path,
        expectations=expectations,
        parameters=dict(meta.get("parameters") or {}),
    )


def suite_path(family: str, expectations_dir: Path | None = None) -> Path:
    if expectations_dir is None:
        from pipelines.settings import get_settings

        expectations_dir = get_settings().expectations_dir
    return expectations_dir / f"{family}.json"


__all__ = [
    "SEVERITIES",
    "Engine",
    "ExpectationOutcome",
    "ExpectationSpec",
    "Severity",
    "Suite",
    "SuiteError",
    "SuiteReport",
    "known_expectation_types",
    "load_suite",
    "suite_path",
]

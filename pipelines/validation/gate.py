"""The validation gate of one partition (family × agency): schema, suite, privacy, policy.
Status, per the spec's policy:

- ``blocked``: nothing is published (the previous version stays live);
- ``quarantined``: rows with schema or cast errors, and rows that broke a row-level ``error``
  business rule, are left out of the publishable table and listed in the report, as long as
  together they are at most ``max_error_rate`` of the rows;
- ``passed``: the whole (privacy-cleaned) table is publishable.

Errors that no row carries — header errors, a failed table-level ``error`` business rule (or a
row-level one whose rows cannot be named, see :mod:`pipelines.validation.rule_rows`), personal
data whose action is ``block`` — always block. ``warning`` rules never quarantine nor block:
their rows are published, named in ``rule_rows`` with severity ``warning``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contracts import DatasetSpec
from pipelines.contracts.models import Policy
from pipelines.hashing import file_sha256
from pipelines.layout import SCHEMA_VALID_PARQUET, validation_dir
from pipelines.validation.errors import DEFAULT_LIMIT_ERRORS, SchemaError, SchemaReport
from pipelines.validation.frictionless_ref import ReferenceTable
from pipelines.validation.gate_input import GateInput, GateOptions
from pipelines.validation.guard import guard
from pipelines.validation.privacy import (
    PrivacyPolicy,
    PrivacyResult,
    PrivacyScanner,
    with_raw_findings,
)
from pipelines.validation.publishable import (
    PUBLISHABLE_PARQUET,
    PublishableWriter,
    write_publishable,
)
from pipelines.validation.report import CHECKS, build_report, scrub, write_report
from pipelines.validation.rule_rows import RuleRow, RuleRows, locate_rule_rows
from pipelines.validation.schema_fast import validate_schema
from pipelines.validation.suite import (
    Engine,
    ExpectationOutcome,
    Suite,
    SuiteReport,
    load_suite,
    run_suite,
    suite_path,
)
from pipelines.validation.tables import Source, TextTable, read_text
from pipelines.validation.typed_csv import InBackground, TypedParquetWriter

Status = Literal["passed", "quarantined", "blocked"]
__all__ = [
    "CHECKS",
    "PUBLISHABLE_PARQUET",
    "GateInput",
    "GateOptions",
    "ValidationResult",
    "gate",
    "validate_partition",
]


@dataclass(slots=True)
class ValidationResult:
    family: str
    agency: str
    status: Status
    reasons: list[str]
    schema: SchemaReport
    suite: SuiteReport | None
    privacy: PrivacyResult
    row_count: int
    quarantined_rows: list[int]
    publishable_path: Path | None  # the masked, quarantined table (None: blocked)
    report: dict[str, Any] = field(default_factory=dict)
    report_paths: tuple[Path, Path] | None = None
    rule_rows: list[RuleRow] = field(default_factory=list)  # rows that broke business rules

    @property
    def publishable(self) -> pa.Table | None:
        """The publishable table, read from its file (it is not kept in memory)."""
        return None if self.publishable_path is None else pq.read_table(self.publishable_path)

    @property
    def published_rows(self) -> int:
        if self.publishable_path is None:
            return 0
        return int(pq.ParquetFile(self.publishable_path).metadata.num_rows)

    def check_passed(self, name: str) -> bool:
        """Whether one of the three blocking checks (schema, suite, privacy) passed."""
        if name == "schema":
            return self.schema.valid or (self.status == "quarantined" and not self._header())
        if name == "suite":
            return self.suite is None or self.suite.passed or self.status == "quarantined"
        if name == "privacy":
            return not self.privacy.blocked
        raise KeyError(name)

    def _header(self) -> list[SchemaError]:
        return self.schema.header_errors()


def cast_errors_to_schema_errors(cast_errors: Sequence[Mapping[str, Any]]) -> list[SchemaError]:
    """The normalizer's cells that did not parse, as frictionless type errors."""
    return [
        SchemaError(
            type="type-error",
            note=str(item.get("note") or f'type is "{item.get("type", "any")}/default"')
            + " (normalize)",
            row_number=int(item["row_number"]),
            field_name=str(item["field"]),
            cell=None if item.get("cell") is None else str(item["cell"]),
        )
        for item in cast_errors
    ]


def default_references(
    datasets_dir: Path | None = None, spec: DatasetSpec | None = None
) -> dict[str, ReferenceTable]:
    """The registries the contract's foreign keys name (``partitioned: false`` families, table
    ``<name>/<name>.csv``); without a contract, the agency registry."""
    from pipelines.contracts.loader import (
        SpecError,
        foreign_key_resources,
        load_spec,
        registry_problem,
        registry_table_path,
    )
    from pipelines.settings import get_settings

    root = datasets_dir or get_settings().datasets_dir
    references: dict[str, ReferenceTable] = {}
    for name in foreign_key_resources(spec.schema) if spec is not None else ["agencies"]:
        registry = load_spec(name, root) if (root / name / "dataset.yaml").is_file() else None
        problem = registry_problem(name, registry, root)
        if problem is not None or registry is None:
            schema_file = spec.schema_path if spec is not None else "schema.json"
            raise SpecError(root / schema_file, "foreignKeys", problem or name)
        references[name] = ReferenceTable(registry_table_path(name, root), registry.schema)
    return references


def _schema_source(clean: Source) -> Source:
    """Frictionless judges the CSV the public downloads; prefer it beside a Parquet file."""
    if isinstance(clean, Path) and clean.suffix.lower() == ".parquet":
        sibling = clean.with_suffix(".csv")
        if sibling.is_file():
            return sibling
    return clean


def _rule_rows(
    inputs: GateInput,
    options: GateOptions,
    schema: SchemaReport,
    suite: Suite,
    report: SuiteReport,
    typed: pa.Table | Path,
    row_count: int,
) -> RuleRows:
    """In ``quarantine`` mode, the rows behind the failed business rules; in ``block`` mode (or
    when the header blocks anyway) every failed ``error`` rule simply blocks."""
    spec = inputs.spec
    if spec.policy.mode != "quarantine" or schema.header_errors():
        return RuleRows(blocking=report.failed_errors)
    return locate_rule_rows(
        suite,
        report,
        typed,
        spec.primary_key,
        max_rows=int(spec.policy.max_error_rate * row_count),
        engine=options.engine,
        parameters=options.suite_parameters,
    )


def _decide(
    policy: Policy,
    schema: SchemaReport,
    invalid_rows: set[int],
    blocking_rules: Sequence[ExpectationOutcome],
    privacy: PrivacyResult,
    row_count: int,
) -> tuple[Status, list[str]]:
    reasons: list[str] = []
    if schema.header_errors():
        reasons.append("header errors / หัวตารางไม่ตรงกับโครงสร้าง")
    if blocking_rules:
        labels = "; ".join(o.label for o in blocking_rules)
        reasons.append(f"business rules failed / กฎทางธุรกิจไม่ผ่าน: {labels}")
    if privacy.blocked:
        reasons.append("personal data found / พบข้อมูลส่วนบุคคล")
    if invalid_rows:
        rate = len(invalid_rows) / max(row_count, 1)
        message = f"{len(invalid_rows)} invalid rows ({rate:.1%}) / แถวที่ไม่ผ่าน"
        if policy.mode == "block" or rate > policy.max_error_rate:
            reasons.append(message)
        elif not reasons:
            return "quarantined", [message]
    return ("blocked", reasons) if reasons else ("passed", [])


def validate_partition(
    family: str,
    agency: str,
    clean: Source,
    spec: DatasetSpec,
    *,
    cast_errors: Sequence[Mapping[str, Any]] = (),
    personal_data: Sequence[Mapping[str, Any]] = (),
    agencies_table: Mapping[str, ReferenceTable] | ReferenceTable | None = None,
    out_dir: Path | None = None,
    suite_parameters: Mapping[str, Any] | None = None,
    engine: Engine = "duckdb",
    expectations_dir: Path | None = None,
    limit_errors: int | None = DEFAULT_LIMIT_ERRORS,
) -> ValidationResult:
    """:func:`gate` with its input and options spelled out as keywords (see
    :class:`~pipelines.validation.gate_input.GateInput` and ``GateOptions``)."""
    inputs = GateInput(family, agency, clean, spec, cast_errors, personal_data)
    options = GateOptions(
        references=None if agencies_table is None else _references(agencies_table),
        out_dir=out_dir,
        suite_parameters=suite_parameters,
        engine=engine,
        expectations_dir=expectations_dir,
        limit_errors=limit_errors,
    )
    return gate(inputs, options)


@dataclass(slots=True)
class _Checked:
    """The schema and suite verdicts of one partition, before the privacy guard masks it."""

    schema: SchemaReport
    suite: SuiteReport
    rules: RuleRows
    invalid_rows: set[int]
    typed: pa.Table | Path
    found: PrivacyResult | None  # the guard's findings when it already read the table
    schema_invalid: set[int] = field(default_factory=set)  # schema and cast errors only


def gate(inputs: GateInput, options: GateOptions | None = None) -> ValidationResult:
    """Validate one clean partition and write its report (and its publishable table).

    The table is streamed, never held whole: one read of the text feeds the schema check and,
    for a bare CSV, the typed Parquet the suite and the privacy guard read.
    """
    options = options or GateOptions()
    spec = inputs.spec
    directory = options.out_dir or _default_out_dir(inputs.family, inputs.agency)
    directory.mkdir(parents=True, exist_ok=True)
    policy = PrivacyPolicy.from_spec(spec.privacy)
    with tempfile.TemporaryDirectory(prefix="ogp-gate-") as workdir:
        source = _schema_source(inputs.clean)
        text = read_text(source)
        checked = _check(inputs, options, source, text, policy, Path(workdir))
        rows = text.num_rows

        def raw(found: PrivacyResult) -> PrivacyResult:
            return with_raw_findings(found, inputs.personal_data, policy, inputs.string_fields)

        known = raw(checked.found or PrivacyResult(findings=[], table=None, dropped_columns=[]))
        blocking = checked.rules.blocking
        decide = partial(_decide, spec.policy, checked.schema, checked.invalid_rows, blocking)
        writer = (
            None
            if decide(known, rows)[0] == "blocked"
            else PublishableWriter(
                Path(workdir) / PUBLISHABLE_PARQUET,
                checked.invalid_rows,
                beside=PublishableWriter(
                    Path(workdir) / SCHEMA_VALID_PARQUET, checked.schema_invalid
                ),
            )
        )
        privacy = raw(guard(checked.typed, policy, inputs.string_fields, checked.found, writer))
        status, reasons = decide(privacy, rows)
        publishable = None
        if status != "blocked" and writer is not None:
            publishable = writer.close(privacy.dropped_columns)
        publishable_path = write_publishable(publishable, directory)
        screened = None if publishable is None or writer is None else writer.beside
        write_publishable(screened.path if screened else None, directory, SCHEMA_VALID_PARQUET)
    result = ValidationResult(
        family=inputs.family,
        agency=inputs.agency,
        status=status,
        reasons=reasons,
        schema=checked.schema,
        suite=checked.suite,
        privacy=privacy,
        row_count=rows,
        quarantined_rows=sorted(checked.invalid_rows) if status == "quarantined" else [],
        publishable_path=None if publishable is None else publishable_path,
        rule_rows=checked.rules.rows,
    )
    result.report = scrub(build_report(result, spec, policy, options.limit_errors))
    # No timestamp: the same input gives a byte-identical report, so an unchanged partition
    # re-publishes nothing. The input's digest ties the report to the data it judged.
    # The CSV's digest comes with its one read; a Parquet source is digested apart.
    digest = (text.sha256 or file_sha256(source)) if isinstance(source, Path) else None
    result.report["input_sha256"] = digest
    result.report_paths = write_report(result.report, directory)
    return result


def _check(
    inputs: GateInput,
    options: GateOptions,
    source: Source,
    text: TextTable,
    policy: PrivacyPolicy,
    workdir: Path,
) -> _Checked:
    """Schema (with the normaliser's cast errors) and suite (with the rows behind its failed
    rules); the schema report ends up listing every error, cast errors after its own."""
    references = options.references
    if references is None:
        references = default_references(spec=inputs.spec)
    schema_report, typed, found = _read_once(inputs, source, text, references, policy, workdir)
    normalize_errors = cast_errors_to_schema_errors(inputs.cast_errors)
    invalid_rows = schema_report.invalid_rows | {
        e.row_number for e in normalize_errors if e.row_number
    }
    suite = load_suite(suite_path(inputs.spec.expectations_suite, options.expectations_dir))
    suite_report = run_suite(
        suite, typed, engine=options.engine, parameters=options.suite_parameters
    )
    rules = _rule_rows(inputs, options, schema_report, suite, suite_report, typed, text.num_rows)
    schema_report.errors = schema_report.errors + normalize_errors
    checked = _Checked(
        schema_report, suite_report, rules, invalid_rows | rules.row_numbers, typed, found
    )
    checked.schema_invalid = invalid_rows
    return checked


def _read_once(
    inputs: GateInput,
    source: Source,
    text: TextTable,
    references: Mapping[str, ReferenceTable],
    policy: PrivacyPolicy,
    workdir: Path,
) -> tuple[SchemaReport, pa.Table | Path, PrivacyResult | None]:
    """The one read of the text: the schema check here and, for a CSV, in a second thread, the
    typed Parquet the suite reads and the privacy guard's findings (no masking yet: whether the
    partition is publishable is known only once every check has run). Returns the schema
    report, the typed table, and the findings (None when the guard has yet to read the table).
    """
    clean, spec = inputs.clean, inputs.spec
    if not isinstance(clean, Path) or clean.suffix.lower() == ".parquet":
        report = validate_schema(
            source, spec.schema, references=references, limit_errors=None, text=text
        )
        text.drain()
        return report, clean, None
    finder = PrivacyScanner(policy, columns=inputs.string_fields)
    typed = TypedParquetWriter(
        workdir / "typed.parquet", text.labels, dict(spec.schema), row_groups=[finder]
    )
    with InBackground(typed) as background:
        text.subscribe(background)
        report = validate_schema(
            source, spec.schema, references=references, limit_errors=None, text=text
        )
        text.drain()
    return report, typed.close(), finder.result()


def _references(
    agencies_table: Mapping[str, ReferenceTable] | ReferenceTable | None,
) -> dict[str, ReferenceTable]:
    if agencies_table is None:
        return default_references()
    if isinstance(agencies_table, ReferenceTable):
        return {"agencies": agencies_table}
    return dict(agencies_table)


def _default_out_dir(family: str, agency: str) -> Path:
    from pipelines.settings import get_settings

    return validation_dir(get_settings().data_dir, family, agency)

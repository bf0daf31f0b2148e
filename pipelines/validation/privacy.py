"""Personal-data guard (PDPA): Thai citizen IDs, phone numbers and e-mail addresses, in every
column, whatever their disguise (:mod:`pipelines.validation.personal_text`).

Two scans, one detector:

- **raw** (:func:`scan_raw`, during normalisation): every cell as received — every column,
  whatever its declared type, and the columns the contract does not map — before casting
  turns ``๐๘๑-๒๓๔-๕๖๗๘`` in an integer column into ``812345678``. Its findings travel to the
  gate as plain dicts (like cast errors);
- **typed** (:func:`scan` / :class:`PrivacyScanner`, at the gate): the string columns as they
  will be published, to mask them.

Vectorised: one RE2 pass per column (``pyarrow.compute``) selects candidate cells; only those
are normalised and checked in Python. A cell of a ``public_columns`` column matching the
column's declared pattern is a public code: it may *be* phone-shaped as a whole (a budget line
``0625670001``), but it is still checked for citizen IDs and e-mails, and a phone inside a
longer code (``a0812345678``) is still a phone. A cell of a number column written as an amount
(``1 050 000 000.00``) is checked for citizen IDs only.

A finding says file (when known), row, column and kind — never the value. What happens to it
is the contract's privacy rule for that column, else its ``default_action``:

- ``mask``: the value is masked in the publishable table (string columns only: a finding in an
  integer, number or date column cannot be masked and blocks);
- ``drop``: the column is left out of the publishable table;
- ``block``: the partition is not published;
- ``not_published`` (set by the guard, never by a contract): the column is not in the
  contract, so nothing of it is published; the steward is told.

A rule with ``unless`` (``applicant_name`` unless ``applicant_type`` is ``juristic`` or
``government``) declares the column personal in every other row — a blank or unknown type
included: it fails safe — whatever it holds (a name cannot be detected). ``when`` (every listed
column equals its value) narrows the same way. In the rows a rule does not declare, the cell
is scanned like any other and a finding there takes the ``default_action``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.validation.personal_text import (
    Detection,
    Kind,
    candidates,
    detect,
    mask_text,
    mask_texts,
    mask_value,
)
from pipelines.validation.privacy_policy import (
    Action,
    Finding,
    PersonalDataRule,
    PrivacyPolicy,
    PrivacyResult,
)

UNKNOWN_PREFIX = "_unknown_"

__all__ = [
    "Action",
    "Finding",
    "Kind",
    "PersonalDataRule",
    "PrivacyPolicy",
    "PrivacyResult",
    "PrivacyScanner",
    "detect",
    "mask_text",
    "mask_value",
    "scan",
    "scan_batches",
    "scan_raw",
    "with_raw_findings",
]


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _whole(text: str, detection: Detection) -> bool:
    """Whether the detection is the whole cell (surrounding spaces aside)."""
    return not text[: detection.start].strip() and not text[detection.end :].strip()


def _hits(
    name: str, values: pa.Array | pa.ChunkedArray, policy: PrivacyPolicy, numeric: bool = False
) -> Iterable[tuple[int, str, list[Detection]]]:
    """(row index, text, detections) of each cell of one column holding personal data: a
    public code that is phone-shaped as a whole is not a phone."""
    values = _flat(values)
    wanted = candidates(values)
    indices = pc.indices_nonzero(wanted).to_pylist()
    texts = pc.filter(values, wanted).to_pylist()
    public = policy.public(name, values)
    coded = pc.filter(public, wanted).to_pylist() if public is not None else [False] * len(texts)
    for index, text, code in zip(indices, texts, coded, strict=True):
        found = detect(text, numeric=numeric)
        if code:
            found = [d for d in found if d.kind != "phone" or not _whole(text, d)]
        if found:
            yield index, text, found


# --- raw text, during normalisation ---------------------------------------------------------


def scan_raw(
    batch: pa.RecordBatch | pa.Table,
    policy: PrivacyPolicy,
    *,
    first_row_number: int,
    file: str | None = None,
    unknown_headers: Mapping[str, str] | None = None,
    columns: Iterable[str] | None = None,
    numeric_columns: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Findings in every (string) cell of a raw batch, as plain dicts for the gate:
    ``{"file", "row_number", "column", "kind", "mapped"}``; unmapped columns
    (``_unknown_<i>``) are named by their header as received (masked, should it hold personal
    data itself), ``mapped`` False. In ``numeric_columns`` an amount is checked for citizen IDs
    only."""
    numeric = set(numeric_columns)
    headers = unknown_headers or {}
    found: list[dict[str, Any]] = []
    names = batch.schema.names if columns is None else list(columns)
    for name in names:
        values = batch.column(name)
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            values = pc.cast(values, pa.string())
        mapped = not name.startswith(UNKNOWN_PREFIX)
        column = name if mapped else mask_texts([headers.get(name, name)])[0]
        for index, _, detections in _hits(name, values, policy, name in numeric):
            for kind in dict.fromkeys(d.kind for d in detections):
                found.append(
                    {
                        "file": file,
                        "row_number": first_row_number + index,
                        "column": column,
                        "kind": kind,
                        "mapped": mapped,
                    }
                )
    return found


def with_raw_findings(
    result: PrivacyResult,
    raw: Iterable[Mapping[str, Any]],
    policy: PrivacyPolicy,
    string_columns: Iterable[str],
) -> PrivacyResult:
    """The typed scan's result completed by the raw scan's findings: a finding the typed scan
    also made gains its file; one in a non-string column blocks (or drops the column, if the
    contract says drop); one in an unmapped column is ``not_published``."""
    strings = set(string_columns)
    typed = {(f.row_number, f.column, f.kind): f for f in result.findings}
    extra: list[Finding] = []
    for item in raw:
        key = (int(item["row_number"]), str(item["column"]), item["kind"])
        file = item.get("file")
        if key in typed:
            found = typed[key]
            typed[key] = Finding(found.column, found.row_number, found.kind, found.action, file)
            continue
        action: Action = policy.action_for(key[1])
        if not item.get("mapped", True):
            action = "not_published"
        elif key[1] not in strings and action != "drop":
            action = "block"  # an integer, number or date cannot be masked
        extra.append(Finding(key[1], key[0], key[2], action, file))
    findings = sorted([*typed.values(), *extra], key=lambda f: (f.row_number, f.column, f.kind))
    return PrivacyResult(
        findings=findings, table=result.table, dropped_columns=dropped_columns(findings)
    )


# --- the typed table, at the gate -----------------------------------------------------------


def _declared_rows(table: pa.Table, rule: PersonalDataRule) -> pa.Array:
    """Rows where a conditional rule declares the column personal (non-empty values only):
    every ``when`` column equals its value and no ``unless`` column holds one of its values.
    A condition column missing from the table cannot clear a row (fail safe)."""
    values = table.column(rule.column)
    mask = pc.and_(pc.is_valid(values), pc.not_equal(pc.cast(values, pa.string()), ""))
    for column, expected in rule.when.items():
        if column in table.column_names:
            equal = pc.equal(pc.cast(table.column(column), pa.string()), expected)
            mask = pc.and_(mask, pc.fill_null(equal, False))
    for column, cleared in rule.unless.items():
        if column in table.column_names:
            text = pc.utf8_trim_whitespace(pc.cast(table.column(column), pa.string()))
            known = pc.is_in(text, value_set=pa.array(list(cleared), pa.string()))
            mask = pc.and_(mask, pc.invert(pc.fill_null(known, False)))
    return _flat(pc.fill_null(mask, False))


def _text_columns(table: pa.Table, columns: Iterable[str] | None) -> list[str]:
    if columns is not None:
        return [name for name in columns if name in table.column_names]
    return [
        name
        for name, kind in zip(table.column_names, table.schema.types, strict=True)
        if pa.types.is_string(kind) or pa.types.is_large_string(kind)
    ]


def scan(
    table: pa.Table,
    policy: PrivacyPolicy,
    *,
    columns: Iterable[str] | None = None,
    first_row_number: int = 2,
) -> PrivacyResult:
    """Find personal data in the text ``columns`` (default: every string column) and apply
    the policy. Row numbers start at ``first_row_number`` (2: the header is row 1)."""
    findings, masked = _find(table, policy, columns, first_row_number)
    dropped = dropped_columns(findings)
    return PrivacyResult(
        findings=findings,
        table=mask_columns(table, masked).drop_columns(dropped),
        dropped_columns=dropped,
    )


class PrivacyScanner:
    """:func:`scan` fed one table at a time (numbered rows, e.g. the row groups of a typed
    table as they are written), for a guard that runs while the table streams past.

    Each table, masked, goes to ``sink`` with its first row number; columns to drop are known
    only at the end (:meth:`result`) and are the sink's to leave out."""

    def __init__(
        self,
        policy: PrivacyPolicy,
        *,
        columns: Iterable[str] | None = None,
        sink: Callable[[pa.Table, int], None] | None = None,
    ) -> None:
        self._policy = policy
        self._columns = None if columns is None else list(columns)
        self._sink = sink
        self._findings: list[Finding] = []

    def __call__(self, table: pa.Table, first_row_number: int) -> None:
        found, masked = _find(table, self._policy, self._columns, first_row_number)
        self._findings += found
        if self._sink is not None:
            self._sink(mask_columns(table, masked), first_row_number)

    def result(self) -> PrivacyResult:
        """What was found so far (the result holds no table: ``table`` is None)."""
        findings = list(self._findings)
        return PrivacyResult(
            findings=findings, table=None, dropped_columns=dropped_columns(findings)
        )


def scan_batches(
    batches: Iterable[pa.RecordBatch],
    policy: PrivacyPolicy,
    *,
    columns: Iterable[str] | None = None,
    sink: Callable[[pa.Table, int], None] | None = None,
) -> PrivacyResult:
    """:func:`scan` over a table streamed in batches (rows numbered from 2 across them); see
    :class:`PrivacyScanner` for ``sink``."""
    scanner = PrivacyScanner(policy, columns=columns, sink=sink)
    first_row_number = 2
    for batch in batches:
        scanner(pa.Table.from_batches([batch]), first_row_number)
        first_row_number += batch.num_rows
    return scanner.result()


def _find(
    table: pa.Table,
    policy: PrivacyPolicy,
    columns: Iterable[str] | None,
    first_row_number: int,
) -> tuple[list[Finding], dict[str, pa.ChunkedArray]]:
    """The findings in one table, and the masked form of each column the policy masks."""
    findings: list[Finding] = []
    masked: dict[str, pa.ChunkedArray] = {}
    declared = {rule.column: rule for rule in policy.personal_data if rule.conditional}
    for name in _text_columns(table, columns):
        action = policy.action_for(name)  # outside a conditional rule's rows: the default
        values = _flat(pc.cast(table.column(name), pa.string()))
        replacements: dict[int, str] = {}
        personal: set[int] = set()
        rule = declared.get(name)
        if rule is not None:
            rows = _declared_rows(table, rule)
            indices = pc.indices_nonzero(rows).to_pylist()
            personal = set(indices)
            findings += [
                Finding(name, i + first_row_number, "personal_data", rule.action) for i in indices
            ]
            for index, value in zip(indices, pc.filter(values, rows).to_pylist(), strict=True):
                replacements[index] = mask_value("personal_data", value)
        masking = action == "mask" or (rule is not None and rule.action == "mask" and personal)
        for index, text, detections in _hits(name, values, policy):
            row_action = rule.action if rule is not None and index in personal else action
            kinds = dict.fromkeys(d.kind for d in detections)
            findings += [
                Finding(name, index + first_row_number, kind, row_action) for kind in kinds
            ]
            replacements.setdefault(index, mask_text(text, detections))
        if masking and replacements:
            masked[name] = _replace(values, replacements)
    return findings, masked


def _replace(values: pa.Array, replacements: Mapping[int, str]) -> pa.ChunkedArray:
    flags = [False] * len(values)
    for index in replacements:
        flags[index] = True
    ordered = [replacements[index] for index in sorted(replacements)]
    replaced = pc.replace_with_mask(values, pa.array(flags), pa.array(ordered, pa.string()))
    return pa.chunked_array([replaced])


def mask_columns(table: pa.Table, masked: Mapping[str, pa.ChunkedArray]) -> pa.Table:
    for name, column in masked.items():
        table = table.set_column(table.column_names.index(name), name, column)
    return table


def dropped_columns(findings: Iterable[Finding]) -> list[str]:
    """Columns the policy leaves out of the publishable table: any finding there says drop."""
    return sorted({finding.column for finding in findings if finding.action == "drop"})

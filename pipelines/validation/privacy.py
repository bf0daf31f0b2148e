"""Personal-data guard (PDPA): Thai citizen IDs, phone numbers and e-mail addresses in text.

Vectorised in two steps: one RE2 pass per text column (``pyarrow.compute``) finds candidate
cells; only those are checked in Python (the mod-11 check digit with ``stdnum.th.pin``).
Juristic-person tax ids (13 digits starting with 0, ``stdnum.th.moa``) are public: they are
not citizen IDs and are never reported.

A finding says column, row and kind — never the value. What happens to it is the spec's
privacy rule for that column, else its ``default_action``:

- ``mask``: the value is replaced by a masked form in the publishable table;
- ``drop``: the column is left out of the publishable table;
- ``block``: the partition is not published.

A rule with ``when`` (e.g. ``applicant_name`` when ``applicant_type = person``) declares the
column personal in the matching rows whatever it holds (a name cannot be detected).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.th import pin

Action = Literal["mask", "drop", "block"]
Kind = Literal["citizen_id", "phone", "email", "personal_data"]

_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?:^|[^0-9])", r"(?:[^0-9]|$)"
CITIZEN_ID = r"[1-8](?:[- ]?[0-9]){12}"
PHONE = r"(?:\+66[- ]?|0)[1-9](?:[- ]?[0-9]){7,8}"
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# One RE2 pass finds every cell worth a closer look.
CANDIDATES = "|".join([f"{_NOT_DIGIT_BEFORE}(?:{CITIZEN_ID}|{PHONE}){_NOT_DIGIT_AFTER}", EMAIL])
_DETECTORS: list[tuple[Kind, re.Pattern[str]]] = [
    ("citizen_id", re.compile(rf"(?<![0-9]){CITIZEN_ID}(?![0-9])")),
    ("phone", re.compile(rf"(?<![0-9]){PHONE}(?![0-9])")),
    ("email", re.compile(EMAIL)),
]


@dataclass(frozen=True, slots=True)
class Finding:
    """Where personal data is — never what it is."""

    column: str
    row_number: int  # frictionless convention: the header is row 1
    kind: Kind
    action: Action

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rowNumber": self.row_number,
            "kind": self.kind,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class PersonalDataRule:
    column: str
    action: Action
    when: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """The spec's privacy rules (``DatasetSpec.privacy``) in the guard's terms."""

    personal_data: Sequence[PersonalDataRule] = ()
    default_action: Action = "block"
    juristic_id_columns: Sequence[str] = ()
    public_columns: Sequence[str] = ()  # agency-assigned codes: not scanned

    @classmethod
    def from_spec(cls, privacy: Any) -> PrivacyPolicy:
        """From the contracts' ``Privacy`` model or the same as a plain mapping."""
        data = privacy.model_dump() if hasattr(privacy, "model_dump") else dict(privacy or {})
        rules = [
            PersonalDataRule(rule["column"], rule["action"], dict(rule.get("when") or {}))
            for rule in data.get("personal_data", [])
        ]
        return cls(
            personal_data=rules,
            default_action=data.get("default_action", "block"),
            juristic_id_columns=list(data.get("juristic_id_columns", [])),
            public_columns=list(data.get("public_columns", [])),
        )

    def action_for(self, column: str) -> Action:
        for rule in self.personal_data:
            if rule.column == column:
                return rule.action
        return self.default_action


@dataclass(slots=True)
class PrivacyResult:
    findings: list[Finding]
    table: pa.Table | None  # publishable: masked values, dropped columns (None: streamed)
    dropped_columns: list[str]

    @property
    def blocked(self) -> bool:
        return any(finding.action == "block" for finding in self.findings)

    def counts_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind] = counts.get(finding.kind, 0) + 1
        return dict(sorted(counts.items()))


def detect(text: str) -> list[tuple[Kind, re.Match[str]]]:
    """Personal data in one cell: each match with its kind (citizen IDs must check out)."""
    found: list[tuple[Kind, re.Match[str]]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            if kind == "citizen_id" and not pin.is_valid(match.group()):
                continue
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue  # a valid ID is not also a phone number
            taken.append(match.span())
            found.append((kind, match))
    return found


def mask_value(kind: Kind, value: str) -> str:
    """A masked form keeping just enough to recognise the record, never the identity."""
    if kind == "citizen_id":
        digits = re.sub(r"[^0-9]", "", value)
        return f"{digits[0]}-xxxx-xxxxx-xx-{digits[-1]}"
    if kind == "phone":
        digits = re.sub(r"[^0-9]", "", value)
        return "x" * (len(digits) - 2) + digits[-2:]
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return value[:1] + "***" if value else value


def mask_text(text: str) -> str:
    """The cell with every detected piece of personal data masked."""
    pieces = sorted(detect(text), key=lambda item: item[1].start(), reverse=True)
    for kind, match in pieces:
        text = text[: match.start()] + mask_value(kind, match.group()) + text[match.end() :]
    return text


def _declared_rows(table: pa.Table, rule: PersonalDataRule) -> pa.Array:
    """Rows where a ``when`` rule declares the column personal (non-empty values only)."""
    values = table.column(rule.column)
    mask = pc.and_(pc.is_valid(values), pc.not_equal(pc.cast(values, pa.string()), ""))
    for column, expected in rule.when.items():
        if column not in table.column_names:
            return pa.array([False] * table.num_rows)
        equal = pc.equal(pc.cast(table.column(column), pa.string()), expected)
        mask = pc.and_(mask, pc.fill_null(equal, False))
    return pc.fill_null(mask, False).combine_chunks()


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
    declared = {rule.column: rule for rule in policy.personal_data if rule.when}
    for name in _text_columns(table, columns):
        if name in policy.public_columns:
            continue
        action = policy.action_for(name)
        values = pc.cast(table.column(name), pa.string())
        if name in declared:
            rows = _declared_rows(table, declared[name])
            indices = pc.indices_nonzero(rows).to_pylist()
            findings += [
                Finding(name, i + first_row_number, "personal_data", action) for i in indices
            ]
            if action == "mask" and indices:
                originals = pc.filter(values, rows).to_pylist()
                masks = [mask_value("personal_data", value) for value in originals]
                masked[name] = _replace(values, rows, masks)
            continue
        candidates = pc.fill_null(pc.match_substring_regex(values, CANDIDATES), False)
        indices = pc.indices_nonzero(candidates).to_pylist()
        hits: list[int] = []
        replacements: list[str] = []
        texts = pc.filter(values, candidates).to_pylist()
        for index, text in zip(indices, texts, strict=True):
            kinds = detect(text)
            if not kinds:
                continue
            hits.append(index)
            replacements.append(mask_text(text))
            findings += [Finding(name, index + first_row_number, kind, action) for kind, _ in kinds]
        if action == "mask" and hits:
            masked[name] = _replace(values, _mask_of(hits, table.num_rows), replacements)
    return findings, masked


def _mask_of(indices: list[int], length: int) -> pa.Array:
    flags = [False] * length
    for index in indices:
        flags[index] = True
    return pa.array(flags)


def _replace(values: pa.ChunkedArray, mask: pa.Array, replacements: list[str]) -> pa.ChunkedArray:
    replaced = pc.replace_with_mask(
        values.combine_chunks(), mask, pa.array(replacements, pa.string())
    )
    return pa.chunked_array([replaced])


def mask_columns(table: pa.Table, masked: Mapping[str, pa.ChunkedArray]) -> pa.Table:
    for name, column in masked.items():
        table = table.set_column(table.column_names.index(name), name, column)
    return table


def dropped_columns(findings: Iterable[Finding]) -> list[str]:
    """Columns the policy leaves out of the publishable table: any finding there says drop."""
    return sorted({finding.column for finding in findings if finding.action == "drop"})

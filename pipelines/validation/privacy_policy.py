"""The privacy guard's terms: the contract's rules (:class:`PrivacyPolicy`), where personal
data was found (:class:`Finding`, never the value) and what the guard made of a table
(:class:`PrivacyResult`). See :mod:`pipelines.validation.privacy`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from pipelines import thai
from pipelines.validation.personal_text import Kind

if TYPE_CHECKING:
    from pipelines.contracts.models import Privacy

Action = Literal["mask", "drop", "block", "not_published"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Where personal data is — never what it is."""

    column: str
    row_number: int  # frictionless convention: the header is row 1
    kind: Kind
    action: Action
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {} if self.file is None else {"file": self.file}
        data.update(
            column=self.column, rowNumber=self.row_number, kind=self.kind, action=self.action
        )
        return data


@dataclass(frozen=True, slots=True)
class PersonalDataRule:
    column: str
    action: Action
    when: Mapping[str, str] = field(default_factory=dict)
    unless: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def conditional(self) -> bool:
        return bool(self.when or self.unless)


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """The contract's privacy rules (``DatasetSpec.privacy``) in the guard's terms."""

    personal_data: Sequence[PersonalDataRule] = ()
    default_action: Action = "block"
    public_columns: Mapping[str, str] = field(default_factory=dict)  # column -> pattern

    @classmethod
    def from_spec(cls, privacy: Privacy | Mapping[str, Any] | None) -> PrivacyPolicy:
        """From the contracts' ``Privacy`` model or the same as a plain mapping."""
        data = privacy.model_dump() if isinstance(privacy, BaseModel) else dict(privacy or {})
        public = data.get("public_columns") or {}
        if not isinstance(public, Mapping):
            raise ValueError("public_columns: a pattern per column, e.g. {project_id: ^[0-9]{11}$}")
        rules = [
            PersonalDataRule(
                rule["column"],
                rule["action"],
                dict(rule.get("when") or {}),
                {key: list(values) for key, values in (rule.get("unless") or {}).items()},
            )
            for rule in data.get("personal_data", [])
        ]
        return cls(
            personal_data=rules,
            default_action=data.get("default_action", "block"),
            public_columns=dict(public),
        )

    def action_for(self, column: str) -> Action:
        """The action for a finding in the column. A conditional rule's action is for the rows
        it declares (see :func:`_find`); anywhere else the default action applies."""
        for rule in self.personal_data:
            if rule.column == column and not rule.conditional:
                return rule.action
        return self.default_action

    def public(self, name: str, values: pa.Array) -> pa.Array | None:
        """Which cells match the column's public pattern (None: the column has none)."""
        pattern = self.public_columns.get(name)
        if pattern is None:
            return None
        matched = pc.match_substring_regex(thai.ascii_digits(values), f"^(?:{pattern})$")
        return pc.fill_null(matched, False)


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

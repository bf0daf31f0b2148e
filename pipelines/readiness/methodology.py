"""The OGP readiness methodology, its inputs and the commitments register, loaded from
``datasets/ogp/*.yaml`` into typed models.

Everything the report scores against lives in those files; this module only gives
it a shape and refuses malformed files with an error naming the file, line and field
(:mod:`pipelines.readiness.yaml_models` reads them).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.readiness.yaml_models import MethodologyError, load_model

METHODOLOGY_FILE = "methodology.yaml"
INPUTS_FILE = "inputs.yaml"
COMMITMENTS_FILE = "commitments.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    title: str
    url: str = Field(pattern=r"^https?://")


class Named(_Model):
    key: str
    name_th: str
    name_en: str


# --- methodology ------------------------------------------------------------------------


class Component(Named):
    points: int = Field(ge=0)


class Level(Named):
    points: int = Field(ge=0)


class Band(_Model):
    min: float
    points: int = Field(ge=0)


class Criterion(Named):
    max_points: int = Field(gt=0)
    kind: Literal["components", "levels", "bands"]
    components: list[Component] = []
    levels: list[Level] = []
    bands: list[Band] = []
    bands_verified: bool = True
    source: Source

    @model_validator(mode="after")
    def _rule_matches_kind(self) -> Criterion:
        rules = {"components": self.components, "levels": self.levels, "bands": self.bands}
        if not rules[self.kind]:
            raise ValueError(f"criterion {self.key!r} of kind {self.kind!r} lists no {self.kind}")
        if self.kind == "components" and sum(c.points for c in self.components) != self.max_points:
            raise ValueError(f"criterion {self.key!r}: component points must add up to max_points")
        points = [level.points for level in self.levels] + [band.points for band in self.bands]
        if any(p > self.max_points for p in points):
            raise ValueError(f"criterion {self.key!r}: a level or band exceeds max_points")
        return self


class Eligibility(_Model):
    source: Source
    pass_share: float = Field(gt=0, le=1)
    min_criteria_with_data: int = Field(ge=1)
    criteria: list[Criterion] = Field(min_length=1)


class ValuesCheckRules(_Model):
    source: Source
    indicators: list[Named] = Field(min_length=1)
    threshold: float
    threshold_verified: bool
    source_data: Source


class OgpValue(Named):
    indicators: list[str] = Field(min_length=1)


class Label(_Model):
    th: str
    en: str


CompletionLevel = Literal["no_evidence", "not_started", "limited", "substantial", "complete"]
Potential = Literal["unclear", "modest", "substantial"]


class Irm(_Model):
    source: Source
    potential_for_results: list[Potential]
    completion_levels: list[CompletionLevel]
    substantial_share: float = Field(gt=0, lt=1)
    completion_labels: dict[CompletionLevel, Label]


class CocreationStandards(_Model):
    source: Source
    requirements: list[Named] = Field(min_length=1)


class OitItem(_Model):
    code: str
    family: str
    name_th: str
    name_en: str


class Oit(_Model):
    source: Source
    years_be: list[int]
    items: list[OitItem] = Field(min_length=1)


class PortalRules(_Model):
    dataset_name_pattern: str
    families: list[str] = Field(min_length=1)
    non_data_resource_patterns: list[str]
    validation_report_patterns: list[str]
    tabular_formats: list[str]
    frequency_unit_days: dict[str, int]
    family_update_days: dict[str, int]
    grace_days: int = Field(ge=0)


class Openness(_Model):
    source: Source
    format_stars: dict[str, int]
    unknown_format_stars: int = Field(ge=0)
    closed_licence_stars: int = Field(ge=0)
    max_stars: int = Field(gt=0)


class Methodology(_Model):
    version: str
    title_th: str
    title_en: str
    eligibility: Eligibility
    values_check: ValuesCheckRules
    ogp_values: list[OgpValue] = Field(min_length=1)
    irm: Irm
    cocreation_standards: CocreationStandards
    oit: Oit
    portal: PortalRules
    openness: Openness
    scorecard_weights: dict[str, float]

    @model_validator(mode="after")
    def _consistent(self) -> Methodology:
        unknown = {i.family for i in self.oit.items} - set(self.portal.families)
        if unknown:
            raise ValueError(f"oit.items name families not in portal.families: {sorted(unknown)}")
        if not math.isclose(sum(self.scorecard_weights.values()), 1.0, abs_tol=1e-6):
            raise ValueError("scorecard_weights must add up to 1")
        return self

    def criterion(self, key: str) -> Criterion:
        return next(c for c in self.eligibility.criteria if c.key == key)


# --- inputs -------------------------------------------------------------------------------

InputValue = bool | float | str | dict[str, bool] | None


class EvidenceInput(_Model):
    """One input value with where it comes from and whether someone checked it."""

    value: InputValue
    source: Source
    as_of: date | None = None
    verified: bool
    note: str | None = None


class Cpi(_Model):
    source: Source
    verified: bool
    scores: dict[int, int] = Field(min_length=1)


class ContextItem(_Model):
    key: str
    text_th: str
    text_en: str
    dated: date | None = None
    source: Source
    verified: bool


class Assessment(_Model):
    fiscal_year: int = Field(ge=2000, le=2200, description="Common Era ending year")


class Publication(_Model):
    dataset_name: str = Field(pattern=r"^[a-z0-9_-]{2,100}$")
    organization: str = Field(pattern=r"^[a-z0-9_-]{2,100}$")
    organization_title: str
    license_id: str


class Inputs(_Model):
    country: str
    country_th: str
    eligibility: dict[str, EvidenceInput]
    values_check: dict[str, EvidenceInput]
    cocreation: dict[str, EvidenceInput]
    cpi: Cpi
    context: list[ContextItem]
    assessment: Assessment
    publication: Publication


# --- commitments --------------------------------------------------------------------------

Operator = Literal[">=", ">", "<=", "<", "=="]


class Condition(_Model):
    """A measurable target on a pipeline indicator, e.g. ``validation_pass_rate >= 0.9``."""

    indicator: str
    op: Operator
    value: float


class Reported(_Model):
    status: Literal["done", "in_progress", "not_started"]
    evidence_url: str = Field(pattern=r"^https?://")
    as_of: date


class Milestone(_Model):
    id: str
    title_th: str
    title_en: str
    due: date
    target: str
    evidence: list[Condition] = []
    reported: Reported | None = None


class Commitment(_Model):
    id: str
    title_th: str
    title_en: str
    lead_agency_th: str
    lead_agency_en: str
    description_en: str
    ogp_values: list[str]
    verifiable: bool
    potential_for_results: Potential
    milestones: list[Milestone] = Field(min_length=1)


class RegisterSource(Source):
    verified: bool


class CommitmentRegister(_Model):
    source: RegisterSource
    commitments: list[Commitment]


class OgpConfig(_Model):
    """Everything in ``datasets/ogp/``, loaded and cross-checked."""

    methodology: Methodology
    inputs: Inputs
    commitments: CommitmentRegister


# --- loading ------------------------------------------------------------------------------


def load_config(directory: Path) -> OgpConfig:
    """Load and cross-check methodology, inputs and commitments from ``directory``."""
    methodology = load_model(directory / METHODOLOGY_FILE, Methodology)
    inputs = load_model(directory / INPUTS_FILE, Inputs)
    commitments = load_model(directory / COMMITMENTS_FILE, CommitmentRegister)
    problems = [
        *_check_inputs(methodology, inputs, directory / INPUTS_FILE),
        *_check_commitments(methodology, commitments, directory / COMMITMENTS_FILE),
    ]
    if problems:
        raise MethodologyError("\n".join(problems))
    return OgpConfig(methodology=methodology, inputs=inputs, commitments=commitments)


def _check_inputs(methodology: Methodology, inputs: Inputs, path: Path) -> list[str]:
    problems = _same_keys(
        path, "eligibility", {c.key for c in methodology.eligibility.criteria}, inputs.eligibility
    )
    problems += _same_keys(
        path,
        "values_check",
        {i.key for i in methodology.values_check.indicators},
        inputs.values_check,
    )
    problems += _same_keys(
        path,
        "cocreation",
        {r.key for r in methodology.cocreation_standards.requirements},
        inputs.cocreation,
    )
    for criterion in methodology.eligibility.criteria:
        entry = inputs.eligibility.get(criterion.key)
        if entry is not None and entry.value is not None:
            problem = _value_problem(criterion, entry.value)
            if problem:
                problems.append(f"{path}: eligibility.{criterion.key}.value: {problem}")
    for key, entry in inputs.values_check.items():
        if entry.value is not None and isinstance(entry.value, bool | str | dict):
            problems.append(f"{path}: values_check.{key}.value: must be a number or null")
    for key, entry in inputs.cocreation.items():
        if entry.value is not None and not isinstance(entry.value, bool):
            problems.append(f"{path}: cocreation.{key}.value: must be true, false or null")
    return problems


def _same_keys(path: Path, section: str, expected: set[str], given: dict[str, Any]) -> list[str]:
    missing, unknown = sorted(expected - set(given)), sorted(set(given) - expected)
    problems = [f"{path}: {section}.{key}: missing (the methodology expects it)" for key in missing]
    return problems + [f"{path}: {section}.{key}: not in the methodology" for key in unknown]


def _value_problem(criterion: Criterion, value: InputValue) -> str | None:
    if criterion.kind == "components":
        keys = {c.key for c in criterion.components}
        if not isinstance(value, dict) or set(value) != keys:
            return f"expected a mapping of {sorted(keys)} to true/false"
    elif criterion.kind == "levels":
        keys = {level.key for level in criterion.levels}
        if value not in keys:
            return f"expected one of {sorted(keys)}"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return "expected a number"
    return None


def _check_commitments(
    methodology: Methodology, register: CommitmentRegister, path: Path
) -> list[str]:
    value_keys = {v.key for v in methodology.ogp_values}
    problems: list[str] = []
    seen: set[str] = set()
    for commitment in register.commitments:
        if commitment.id in seen:
            problems.append(f"{path}: commitments.{commitment.id}: duplicate id")
        seen.add(commitment.id)
        for value in commitment.ogp_values:
            if value not in value_keys:
                problems.append(
                    f"{path}: commitments.{commitment.id}.ogp_values: unknown value {value!r}"
                    f" (known: {sorted(value_keys)})"
                )
    return problems

"""The OGP readiness methodology, its inputs and the commitments register, loaded from
``datasets/ogp/*.yaml`` into typed models.

Everything the report scores against lives in those files; this module only gives
it a shape and refuses malformed files with an error naming the file, line and field
(:mod:`pipelines.readiness.yaml_models` reads them). Every value carries a public reference
(:mod:`pipelines.readiness.sources`); a value marked verified without a specific document and
the day it was checked is refused, one line per key.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines import thai
from pipelines.readiness.input_models import (
    Assessment,
    Commitment,
    CommitmentRegister,
    Condition,
    ContextItem,
    Cpi,
    EvidenceInput,
    Inputs,
    InputValue,
    Milestone,
    Operator,
    Potential,
    Publication,
    RegisterSource,
    Reported,
)
from pipelines.readiness.sources import Scale, Source
from pipelines.readiness.verified import check_verified
from pipelines.readiness.yaml_models import MethodologyError, load_model

METHODOLOGY_FILE = "methodology.yaml"
INPUTS_FILE = "inputs.yaml"
COMMITMENTS_FILE = "commitments.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = [
    "Assessment",
    "Commitment",
    "CommitmentRegister",
    "Condition",
    "ContextItem",
    "Cpi",
    "EvidenceInput",
    "InputValue",
    "Inputs",
    "MethodologyError",
    "Milestone",
    "Operator",
    "Potential",
    "Publication",
    "RegisterSource",
    "Reported",
    "Source",
]


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


class CoverageGap(_Model):
    """The criterion's index does not cover ``country`` (published by the index or by OGP):
    the criterion then leaves the denominator (12 points instead of 16)."""

    country: str
    reason_th: str
    reason_en: str
    source: Source
    verified: bool


class Criterion(Named):
    max_points: int = Field(gt=0)
    kind: Literal["components", "levels", "bands"]
    components: list[Component] = []
    levels: list[Level] = []
    bands: list[Band] = []
    scale: Scale | None = None  # bands: the index's published range; a value outside is refused
    bands_verified: bool = True
    rule_source: Source | None = None  # where the points rule (e.g. the bands) is published
    source: Source  # the index OGP reads for this criterion
    not_covered: list[CoverageGap] = []

    @model_validator(mode="after")
    def _rule_matches_kind(self) -> Criterion:
        rules = {"components": self.components, "levels": self.levels, "bands": self.bands}
        if not rules[self.kind]:
            raise ValueError(f"criterion {self.key!r} of kind {self.kind!r} lists no {self.kind}")
        if self.kind == "components" and sum(c.points for c in self.components) != self.max_points:
            raise ValueError(f"criterion {self.key!r}: component points must add up to max_points")
        if self.kind == "bands" and self.scale is None:
            raise ValueError(f"criterion {self.key!r}: bands need the index's scale (min, max)")
        points = [level.points for level in self.levels] + [band.points for band in self.bands]
        if any(p > self.max_points for p in points):
            raise ValueError(f"criterion {self.key!r}: a level or band exceeds max_points")
        return self


class Eligibility(_Model):
    source: Source
    pass_share: float = Field(gt=0, le=1)
    min_criteria_with_data: int = Field(ge=1)  # fewer criteria covered -> "not enough data"
    criteria: list[Criterion] = Field(min_length=1)

    def gap(self, criterion: Criterion, country: str) -> CoverageGap | None:
        """The methodology's record that the criterion's index does not cover ``country``."""
        wanted = country.casefold()
        return next((g for g in criterion.not_covered if g.country.casefold() == wanted), None)


class ValuesCheckIndicator(Named):
    scale: Scale  # V-Dem's published range (0-4); an input outside it is refused
    scale_source: Source  # where V-Dem publishes the scale (its codebook)


class ValuesCheckRules(_Model):
    source: Source
    indicators: list[ValuesCheckIndicator] = Field(min_length=1)
    threshold: float
    threshold_verified: bool
    source_data: Source


class OgpValue(Named):
    indicators: list[str] = Field(min_length=1)
    source: Source


class Label(_Model):
    th: str
    en: str


CompletionLevel = Literal["no_evidence", "not_started", "limited", "substantial", "complete"]


class Irm(_Model):
    source: Source
    potential_for_results: list[Potential]
    completion_levels: list[CompletionLevel]
    substantial_share: float = Field(gt=0, lt=1)
    potential_labels: dict[Potential, Label]
    completion_labels: dict[CompletionLevel, Label]

    @model_validator(mode="after")
    def _every_level_labelled(self) -> Irm:
        missing: list[str] = [
            k for k in self.potential_for_results if k not in self.potential_labels
        ]
        missing += [k for k in self.completion_levels if k not in self.completion_labels]
        if missing:
            raise ValueError(f"no Thai/English label for {missing}")
        return self


class CocreationStandards(_Model):
    source: Source
    requirements: list[Named] = Field(min_length=1)


class OitItem(_Model):
    key: str = Field(pattern=r"^[a-z0-9_]+$")
    number: str | None = None  # the item's number in that year's ITA manual, e.g. "O21"
    family: str
    # the data resource that satisfies the item (name pattern); without it, a family serving
    # several items cannot say which resource meets which, and those items are provisional
    resource: str | None = None
    name_th: str
    name_en: str

    @property
    def code(self) -> str:
        """The year's item number when confirmed data gives one, else the stable key."""
        return self.number or self.key


class OitYear(_Model):
    """The OIT items of one ITA assessment year (NACC renumbers them yearly)."""

    year_be: int = Field(ge=thai.DEFAULT_BE_WINDOW[0], le=thai.DEFAULT_BE_WINDOW[1])
    confirmed: bool  # true only with that year's manual as source (URL and checked_on)
    source: Source | None = None
    note_th: str | None = None
    note_en: str | None = None
    items: list[OitItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbers_when_confirmed(self) -> OitYear:
        if self.confirmed and any(item.number is None for item in self.items):
            raise ValueError(f"B.E. {self.year_be}: a confirmed year gives every item's number")
        return self


class Oit(_Model):
    source: Source
    years: list[OitYear] = Field(min_length=1)

    def for_year(self, year_be: int) -> OitYear | None:
        """The mapping of one assessment year; None when the methodology has none for it."""
        return next((y for y in self.years if y.year_be == year_be), None)

    @property
    def years_be(self) -> list[int]:
        return [y.year_be for y in self.years]

    @property
    def items(self) -> list[OitItem]:
        """Deprecated: the latest year's items. Use ``for_year`` with the assessment year."""
        return max(self.years, key=lambda y: y.year_be).items


class PortalRules(_Model):
    dataset_name_pattern: str
    families: list[str] = Field(min_length=1)
    non_data_resource_patterns: list[str]
    # files the pipeline derives and publishes beside the data (red flags, OCDS): never
    # loaded to the DataStore, so not among the tables the API share expects there
    derived_resource_patterns: list[str] = []
    validation_report_patterns: list[str]
    tabular_formats: list[str]
    # timeliness is timeliness.yaml's (by content), not a portal rule: no keys for it here


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
        unknown = {i.family for y in self.oit.years for i in y.items} - set(self.portal.families)
        if unknown:
            raise ValueError(f"oit.items name families not in portal.families: {sorted(unknown)}")
        if not math.isclose(sum(self.scorecard_weights.values()), 1.0, abs_tol=1e-6):
            raise ValueError("scorecard_weights must add up to 1")
        return self

    def criterion(self, key: str) -> Criterion:
        return next(c for c in self.eligibility.criteria if c.key == key)


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
        *check_verified(directory, methodology, inputs, commitments),
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
    scales = {i.key: i.scale for i in methodology.values_check.indicators}
    for key, entry in inputs.values_check.items():
        if entry.value is not None and isinstance(entry.value, bool | str | dict):
            problems.append(f"{path}: values_check.{key}.value: must be a number or null")
        elif isinstance(entry.value, int | float) and (scale := scales.get(key)) is not None:
            problem = scale.problem(float(entry.value))
            problems += [f"{path}: values_check.{key}.value: {problem}"] if problem else []
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
    elif criterion.scale is not None:
        return criterion.scale.problem(float(value))
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

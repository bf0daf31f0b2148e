"""The metadata checks' rules as data (``datasets/ogp/mqa.yaml``: data.europa.eu's MQA dimensions,
indicators, weights, vocabularies and rating bands with their source, and the fields data.go.th
requires) and the DCAT a dataset carries as read from the portal. Used by
:mod:`pipelines.readiness.metadata_quality`, :mod:`pipelines.readiness.thai_gdc` and
:mod:`pipelines.readiness.dcat_reader`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelines.readiness.yaml_models import load_model

MQA_FILE = "mqa.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the data file ------------------------------------------------------------------------


class Source(_Model):
    title_th: str
    title_en: str
    url: str
    checked_on: str | None = None


class Dimension(_Model):
    key: str
    label_th: str
    label_en: str
    max_points: int


class Indicator(_Model):
    key: str
    dimension: str
    weight: int
    level: Literal["dataset", "distribution"]
    check: Literal["present", "reachable", "vocabulary", "class", "not_assessed"]
    properties: list[str]
    label_th: str
    label_en: str
    vocabularies: dict[str, str] = Field(default_factory=dict)
    format_class: str | None = None
    why_th: str | None = None
    why_en: str | None = None


class Vocabulary(_Model):
    source: str
    iri_prefixes: list[str]


class FormatClass(_Model):
    source: str
    met: list[str]
    not_met: list[str]


class Rating(_Model):
    key: str
    min_points: float
    label_th: str
    label_en: str


class GdcField(_Model):
    """A field data.go.th requires; ``choices`` (with ``multiple``) or ``pattern``: what its
    validator accepts, when the schema validates more than presence."""

    field: str
    label_th: str
    label_en: str
    choices: list[str] | None = None
    multiple: bool = False
    pattern: str | None = None


class ThaiGdcRules(_Model):
    source: Source
    dataset_fields: list[GdcField]
    resource_fields: list[GdcField]


class MqaRules(_Model):
    version: str
    source: Source
    dimensions: list[Dimension]
    indicators: list[Indicator]
    vocabularies: dict[str, Vocabulary]
    format_classes: dict[str, FormatClass]
    ratings: list[Rating]
    thai_gdc: ThaiGdcRules

    @property
    def max_points(self) -> int:
        return sum(d.max_points for d in self.dimensions)


def load_mqa_rules(directory: Path) -> MqaRules:
    """``mqa.yaml`` from ``directory``, checked: every dimension's indicator weights add up to
    its maximum, and every vocabulary and format class named by an indicator exists."""
    rules = load_model(directory / MQA_FILE, MqaRules)
    problems = []
    for dimension in rules.dimensions:
        total = sum(i.weight for i in rules.indicators if i.dimension == dimension.key)
        if total != dimension.max_points:
            problems.append(
                f"{dimension.key}: weights add up to {total}, not {dimension.max_points}"
            )
    for indicator in rules.indicators:
        if indicator.dimension not in {d.key for d in rules.dimensions}:
            problems.append(f"{indicator.key}: unknown dimension {indicator.dimension}")
        missing = set(indicator.vocabularies.values()) - set(rules.vocabularies)
        if indicator.format_class and indicator.format_class not in rules.format_classes:
            missing.add(indicator.format_class)
        problems += [f"{indicator.key}: no vocabulary or format class {name}" for name in missing]
    if problems:
        raise ValueError(f"{directory / MQA_FILE}: " + "; ".join(problems))
    return rules


# --- DCAT as read from the portal ---------------------------------------------------------


class Term(_Model):
    """One value of a DCAT property: an IRI (or blank node) or a literal."""

    value: str
    iri: bool = False


class Distribution(_Model):
    id: str
    properties: dict[str, list[Term]] = Field(default_factory=dict)
    # URL property -> reachable (True/False) or None when not requested (another host, offline)
    reachable: dict[str, bool | None] = Field(default_factory=dict)


class DcatRecord(_Model):
    """One dataset's DCAT, with the CKAN name, organization and portal page it belongs to."""

    name: str
    organization: str
    url: str
    dcat_url: str
    properties: dict[str, list[Term]] = Field(default_factory=dict)
    distributions: list[Distribution] = Field(default_factory=list)

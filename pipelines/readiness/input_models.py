"""The inputs (``datasets/ogp/inputs.yaml``) and the commitments register
(``datasets/ogp/commitments.yaml``) as typed models; :mod:`pipelines.readiness.methodology`
loads and cross-checks them with the methodology."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.readiness.sources import Source, require_verifiable, verification_problem


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Potential = Literal["unclear", "modest", "substantial"]

# --- inputs -------------------------------------------------------------------------------

InputValue = bool | float | str | dict[str, bool] | None


class EvidenceInput(_Model):
    """One input value with where it comes from and whether someone checked it. ``as_of`` is
    the date the value refers to (e.g. the survey's publication); ``source.checked_on`` is the
    day someone read the document."""

    value: InputValue
    source: Source
    as_of: date | None = None
    verified: bool
    note_th: str | None = None
    note_en: str | None = None

    @property
    def note(self) -> str | None:
        return self.note_en

    @property
    def checked(self) -> bool:
        """Verified and backed by a specific document with the day it was checked."""
        return self.verified and verification_problem(self.source) is None


class NationalForum(EvidenceInput):
    """The agency of the registry (``value``: its agency_code) hosting the country's OGP
    multi-stakeholder forum (the OGP point of contact), to which the five Participation and
    Co-Creation Standards apply; None: no host recorded (the national figure is unknown)."""

    value: str | None = Field(pattern=r"^[a-z0-9_-]{2,100}$")

    @model_validator(mode="after")
    def _verified_needs_a_document(self) -> NationalForum:
        require_verifiable(self.verified, self.source)
        return self


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
    national_forum: NationalForum | None = None  # None: no host recorded
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
    target_th: str | None = None
    evidence: list[Condition] = []
    reported: Reported | None = None


class Commitment(_Model):
    id: str
    title_th: str
    title_en: str
    lead_agency_th: str
    lead_agency_en: str
    description_en: str
    description_th: str | None = None
    ogp_values: list[str]
    verifiable: bool
    potential_for_results: Potential
    milestones: list[Milestone] = Field(min_length=1)


class RegisterSource(Source):
    verified: bool


class CommitmentRegister(_Model):
    source: RegisterSource
    # the IRM report page of the action plan: the only evidence a completion level cites
    irm_report: RegisterSource | None = None
    commitments: list[Commitment]

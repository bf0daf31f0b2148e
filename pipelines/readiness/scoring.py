"""Scoring rules: OGP eligibility, the Values Check and IRM commitment completion.

Pure functions over the methodology, the inputs and the indicator figures: no I/O, no clock
(the as-of date is an argument), so every rule is checked against hand-computed cases.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure
from pipelines.readiness.methodology import (
    Commitment,
    CompletionLevel,
    Condition,
    Criterion,
    Eligibility,
    EvidenceInput,
    InputValue,
    Irm,
    Milestone,
    ValuesCheckRules,
)

Outcome = Literal["pass", "fail", "not_enough_data"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- eligibility --------------------------------------------------------------------------


class Improvement(_Result):
    """One way to gain points on a criterion (the report's "what would raise it")."""

    points: int
    what_th: str
    what_en: str
    evidence: list[str]


class CriterionScore(_Result):
    key: str
    name_th: str
    name_en: str
    points: int | None  # None = no data
    max_points: int
    verified: bool
    improvements: list[Improvement]
    evidence: list[str]
    as_of: date | None
    note: str | None

    @property
    def has_data(self) -> bool:
        return self.points is not None

    @property
    def points_missing(self) -> int:
        return self.max_points - (self.points or 0)


class EligibilityResult(_Result):
    criteria: list[CriterionScore]
    total: int
    available: int
    threshold: float
    outcome: Outcome
    evidence: list[str]

    @property
    def share(self) -> float | None:
        return self.total / self.available if self.available else None


def score_criterion(criterion: Criterion, given: EvidenceInput) -> CriterionScore:
    """Points for one criterion, or ``points=None`` when the input has no value."""
    value = given.value
    points = None if value is None else _points(criterion, value)
    verified = given.verified and (criterion.kind != "bands" or criterion.bands_verified)
    return CriterionScore(
        key=criterion.key,
        name_th=criterion.name_th,
        name_en=criterion.name_en,
        points=points,
        max_points=criterion.max_points,
        verified=verified,
        improvements=_improvements(criterion, value, points),
        evidence=[given.source.url, criterion.source.url],
        as_of=given.as_of,
        note=given.note,
    )


def _points(criterion: Criterion, value: InputValue) -> int:
    if criterion.kind == "components":
        met = value if isinstance(value, dict) else {}
        return sum(c.points for c in criterion.components if met.get(c.key))
    if criterion.kind == "levels":
        return next(level.points for level in criterion.levels if level.key == value)
    return _band_points(criterion, _number(value))


def _band_points(criterion: Criterion, number: float) -> int:
    bands = sorted(criterion.bands, key=lambda band: band.min, reverse=True)
    return next((band.points for band in bands if number >= band.min), 0)


def _number(value: InputValue) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _improvements(criterion: Criterion, value: InputValue, points: int | None) -> list[Improvement]:
    if points is None:
        return [
            Improvement(
                points=criterion.max_points,
                what_th=f"ป้อนข้อมูล {criterion.name_th} จากแหล่งที่มา ({criterion.source.title})",
                what_en=f"Enter the {criterion.name_en} input from {criterion.source.title}",
                evidence=[criterion.source.url],
            )
        ]
    evidence = [criterion.source.url]
    if criterion.kind == "components":
        met = value if isinstance(value, dict) else {}
        return [
            Improvement(points=c.points, what_th=c.name_th, what_en=c.name_en, evidence=evidence)
            for c in criterion.components
            if not met.get(c.key)
        ]
    if criterion.kind == "levels":
        better = [level for level in criterion.levels if level.points > points]
        return [
            Improvement(
                points=level.points - points,
                what_th=level.name_th,
                what_en=level.name_en,
                evidence=evidence,
            )
            for level in sorted(better, key=lambda level: level.points)[:1]
        ]
    higher = sorted((b for b in criterion.bands if b.points > points), key=lambda b: b.min)
    return [
        Improvement(
            points=band.points - points,
            what_th=f"คะแนนเสรีภาพพลเมืองอย่างน้อย {band.min:g}",
            what_en=f"A civil-liberties score of at least {band.min:g}",
            evidence=evidence,
        )
        for band in higher[:1]
    ]


def score_eligibility(rules: Eligibility, inputs: Mapping[str, EvidenceInput]) -> EligibilityResult:
    """Total over the criteria with data; pass at ``pass_share`` of the points available.

    With one criterion lacking data, 12 points are available and 9 pass (at 75%); with fewer
    than ``min_criteria_with_data`` criteria the outcome is "not enough data".
    """
    scores = [score_criterion(c, inputs[c.key]) for c in rules.criteria]
    scored = [s for s in scores if s.points is not None]
    total = sum(s.points for s in scored if s.points is not None)
    available = sum(s.max_points for s in scored)
    threshold = rules.pass_share * available
    outcome: Outcome
    if len(scored) < rules.min_criteria_with_data:
        outcome = "not_enough_data"
    else:
        outcome = "pass" if total >= threshold else "fail"
    evidence = [rules.source.url, *(url for s in scores for url in s.evidence)]
    return EligibilityResult(
        criteria=scores,
        total=total,
        available=available,
        threshold=threshold,
        outcome=outcome,
        evidence=list(dict.fromkeys(evidence)),
    )


# --- Values Check -------------------------------------------------------------------------


class ValuesCheckIndicator(_Result):
    key: str
    name_th: str
    name_en: str
    value: float | None
    passed: bool | None
    verified: bool
    evidence: list[str]
    note: str | None


class ValuesCheckResult(_Result):
    indicators: list[ValuesCheckIndicator]
    threshold: float
    threshold_verified: bool
    outcome: Outcome
    evidence: list[str]


def values_check(rules: ValuesCheckRules, inputs: Mapping[str, EvidenceInput]) -> ValuesCheckResult:
    """Pass when every V-Dem indicator is above the threshold; any missing -> not enough data."""
    results = []
    for indicator in rules.indicators:
        given = inputs[indicator.key]
        number = None if given.value is None else _number(given.value)
        results.append(
            ValuesCheckIndicator(
                key=indicator.key,
                name_th=indicator.name_th,
                name_en=indicator.name_en,
                value=number,
                passed=None if number is None else number > rules.threshold,
                verified=given.verified,
                evidence=[given.source.url],
                note=given.note,
            )
        )
    outcome: Outcome
    if any(r.passed is None for r in results):
        outcome = "not_enough_data"
    else:
        outcome = "pass" if all(r.passed for r in results) else "fail"
    return ValuesCheckResult(
        indicators=results,
        threshold=rules.threshold,
        threshold_verified=rules.threshold_verified,
        outcome=outcome,
        evidence=[rules.source.url, rules.source_data.url],
    )


# --- commitments (IRM) --------------------------------------------------------------------

MilestoneStatus = Literal["done", "pending", "overdue"]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


class ConditionResult(_Result):
    indicator: str
    op: str
    target: float
    actual: float | None
    met: bool | None  # None = the indicator has no data, or only provisional data
    evidence: list[str]
    numerator: int | None = None  # the figure's n/N and status (ok, provisional, unknown, ...)
    denominator: int | None = None
    status: str = "ok"


class MilestoneAssessment(_Result):
    id: str
    title_th: str
    title_en: str
    due: date
    target: str
    status: MilestoneStatus
    assessable: bool  # False = nothing (data or report) says where it stands
    conditions: list[ConditionResult]
    evidence: list[str]


class CommitmentAssessment(_Result):
    id: str
    title_th: str
    title_en: str
    lead_agency_th: str
    lead_agency_en: str
    description_en: str
    verifiable: bool
    relevant: bool
    ogp_values: list[str]
    potential_for_results: str
    completion: CompletionLevel
    done_share: float
    milestones: list[MilestoneAssessment]
    evidence: list[str]
    completion_verified: bool = False  # the evidence is the action plan's IRM report, checked


class UnknownIndicatorError(KeyError):
    """A milestone names an indicator the pipeline does not compute."""


def check_condition(condition: Condition, figures: Mapping[str, Figure]) -> ConditionResult:
    figure = figures.get(condition.indicator)
    if figure is None:
        raise UnknownIndicatorError(
            f"unknown indicator {condition.indicator!r}; known: {sorted(figures)}"
        )
    actual = figure.value
    number = None if actual is None or isinstance(actual, str) else float(actual)
    met = None  # only a figure from complete evidence decides (not provisional/unknown)
    if number is not None and figure.status in ("ok", "fail"):
        met = _OPERATORS[condition.op](number, condition.value)
    return ConditionResult(
        indicator=condition.indicator,
        op=condition.op,
        target=condition.value,
        actual=number,
        met=met,
        evidence=list(figure.evidence),
        numerator=figure.numerator,
        denominator=figure.denominator,
        status=figure.status,
    )


def assess_milestone(
    milestone: Milestone, figures: Mapping[str, Figure], as_of: date, register_source: str
) -> MilestoneAssessment:
    """Done when every data condition holds (or a report says done, with evidence);
    otherwise overdue after its due date, else pending."""
    conditions = [check_condition(c, figures) for c in milestone.evidence]
    evidence = [url for c in conditions for url in c.evidence]
    if conditions:
        assessable = all(c.met is not None for c in conditions)
        done = assessable and all(c.met for c in conditions)
    elif milestone.reported is not None:
        assessable, done = True, milestone.reported.status == "done"
        evidence.append(milestone.reported.evidence_url)
    else:
        assessable, done = False, False
    status: MilestoneStatus = (
        "done" if done else ("overdue" if as_of > milestone.due else "pending")
    )
    return MilestoneAssessment(
        id=milestone.id,
        title_th=milestone.title_th,
        title_en=milestone.title_en,
        due=milestone.due,
        target=milestone.target,
        status=status,
        assessable=assessable,
        conditions=conditions,  # without data or a report: the register (of the due date)
        evidence=list(dict.fromkeys(evidence)) or [register_source],
    )


def completion_level(milestones: list[MilestoneAssessment], irm: Irm) -> CompletionLevel:
    """IRM completion from the share of milestones done: all -> complete; at least
    ``substantial_share`` -> substantial; some -> limited; none -> not started, or
    no evidence when nothing shows where any milestone stands."""
    done = sum(m.status == "done" for m in milestones)
    share = done / len(milestones)
    if share == 1:
        return "complete"
    if share >= irm.substantial_share:
        return "substantial"
    if done:
        return "limited"
    return "not_started" if any(m.assessable for m in milestones) else "no_evidence"


def assess_commitment(
    commitment: Commitment,
    figures: Mapping[str, Figure],
    as_of: date,
    irm: Irm,
    register_source: str,
) -> CommitmentAssessment:
    milestones = [
        assess_milestone(m, figures, as_of, register_source) for m in commitment.milestones
    ]
    done = sum(m.status == "done" for m in milestones)
    evidence = [register_source, *(url for m in milestones for url in m.evidence)]
    return CommitmentAssessment(
        id=commitment.id,
        title_th=commitment.title_th,
        title_en=commitment.title_en,
        lead_agency_th=commitment.lead_agency_th,
        lead_agency_en=commitment.lead_agency_en,
        description_en=commitment.description_en,
        verifiable=commitment.verifiable,
        relevant=bool(commitment.ogp_values),
        ogp_values=commitment.ogp_values,
        potential_for_results=commitment.potential_for_results,
        completion=completion_level(milestones, irm),
        done_share=done / len(milestones),
        milestones=milestones,
        evidence=list(dict.fromkeys(evidence)),
    )

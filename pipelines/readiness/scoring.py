"""Scoring rules: IRM commitment completion (eligibility and the Values Check are
:mod:`pipelines.readiness.eligibility` and :mod:`pipelines.readiness.values_check`).

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
    Irm,
    Milestone,
)


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


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
    # milestones past their due date and not done: the commitment is behind schedule, whatever
    # its completion level (this project's rule; the IRM scale measures what is done)
    overdue: list[str] = []
    status_th: str = ""  # the completion level, "behind schedule" when a milestone is overdue
    status_en: str = ""
    note_th: str | None = None  # each overdue milestone and its due date
    note_en: str | None = None


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
    completion = completion_level(milestones, irm)
    overdue = [m for m in milestones if m.status == "overdue"]
    label = irm.completion_labels[completion]
    # an overdue milestone nothing shows the state of is named as such (not shown not done)
    late_th = ", ".join(
        f"{m.id} (กำหนด {m.due.isoformat()}{'' if m.assessable else ', ประเมินไม่ได้'})"
        for m in overdue
    )
    late_en = ", ".join(
        f"{m.id} (due {m.due.isoformat()}{'' if m.assessable else ', not assessable'})"
        for m in overdue
    )
    n = len(milestones)
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
        completion=completion,
        done_share=done / len(milestones),
        milestones=milestones,
        evidence=list(dict.fromkeys(evidence)),
        overdue=[m.id for m in overdue],
        status_th=f"{label.th}, ล่าช้ากว่ากำหนด" if overdue else label.th,
        status_en=f"{label.en}, behind schedule" if overdue else label.en,
        note_th=f"เลยกำหนดแล้วยังไม่พบว่าเสร็จ {len(overdue)} จาก {n} หลักไมล์: {late_th}"
        if overdue
        else None,
        note_en=f"{len(overdue)} of {n} milestones overdue (past due, not shown done): {late_en}"
        if overdue
        else None,
    )

"""OGP Core Eligibility and the Values Check as OGP computes them, with honest verdicts.

Core Eligibility: four criteria of up to four points (16). A criterion leaves the denominator
only when the methodology records, with a source, that its index does not cover the country
(then 12 points are available); a country covered on fewer than ``min_criteria_with_data``
criteria has "not enough data" (OGP's own wording). The bar is ``pass_share`` of the points
available, rounded up (12/16, 9/12).

The verdict is "pass" or "fail" only when every counted input is verified by a specific document
(URL and checked-on date) and every rule it uses is confirmed; otherwise it is "provisional" with
the list of what to confirm. An input we have not entered is not a criterion OGP cannot measure:
it stays in the denominator and scores nothing until entered.

The Values Check follows the same discipline over the V-Dem indicators.

Pure functions: no I/O, no clock. The report calls :func:`assess_eligibility`,
:func:`assess_values_check` and :func:`eligibility_figures` (plain :class:`Figure` objects).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.criteria import Improvement, criterion_points, improvements
from pipelines.readiness.figures import Figure, Status, figure, register_labels
from pipelines.readiness.methodology import (
    Criterion,
    Eligibility,
    EvidenceInput,
    OgpConfig,
)
from pipelines.readiness.sources import verification_problem
from pipelines.readiness.values_check import ValuesCheckAssessment, assess_values_check

Outcome = Literal["pass", "fail", "provisional", "not_enough_data"]
State = Literal["verified", "unverified", "not_entered", "not_covered"]

OUTCOME_STATUS: dict[str, Status] = {
    "pass": "ok",
    "fail": "fail",
    "provisional": "provisional",
    "not_enough_data": "unknown",
}
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "pass": ("ผ่าน", "Pass"),
    "fail": ("ไม่ผ่าน", "Fail"),
    "provisional": ("ผลเบื้องต้น (รอยืนยันข้อมูล)", "Provisional (inputs to confirm)"),
    "not_enough_data": ("ข้อมูลไม่พอ", "Not enough data"),
}
STATE_LABELS: dict[str, tuple[str, str]] = {
    "verified": ("ยืนยันแล้วจากเอกสาร", "Verified against a document"),
    "unverified": ("ยังไม่ยืนยัน", "Not yet verified"),
    "not_entered": ("ยังไม่ได้ป้อนข้อมูล", "Not entered"),
    "not_covered": ("ดัชนีไม่ครอบคลุมประเทศ", "Not covered by its index"),
}

register_labels(
    {
        "eligibility_points": ("คะแนนเกณฑ์คุณสมบัติหลักของ OGP", "OGP Core Eligibility points"),
        "values_check": ("การตรวจสอบค่านิยมของ OGP (V-Dem)", "OGP Values Check (V-Dem)"),
    }
)


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class ToConfirm(_Result):
    """One thing to enter or check before the verdict can be final."""

    key: str
    what_th: str
    what_en: str
    evidence: list[str]


class CriterionAssessment(_Result):
    key: str
    name_th: str
    name_en: str
    state: State
    counted: bool  # in the denominator
    points: int | None  # None: not entered, or not covered
    max_points: int
    rule_confirmed: bool  # the points rule (e.g. bands) is checked against OGP's page
    reason_th: str | None  # not covered: why (from the methodology)
    reason_en: str | None
    source_title: str
    evidence: list[str]
    checked_on: date | None
    as_of: date | None
    note_th: str | None
    note_en: str | None
    improvements: list[Improvement]  # what would raise the points (empty when not entered)

    @property
    def verified(self) -> bool:
        return self.state == "verified" and self.rule_confirmed

    @property
    def has_data(self) -> bool:
        return self.points is not None


class EligibilityAssessment(_Result):
    country: str
    criteria: list[CriterionAssessment]
    total: int  # points of the counted criteria that have a value
    available: int  # 16, or 12 when one index does not cover the country
    needed: int  # points to pass: pass_share of available, rounded up
    verified_total: int  # points backed by verified inputs and confirmed rules
    possible_max: int  # verified points + the maximum of every criterion still to confirm
    outcome: Outcome
    to_confirm: list[ToConfirm]
    evidence: list[str]

    @property
    def status(self) -> Status:
        return OUTCOME_STATUS[self.outcome]

    @property
    def ratio(self) -> str:
        return f"{self.total}/{self.available}"

    @property
    def excluded(self) -> list[CriterionAssessment]:
        """Criteria left out of the denominator, each with its reason."""
        return [c for c in self.criteria if not c.counted]


def _state(given: EvidenceInput) -> State:
    if given.value is None:
        return "not_entered"
    return (
        "verified"
        if given.verified and verification_problem(given.source) is None
        else "unverified"
    )


def _confirm_items(c: CriterionAssessment, criterion: Criterion) -> list[ToConfirm]:
    items = []
    if c.state == "not_entered":
        items.append(
            ToConfirm(
                key=c.key,
                what_th=f"ป้อนและยืนยัน {c.name_th} จาก {c.source_title}",
                what_en=f"Enter and verify {c.name_en} from {c.source_title}",
                evidence=c.evidence,
            )
        )
    elif c.state == "unverified":
        items.append(
            ToConfirm(
                key=c.key,
                what_th=f"ยืนยัน {c.name_th} กับเอกสารเฉพาะ (URL และวันที่ตรวจ)",
                what_en=f"Verify {c.name_en} against a specific document (URL and date checked)",
                evidence=c.evidence,
            )
        )
    if c.counted and c.state != "not_entered" and not c.rule_confirmed:
        source = criterion.rule_source or criterion.source
        items.append(
            ToConfirm(
                key=f"{c.key}.rule",
                what_th=f"ยืนยันเกณฑ์การให้คะแนน {c.name_th} กับหน้าของ OGP",
                what_en=f"Confirm the scoring rule of {c.name_en} on OGP's page",
                evidence=[source.url],
            )
        )
    return items


def assess_criterion(
    rules: Eligibility, criterion: Criterion, given: EvidenceInput, country: str
) -> tuple[CriterionAssessment, list[ToConfirm]]:
    """One criterion and what to confirm about it."""
    claimed = rules.gap(criterion, country)
    # Only a gap verified against a specific document leaves the denominator; one still to
    # confirm keeps the criterion counted (out of 16), with the coverage to confirm.
    gap_confirmed = claimed is not None and (
        claimed.verified and verification_problem(claimed.source) is None
    )
    gap = claimed if gap_confirmed else None
    state: State = "not_covered" if gap is not None else _state(given)
    counted = gap is None
    points = (
        None if not counted or given.value is None else criterion_points(criterion, given.value)
    )
    evidence = [given.source.url, criterion.source.url]
    if claimed is not None:
        evidence = [claimed.source.url, *([] if gap else [given.source.url]), criterion.source.url]
    assessment = CriterionAssessment(
        key=criterion.key,
        name_th=criterion.name_th,
        name_en=criterion.name_en,
        state=state,
        counted=counted,
        points=points,
        max_points=criterion.max_points,
        rule_confirmed=criterion.kind != "bands" or criterion.bands_verified,
        reason_th=gap.reason_th if gap else None,
        reason_en=gap.reason_en if gap else None,
        source_title=given.source.title,
        evidence=list(dict.fromkeys(evidence)),
        checked_on=given.source.checked_on,
        as_of=given.as_of,
        note_th=given.note_th,
        note_en=given.note_en,
        improvements=improvements(criterion, given.value, points),
    )
    confirm = _confirm_items(assessment, criterion)
    if claimed is not None and gap is None:
        confirm.append(
            ToConfirm(
                key=f"{criterion.key}.coverage",
                what_th=f"ยืนยันว่าดัชนีของ {criterion.name_th} ไม่ครอบคลุมประเทศ "
                f"({claimed.source.title})",
                what_en=f"Confirm that the index of {criterion.name_en} does not cover the "
                f"country ({claimed.source.title})",
                evidence=[claimed.source.url],
            )
        )
    return assessment, confirm


def assess_eligibility(
    rules: Eligibility, inputs: Mapping[str, EvidenceInput], country: str
) -> EligibilityAssessment:
    """Core Eligibility out of 16 (or 12 with a recorded coverage gap), with an honest verdict."""
    criteria: list[CriterionAssessment] = []
    to_confirm: list[ToConfirm] = []
    for criterion in rules.criteria:
        assessment, confirm = assess_criterion(rules, criterion, inputs[criterion.key], country)
        criteria.append(assessment)
        to_confirm += confirm
    counted = [c for c in criteria if c.counted]
    total = sum(c.points or 0 for c in counted)
    available = sum(c.max_points for c in counted)
    needed = math.ceil(rules.pass_share * available - 1e-9)
    verified_total = sum(c.points or 0 for c in counted if c.verified)
    possible_max = verified_total + sum(c.max_points for c in counted if not c.verified)
    outcome: Outcome
    if len(counted) < rules.min_criteria_with_data:
        outcome = "not_enough_data"
    elif to_confirm:
        outcome = "provisional"
    else:
        outcome = "pass" if total >= needed else "fail"
    evidence = [rules.source.url, *(url for c in criteria for url in c.evidence)]
    return EligibilityAssessment(
        country=country,
        criteria=criteria,
        total=total,
        available=available,
        needed=needed,
        verified_total=verified_total,
        possible_max=possible_max,
        outcome=outcome,
        to_confirm=to_confirm,
        evidence=list(dict.fromkeys(evidence)),
    )


# --- figures for the report -----------------------------------------------------------------


def _join(parts: list[str]) -> str:
    return "; ".join(parts)


def _points_figure(result: EligibilityAssessment) -> Figure:
    th_outcome, en_outcome = OUTCOME_LABELS[result.outcome]
    note_th = [
        f"{th_outcome}: {result.ratio} คะแนน (ต้องได้อย่างน้อย {result.needed} คะแนนจึงผ่าน)",
    ]
    note_en = [
        f"{en_outcome}: {result.ratio} points ({result.needed} needed to pass)",
    ]
    for c in result.excluded:
        note_th.append(f"คิดจาก {result.available} คะแนน: {c.name_th} — {c.reason_th}")
        note_en.append(f"out of {result.available}: {c.name_en} — {c.reason_en}")
    if result.outcome == "provisional":
        note_th.append(f"ยืนยันแล้ว {result.verified_total} คะแนน สูงสุดที่เป็นไปได้ {result.possible_max}")
        note_en.append(f"{result.verified_total} verified, at most {result.possible_max}")
        note_th.append("ต้องยืนยัน: " + ", ".join(t.what_th for t in result.to_confirm))
        note_en.append("to confirm: " + ", ".join(t.what_en for t in result.to_confirm))
    unknown = result.outcome == "not_enough_data"
    return figure(
        "eligibility_points",
        None if unknown else result.total,
        "points",
        result.evidence,
        verified=result.outcome in ("pass", "fail"),
        numerator=result.total,
        denominator=result.available,
        status=result.status,
        note_th=_join(note_th),
        note_en=_join(note_en),
    )


def _criterion_figure(c: CriterionAssessment, extra: Sequence[str] = ()) -> Figure:
    status: Status
    if c.state == "not_covered":
        status = "not_applicable"
    elif c.state == "not_entered":
        status = "unknown"
    else:
        status = "ok" if c.verified else "provisional"
    state_th, state_en = STATE_LABELS[c.state]
    note_th = [state_th, *(x for x in (c.reason_th, c.note_th) if x)]
    note_en = [state_en, *(x for x in (c.reason_en, c.note_en) if x)]
    if c.state != "not_entered" and c.counted and not c.rule_confirmed:
        note_th.append("เกณฑ์การให้คะแนนยังไม่ได้ยืนยันกับหน้าของ OGP")
        note_en.append("scoring rule not yet confirmed on OGP's page")
    scored = c.points is not None
    return Figure(
        key=f"eligibility_{c.key}",
        label_th=c.name_th,
        label_en=c.name_en,
        value=c.points,
        unit="points",
        evidence=list(dict.fromkeys([*c.evidence, *extra])),
        verified=c.verified,
        numerator=c.points if scored else None,
        denominator=c.max_points if scored else None,
        status=status,
        note_th=_join(note_th),
        note_en=_join(note_en),
    )


def _values_figure(result: ValuesCheckAssessment) -> Figure:
    th_outcome, en_outcome = OUTCOME_LABELS.get(result.outcome, ("ไม่ทราบ", "Unknown"))
    known = result.outcome != "unknown"
    if known:
        note_th = [f"{th_outcome}: ผ่าน {result.ratio} ตัวชี้วัด (ค่ามากกว่า {result.threshold:g})"]
        note_en = [f"{en_outcome}: {result.ratio} indicators above {result.threshold:g}"]
    else:
        note_th = [f"{th_outcome}: ยังไม่ได้ป้อนตัวชี้วัดใด"]
        note_en = [f"{en_outcome}: no indicator entered"]
    if result.to_confirm:
        note_th.append("ต้องยืนยัน: " + ", ".join(t.what_th for t in result.to_confirm))
        note_en.append("to confirm: " + ", ".join(t.what_en for t in result.to_confirm))
    return figure(
        "values_check",
        result.passed if known else None,
        "count",
        result.evidence,
        verified=result.outcome in ("pass", "fail"),
        numerator=result.passed if known else None,
        denominator=result.total if known else None,
        status=result.status,
        note_th=_join(note_th),
        note_en=_join(note_en),
    )


def eligibility_figures(
    config: OgpConfig, portal_evidence: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Figure]:
    """The report's eligibility figures: ``eligibility_points`` (x/16 or x/12, status ok for a
    verified pass, fail, provisional or unknown), one ``eligibility_<criterion>`` per criterion
    (points n/4; not_applicable when not covered, unknown when not entered) and
    ``values_check`` (indicators passed n/2). ``portal_evidence``: portal URLs to cite beside a
    criterion (e.g. ``{"asset_disclosure": disclosure.asset_disclosure_evidence(...)}``); they
    add evidence, never points."""
    extra = portal_evidence or {}
    methodology, inputs = config.methodology, config.inputs
    result = assess_eligibility(methodology.eligibility, inputs.eligibility, inputs.country)
    values = assess_values_check(methodology.values_check, inputs.values_check)
    figures = {"eligibility_points": _points_figure(result)}
    figures.update(
        {
            f"eligibility_{c.key}": _criterion_figure(c, extra.get(c.key, ()))
            for c in result.criteria
        }
    )
    figures["values_check"] = _values_figure(values)
    return figures

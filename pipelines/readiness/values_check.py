"""The OGP Values Check (V-Dem "CSO Entry and Exit" and "CSO Repression") with the same
discipline as Core Eligibility: "pass"/"fail" only when every indicator is entered and verified
by a specific document (URL and checked-on date) and the pass rule itself is confirmed;
otherwise "provisional" (something entered) or "unknown" (nothing entered), with the list of
what to confirm. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure, Status, register_labels, share
from pipelines.readiness.methodology import EvidenceInput, Inputs, ValuesCheckRules
from pipelines.readiness.sources import verification_problem

ValuesOutcome = Literal["pass", "fail", "provisional", "unknown"]
IndicatorState = Literal["verified", "unverified", "not_entered"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class ValuesToConfirm(_Result):
    key: str
    what_th: str
    what_en: str
    evidence: list[str]


class IndicatorAssessment(_Result):
    key: str
    name_th: str
    name_en: str
    value: float | None
    state: IndicatorState
    passed: bool | None  # None: not entered
    source_title: str
    evidence: list[str]
    checked_on: date | None
    note_th: str | None
    note_en: str | None


class ValuesCheckAssessment(_Result):
    indicators: list[IndicatorAssessment]
    threshold: float
    threshold_verified: bool
    passed: int  # indicators entered and above the threshold
    total: int  # indicators OGP checks
    outcome: ValuesOutcome
    to_confirm: list[ValuesToConfirm]
    evidence: list[str]

    @property
    def status(self) -> Status:
        return {"pass": "ok", "fail": "fail"}.get(self.outcome, self.outcome)  # type: ignore[return-value]

    @property
    def ratio(self) -> str:
        return f"{self.passed}/{self.total}"


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def assess_values_check(
    rules: ValuesCheckRules, inputs: Mapping[str, EvidenceInput]
) -> ValuesCheckAssessment:
    """Each V-Dem indicator against the threshold, and a verdict no stronger than its inputs."""
    indicators: list[IndicatorAssessment] = []
    to_confirm: list[ValuesToConfirm] = []
    for rule in rules.indicators:
        given = inputs[rule.key]
        number = None if given.value is None else _number(given.value)
        # a value off V-Dem's scale is no score (the loader refuses it too)
        problem = rule.scale.problem(number) if number is not None else None
        if problem:
            raise ValueError(f"values_check.{rule.key}: {problem}")
        state: IndicatorState
        if number is None:
            state = "not_entered"
        elif given.verified and verification_problem(given.source) is None:
            state = "verified"
        else:
            state = "unverified"
        indicators.append(
            IndicatorAssessment(
                key=rule.key,
                name_th=rule.name_th,
                name_en=rule.name_en,
                value=number,
                state=state,
                passed=None if number is None else number > rules.threshold,
                source_title=given.source.title,
                evidence=[given.source.url],
                checked_on=given.source.checked_on,
                note_th=given.note_th,
                note_en=given.note_en,
            )
        )
        if state == "not_entered":
            to_confirm.append(
                ValuesToConfirm(
                    key=rule.key,
                    what_th=f"ป้อนและยืนยัน {rule.name_th} จาก {given.source.title}",
                    what_en=f"Enter and verify {rule.name_en} from {given.source.title}",
                    evidence=[given.source.url],
                )
            )
        elif state == "unverified":
            to_confirm.append(
                ValuesToConfirm(
                    key=rule.key,
                    what_th=f"ยืนยัน {rule.name_th} กับเอกสารเฉพาะ (URL และวันที่ตรวจ)",
                    what_en=f"Verify {rule.name_en} against a specific document "
                    "(URL and date checked)",
                    evidence=[given.source.url],
                )
            )
    if not rules.threshold_verified:
        to_confirm.append(
            ValuesToConfirm(
                key="threshold",
                what_th="ยืนยันเกณฑ์ผ่านของการตรวจสอบค่านิยมกับหน้าของ OGP",
                what_en="Confirm the Values Check pass rule and threshold on OGP's page",
                evidence=[rules.source.url],
            )
        )
    passed = sum(1 for i in indicators if i.passed)
    outcome: ValuesOutcome
    if all(i.state == "not_entered" for i in indicators):
        outcome = "unknown"
    elif to_confirm:
        outcome = "provisional"
    else:
        outcome = "pass" if passed == len(indicators) else "fail"
    evidence = [rules.source.url, rules.source_data.url, *(i.evidence[0] for i in indicators)]
    return ValuesCheckAssessment(
        indicators=indicators,
        threshold=rules.threshold,
        threshold_verified=rules.threshold_verified,
        passed=passed,
        total=len(indicators),
        outcome=outcome,
        to_confirm=to_confirm,
        evidence=list(dict.fromkeys(evidence)),
    )


# --- civic participation (the OGP values section) ------------------------------------------

CIVIC_INPUTS = "cocreation_inputs_met"
register_labels(
    {
        CIVIC_INPUTS: (
            "ข้อกำหนดขั้นต่ำด้านการร่วมสร้างที่ผ่าน ตามที่ป้อนในข้อมูลนำเข้า "
            "(นับเองจากข้อมูลนำเข้า ไม่ใช่ผลประเมินมาตรฐาน 5 ข้อ)",
            "Co-creation minimum requirements met, as entered in the inputs "
            "(the inputs' own count, not the five-standard assessment)",
        )
    }
)


def civic_participation_figures(inputs: Inputs, standards_url: str) -> dict[str, Figure]:
    """The inputs' own co-creation checklist as n/N (N: every requirement the inputs list, one
    not entered counts as not met), labelled as such so that it is never read as the
    five-standard figure of :mod:`pipelines.readiness.cocreation`. Evidence is the specific
    documents the inputs cite; a home page is not cited (the standards' page stands in and
    the figure stays provisional until every entry is verified)."""
    entries = list(inputs.cocreation.values())
    met = sum(1 for e in entries if e.value is True)
    blank = sum(1 for e in entries if e.value is None)
    checked = sum(1 for e in entries if e.checked)
    documents = [e.source.url for e in entries if e.source.specific]
    homes = len(entries) - len([e for e in entries if e.source.specific])
    note_th = f"ยืนยันกับเอกสารแล้ว {checked} จาก {len(entries)} ข้อ; ไม่ได้ป้อน {blank} ข้อ (ไม่นับว่าผ่าน)"
    note_en = (
        f"{checked} of {len(entries)} verified against a document; "
        f"{blank} not entered (never counted as met)"
    )
    if homes:
        note_th += f"; แหล่งที่มาเป็นหน้าแรกของเว็บไซต์ {homes} ข้อ (ไม่อ้างเป็นหลักฐาน)"
        note_en += f"; {homes} cite a home page (not cited as evidence)"
    figure = share(
        CIVIC_INPUTS,
        met,
        len(entries),
        list(dict.fromkeys(documents)) or [standards_url],
        verified=bool(entries) and checked == len(entries),
        note_th=note_th,
        note_en=note_en,
    )
    return {CIVIC_INPUTS: figure}

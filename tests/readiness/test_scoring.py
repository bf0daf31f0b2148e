"""Commitment scoring against hand-computed cases (eligibility and the Values Check:
tests/readiness/test_eligibility.py)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.readiness.figures import Figure
from pipelines.readiness.methodology import (
    Commitment,
    Milestone,
    OgpConfig,
)
from pipelines.readiness.scoring import (
    UnknownIndicatorError,
    assess_commitment,
    assess_milestone,
)

REGISTER = "https://example.org/register"


# --- commitments ---------------------------------------------------------------------------


def fig(key: str, value: float | None) -> Figure:
    return Figure(
        key=key,
        label_th=key,
        label_en=key,
        value=value,
        unit="share",
        evidence=[f"https://portal.test/{key}"],
    )


def milestone(
    due: date,
    evidence: list[dict[str, object]] | None = None,
    reported: dict[str, object] | None = None,
) -> Milestone:
    return Milestone.model_validate(
        {
            "id": "M",
            "title_th": "ม",
            "title_en": "M",
            "due": due,
            "target": "t",
            "evidence": evidence or [],
            "reported": reported,
        }
    )


AS_OF = date(2026, 6, 1)
PASS_RATE = [{"indicator": "validation_pass_rate", "op": ">=", "value": 0.9}]


@pytest.mark.parametrize(
    ("rate", "due", "status"),
    [
        (0.95, date(2026, 9, 30), "done"),
        (0.9, date(2026, 1, 1), "done"),
        (0.89, date(2026, 9, 30), "pending"),
        (0.5, date(2026, 5, 31), "overdue"),
    ],
)
def test_milestone_status_from_data(rate: float, due: date, status: str) -> None:
    figures = {"validation_pass_rate": fig("validation_pass_rate", rate)}
    result = assess_milestone(milestone(due, PASS_RATE), figures, AS_OF, REGISTER)
    assert result.status == status
    assert result.assessable
    assert result.evidence == ["https://portal.test/validation_pass_rate"]


def test_milestone_without_data_is_not_assessable() -> None:
    figures = {"validation_pass_rate": fig("validation_pass_rate", None)}
    result = assess_milestone(milestone(date(2026, 1, 1), PASS_RATE), figures, AS_OF, REGISTER)
    assert (result.status, result.assessable) == ("overdue", False)


def test_milestone_on_unknown_indicator_is_an_error() -> None:
    bad = [{"indicator": "no_such_thing", "op": ">=", "value": 1}]
    with pytest.raises(UnknownIndicatorError, match="no_such_thing"):
        assess_milestone(milestone(AS_OF, bad), {}, AS_OF, REGISTER)


def test_reported_milestone_needs_its_evidence() -> None:
    report = {"status": "done", "evidence_url": "https://gov.test/minutes", "as_of": AS_OF}
    result = assess_milestone(milestone(AS_OF, reported=report), {}, AS_OF, REGISTER)
    assert (result.status, result.evidence) == ("done", ["https://gov.test/minutes"])


def commitment(milestones: list[Milestone]) -> Commitment:
    return Commitment.model_validate(
        {
            "id": "C",
            "title_th": "ค",
            "title_en": "C",
            "lead_agency_th": "ก",
            "lead_agency_en": "A",
            "description_en": "d",
            "ogp_values": ["civic_participation"],
            "verifiable": True,
            "potential_for_results": "modest",
            "milestones": milestones,
        }
    )


@pytest.mark.parametrize(
    ("rates", "level"),
    [
        ((0.95, 0.95, 0.95, 0.95), "complete"),
        ((0.95, 0.95, 0.1, 0.1), "substantial"),  # 2 of 4 = the 50% band
        ((0.95, 0.1, 0.1, 0.1), "limited"),
        ((0.1, 0.1, 0.1, 0.1), "not_started"),
        ((None, None, None, None), "no_evidence"),
    ],
)
def test_completion_levels(config: OgpConfig, rates: tuple[float | None, ...], level: str) -> None:
    figures = {f"r{i}": fig(f"r{i}", rate) for i, rate in enumerate(rates)}
    plan = commitment(
        [
            milestone(date(2026, 12, 31), [{"indicator": f"r{i}", "op": ">=", "value": 0.9}])
            for i in range(len(rates))
        ]
    )
    result = assess_commitment(plan, figures, AS_OF, config.methodology.irm, REGISTER)
    assert result.completion == level
    assert result.evidence[0] == REGISTER


def test_only_a_complete_figure_decides_a_milestone() -> None:
    # 9/10 counted with one partition's verdict unknown: provisional, so not proof of done
    provisional = Figure(
        key="validation_pass_rate",
        label_th="v",
        label_en="v",
        value=0.9,
        unit="share",
        evidence=["https://portal.test/v"],
        numerator=9,
        denominator=10,
        status="provisional",
    )
    early = date(2026, 12, 31)
    result = assess_milestone(
        milestone(early, PASS_RATE), {"validation_pass_rate": provisional}, AS_OF, REGISTER
    )
    assert (result.status, result.assessable, result.conditions[0].met) == ("pending", False, None)
    assert (result.conditions[0].numerator, result.conditions[0].denominator) == (9, 10)
    assert result.conditions[0].status == "provisional"
    complete = provisional.model_copy(update={"status": "ok"})
    done = assess_milestone(
        milestone(early, PASS_RATE), {"validation_pass_rate": complete}, AS_OF, REGISTER
    )
    assert (done.status, done.conditions[0].met) == ("done", True)

"""Scoring rules against hand-computed cases."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.readiness.figures import Figure
from pipelines.readiness.methodology import (
    Commitment,
    EvidenceInput,
    Methodology,
    Milestone,
    OgpConfig,
    Source,
)
from pipelines.readiness.scoring import (
    UnknownIndicatorError,
    assess_commitment,
    assess_milestone,
    score_criterion,
    score_eligibility,
    values_check,
)

SOURCE = Source(title="test", url="https://example.org/source")
REGISTER = "https://example.org/register"


def given(value: object, *, verified: bool = True) -> EvidenceInput:
    return EvidenceInput.model_validate(
        {"value": value, "source": SOURCE.model_dump(), "verified": verified}
    )


def inputs(ft: object, ati: object, ad: object, ce: object) -> dict[str, EvidenceInput]:
    return {
        "fiscal_transparency": given(ft),
        "access_to_information": given(ati),
        "asset_disclosure": given(ad),
        "citizen_engagement": given(ce),
    }


FT_FULL = {"executive_budget_proposal": True, "audit_report": True}
FT_HALF = {"executive_budget_proposal": True, "audit_report": False}
AD_LAW = {"law": True, "public_access": False}
AD_FULL = {"law": True, "public_access": True}


@pytest.fixture
def methodology(config: OgpConfig) -> Methodology:
    return config.methodology


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # 4 + 4 + 4 + 4 = 16 of 16
        (inputs(FT_FULL, "law", AD_FULL, 8.0), (16, 16, "pass")),
        # 2 + 4 + 2 + 4 = 12 of 16: exactly 75% passes
        (inputs(FT_HALF, "law", AD_LAW, 9.1), (12, 16, "pass")),
        # 2 + 3 + 2 + 4 = 11 of 16: below 12
        (inputs(FT_HALF, "constitutional", AD_LAW, 7.5), (11, 16, "fail")),
        # the 9-of-12 case: citizen engagement has no data; 2 + 4 + 2 + - = 8 < 9 fails ...
        (inputs(FT_HALF, "law", AD_LAW, None), (8, 12, "fail")),
        # ... and 4 + 3 + 2 + - = 9 of 12 passes
        (inputs(FT_FULL, "constitutional", AD_LAW, None), (9, 12, "pass")),
        # two criteria with data: not enough data, whatever the points
        (inputs(FT_FULL, "law", None, None), (8, 8, "not_enough_data")),
    ],
)
def test_eligibility_outcomes(
    methodology: Methodology, case: dict[str, EvidenceInput], expected: tuple[int, int, str]
) -> None:
    result = score_eligibility(methodology.eligibility, case)
    assert (result.total, result.available, result.outcome) == expected
    assert result.threshold == pytest.approx(0.75 * expected[1])


@pytest.mark.parametrize(
    ("score", "points"), [(0.0, 1), (2.49, 1), (2.5, 2), (4.99, 2), (5.0, 3), (7.49, 3), (7.5, 4)]
)
def test_citizen_engagement_bands(methodology: Methodology, score: float, points: int) -> None:
    criterion = methodology.criterion("citizen_engagement")
    result = score_criterion(criterion, given(score))
    assert result.points == points
    # the bands are unverified in the methodology, so even a verified input is shown as unverified
    assert result.verified is False


def test_what_would_raise_it(methodology: Methodology) -> None:
    result = score_eligibility(methodology.eligibility, inputs(FT_HALF, "draft_law", AD_LAW, 3.0))
    gains = {c.key: [i.points for i in c.improvements] for c in result.criteria}
    assert gains == {
        "fiscal_transparency": [2],  # the audit report
        "access_to_information": [2],  # draft law (1) -> constitutional provision (3)
        "asset_disclosure": [2],  # public access
        "citizen_engagement": [1],  # 2 points now, 3 from a score of 5.0
    }
    assert {c.key: c.points_missing for c in result.criteria} == {
        "fiscal_transparency": 2,
        "access_to_information": 3,
        "asset_disclosure": 2,
        "citizen_engagement": 2,
    }


def test_missing_criterion_suggests_entering_it(methodology: Methodology) -> None:
    result = score_eligibility(methodology.eligibility, inputs(FT_FULL, "law", AD_FULL, None))
    engagement = next(c for c in result.criteria if c.key == "citizen_engagement")
    assert engagement.points is None
    assert [i.points for i in engagement.improvements] == [4]


@pytest.mark.parametrize(
    ("values", "outcome"),
    [
        ((1.5, 2.0), "pass"),
        ((1.5, 0.4), "fail"),
        ((1.0, 2.0), "fail"),
        ((1.5, None), "not_enough_data"),
    ],
)
def test_values_check(
    methodology: Methodology, values: tuple[float | None, float | None], outcome: str
) -> None:
    rules = methodology.values_check
    assert rules.threshold == 1.0  # the cases above are computed for this threshold
    result = values_check(rules, {"v2cseeorgs": given(values[0]), "v2csreprss": given(values[1])})
    assert result.outcome == outcome


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

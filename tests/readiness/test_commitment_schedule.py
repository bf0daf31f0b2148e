"""A commitment with an overdue milestone says so (issue 15): IRM's completion scale (No Evidence
Available / Not Started / Limited / Substantial / Complete) measures what is done, so the level
stays, and the commitment's status and note name each milestone past its due date and not done
(this project's rule). Hand-computed: C2-like, 2 milestones, 1 done (1/2 = the Substantial
band, substantial_share 0.5), the other due 2026-05-31, report date 2026-06-01."""

from __future__ import annotations

from datetime import date

from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.scoring import assess_commitment

from .test_scoring import REGISTER, commitment, fig, milestone

AS_OF = date(2026, 6, 1)


def _assessed(config: OgpConfig, second_due: date, b: float | None = 0.5):
    first = milestone(date(2026, 3, 31), [{"indicator": "a", "op": ">=", "value": 6}])
    second = milestone(second_due, [{"indicator": "b", "op": ">=", "value": 0.8}])
    plan = commitment(
        [first.model_copy(update={"id": "C2.1"}), second.model_copy(update={"id": "C2.2"})]
    )
    figures = {"a": fig("a", 7), "b": fig("b", b)}
    return assess_commitment(plan, figures, AS_OF, config.methodology.irm, REGISTER)


def test_an_overdue_milestone_shows_in_the_status_and_note(config: OgpConfig) -> None:
    result = _assessed(config, date(2026, 5, 31))
    assert [m.status for m in result.milestones] == ["done", "overdue"]
    assert result.completion == "substantial"  # the IRM level of what is done stays
    assert result.overdue == ["C2.2"]
    assert result.status_en == "Substantial, behind schedule"
    assert result.status_th == "มาก, ล่าช้ากว่ากำหนด"
    assert result.note_en == (
        "1 of 2 milestones overdue (past due, not shown done): C2.2 (due 2026-05-31)"
    )
    assert result.note_th == "เลยกำหนดแล้วยังไม่พบว่าเสร็จ 1 จาก 2 หลักไมล์: C2.2 (กำหนด 2026-05-31)"


def test_a_pending_milestone_is_not_behind_schedule(config: OgpConfig) -> None:
    result = _assessed(config, date(2026, 6, 1))  # due on the report date: not yet overdue
    assert [m.status for m in result.milestones] == ["done", "pending"]
    assert (result.completion, result.overdue) == ("substantial", [])
    assert (result.status_en, result.status_th) == ("Substantial", "มาก")
    assert (result.note_en, result.note_th) == (None, None)


def test_an_overdue_milestone_without_evidence_is_named_not_assessable(config: OgpConfig) -> None:
    result = _assessed(config, date(2026, 5, 31), b=None)  # "b" unknown: no evidence either way
    assert [(m.status, m.assessable) for m in result.milestones] == [
        ("done", True),
        ("overdue", False),
    ]
    assert result.status_en == "Substantial, behind schedule"
    assert (result.note_en or "").endswith("C2.2 (due 2026-05-31, not assessable)")
    assert (result.note_th or "").endswith("C2.2 (กำหนด 2026-05-31, ประเมินไม่ได้)")

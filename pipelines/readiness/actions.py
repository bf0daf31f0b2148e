"""What to do next: every step the report's results call for, grouped by kind, most decisive
kind first (eligibility points, then the inputs a verdict rests on, the Values Check, overdue
milestones, then the agencies, weakest first). Nothing is dropped: the page may fold a long
group, never shorten it (a step missing from the list reads as a step not needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.eligibility import EligibilityAssessment
from pipelines.readiness.indicators import AgencyScorecard
from pipelines.readiness.scoring import CommitmentAssessment
from pipelines.readiness.values_check import ValuesCheckAssessment

# The kinds, in the order the page shows them (wording.VOCABULARY["action"] names each one).
KINDS = ("points", "verify", "values", "overdue", "agency")


class Action(BaseModel):
    model_config = ConfigDict(frozen=True)

    priority: int
    kind: str = "points"
    subject: str | None = None  # an agency's code: the page shows its registry names
    text_th: str
    text_en: str
    evidence: list[str]


def next_steps(
    eligibility: EligibilityAssessment,
    values_check: ValuesCheckAssessment,
    commitments: Sequence[CommitmentAssessment],
    agencies: Sequence[AgencyScorecard],
) -> list[Action]:
    """Every next step, numbered in the order of :data:`KINDS` (``agencies``: weakest first)."""
    todo: list[tuple[str, str, str, list[str], str | None]] = []
    for c in eligibility.criteria:
        for gain in c.improvements:
            th = f"{c.name_th}: {gain.what_th} (+{gain.points} คะแนน)"
            en = f"{c.name_en}: {gain.what_en} (+{gain.points} points)"
            todo.append(("points", th, en, gain.evidence, None))
    for confirm in eligibility.to_confirm:
        todo.append(("verify", confirm.what_th, confirm.what_en, confirm.evidence, None))
    for value in values_check.to_confirm:
        todo.append(("values", value.what_th, value.what_en, value.evidence, None))
    for commitment in commitments:
        for m in commitment.milestones:
            if m.status == "overdue":
                th = f"{m.id} เลยกำหนด {m.due.isoformat()}: {m.title_th}"
                en = f"{m.id} overdue since {m.due.isoformat()}: {m.title_en}"
                todo.append(("overdue", th, en, m.evidence, None))
    for agency in agencies:
        missing = [f for f in agency.oit_items.values() if not f.value]
        if missing:
            th = "เผยแพร่ " + "; ".join(item_name(f.label_th) for f in missing)
            en = "publish " + "; ".join(item_name(f.label_en) for f in missing)
            todo.append(("agency", th, en, [agency.url], agency.agency))
    todo.sort(key=lambda step: KINDS.index(step[0]))  # stable: each kind keeps its order
    return [
        Action(
            priority=number,
            kind=kind,
            subject=subject,
            text_th=th,
            text_en=en,
            evidence=list(dict.fromkeys(evidence)),
        )
        for number, (kind, th, en, evidence, subject) in enumerate(todo, start=1)
    ]


def grouped(actions: Sequence[Action]) -> list[tuple[str, list[Action]]]:
    """The steps by kind, in the order of :data:`KINDS` (every step, each once)."""
    groups: Mapping[str, list[Action]] = {k: [a for a in actions if a.kind == k] for k in KINDS}
    return [(kind, steps) for kind, steps in groups.items() if steps]


def item_name(label: str) -> str:
    """An OIT item's label without its key when no confirmed number names it (the key is
    for machines: ``budget_spending_plan Budget spending plan`` -> ``Budget spending plan``)."""
    head, _, rest = label.partition(" ")
    return rest if "_" in head and rest else label

"""What to do next: every step the report's results call for, grouped by kind, most decisive
kind first (eligibility points, then the inputs a verdict rests on, the Values Check, data
blocked or late, the national forum, the OIT mapping, co-creation inputs, overdue milestones,
the agencies' missing items, then every other figure that is not yet sound). Nothing is
dropped: the page may fold a long group, never shorten it (a step missing from the list reads
as a step not needed).

Steps beyond the eligibility and commitment assessments are derived from the figures'
statuses (:func:`figure_steps`): any figure unknown, provisional or failed gives a step, and a
figure whose value shows a shortfall (a partition blocked for personal data, partitions late
by their content) gives its own kind of step. A new figure therefore cannot miss its step:
unless its key is named in :data:`KIND_OF` it falls in the ``figures`` kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.eligibility import EligibilityAssessment
from pipelines.readiness.figures import Figure
from pipelines.readiness.indicators import AgencyScorecard
from pipelines.readiness.scoring import CommitmentAssessment
from pipelines.readiness.values_check import ValuesCheckAssessment

# The kinds, in the order the page shows them (wording.VOCABULARY["action"] names each one).
KINDS = (
    "points",
    "verify",
    "values",
    "blocked",
    "late",
    "national",
    "mapping",
    "cocreation",
    "overdue",
    "agency",
    "figures",
)
NOT_SOUND = ("unknown", "provisional", "fail")
# figures with a kind of their own; every other figure that is not sound is a ``figures`` step
KIND_OF = {
    "partitions_blocked_personal_data": "blocked",
    "privacy_incidents_blocked": "blocked",
    "timeliness": "late",
    "cocreation_national_standards_met": "national",
    "oit_mapping": "mapping",
    "cocreation_inputs_met": "cocreation",
}
# figures whose status follows another figure's step, so they give none of their own: the
# eligibility criteria and the Values Check (steps "verify"/"values" from their assessments),
# the count of inputs to verify (those same steps), a national standard (the national forum's
# step), an agency's OIT coverage and score (the OIT mapping's step and the items to publish)
FOLLOWS = ("eligibility_", "values_check", "inputs_verified", "cocreation_national_standard_")
FOLLOWS_MAPPING = ("oit_", "score")
# the fixed words of a kind's step; the figure's own note follows them
WORDS: dict[str, tuple[str, str]] = {
    "blocked": (
        "ลบข้อมูลส่วนบุคคลออกแล้วส่งไฟล์ที่ถูกระงับใหม่",
        "remove the personal data and resend the blocked file",
    ),
    "late": (
        "เผยแพร่ข้อมูลที่เป็นปัจจุบันตามความถี่ที่กำหนด",
        "publish current data at the declared frequency",
    ),
    "national": (
        "บันทึกหน่วยงานเจ้าภาพเวทีระดับชาติในข้อมูลนำเข้า",
        "record the host of the national forum in the inputs",
    ),
    "mapping": (
        "ยืนยันเลขข้อ OIT ของปีประเมินจากคู่มือ ITA ของปีนั้น",
        "confirm the OIT item numbers from the assessment year's ITA manual",
    ),
    "cocreation": (
        "ป้อนและยืนยันข้อมูลการร่วมสร้างกับเอกสารเฉพาะ",
        "enter the co-creation inputs and verify each against a specific document",
    ),
}


class Action(BaseModel):
    model_config = ConfigDict(frozen=True)

    priority: int
    kind: str = "points"
    subject: str | None = None  # an agency's code: the page shows its registry names
    text_th: str
    text_en: str
    evidence: list[str]


Step = tuple[str, str, str, list[str], str | None]  # kind, Thai, English, evidence, agency


def next_steps(
    eligibility: EligibilityAssessment,
    values_check: ValuesCheckAssessment,
    commitments: Sequence[CommitmentAssessment],
    agencies: Sequence[AgencyScorecard],
    figures: Iterable[tuple[str | None, Figure]] = (),
) -> list[Action]:
    """Every next step, numbered in the order of :data:`KINDS` (``agencies``: weakest first).
    ``figures``: every other figure of the report with its agency (None: portal-wide); the
    agencies' scorecard figures are read from ``agencies``."""
    todo: list[Step] = []
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
    scorecards = [(a.agency, f) for a in agencies for f in a.figures.values()]
    todo += figure_steps([*figures, *scorecards])
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


def kind_of(f: Figure) -> str | None:
    """The kind of step a figure calls for; None when it calls for none (sound, or its step
    comes from another figure)."""
    kind = KIND_OF.get(f.key)
    if kind in ("blocked", "late"):
        return kind if shortfall(f) or f.status in NOT_SOUND else None
    if f.status not in NOT_SOUND:
        return None
    if kind is not None:
        return kind
    if f.key.startswith(FOLLOWS) or f.key.startswith(FOLLOWS_MAPPING):
        return None
    return "figures"


def shortfall(f: Figure) -> bool:
    """A partition blocked (a count above 0), or fewer timely than received (n < N)."""
    if f.unit == "count":
        return isinstance(f.value, int | float) and f.value > 0
    return f.numerator is not None and f.denominator is not None and f.numerator < f.denominator


def figure_steps(figures: Iterable[tuple[str | None, Figure]]) -> list[Step]:
    """The steps the figures call for, one per figure and agency; a figure shown twice (in a
    section and among the portal figures) gives one step. The figure's note says what is
    missing, its evidence is the step's."""
    steps: dict[tuple[str, str, str, str | None], Step] = {}
    for agency, f in figures:
        kind = kind_of(f)
        if kind is None or (kind in ("blocked", "late") and agency is None):
            continue  # blocked and late data: a step for each agency, not one for the portal
        th, en = _texts(kind, f, agency)
        steps.setdefault((kind, th, en, agency), (kind, th, en, list(f.evidence), agency))
    # one "blocked" step per agency (two figures count the same partitions)
    seen: set[str | None] = set()
    kept: list[Step] = []
    for step in steps.values():
        if step[0] == "blocked":
            if step[4] in seen:
                continue
            seen.add(step[4])
        kept.append(step)
    return kept


def _labels(f: Figure, agency: str | None) -> tuple[str, str]:
    """The figure's labels without the agency a per-agency label ends with (the step names
    its agency as its subject): ``..., agency: dla`` -> ``...``."""
    th, en = f.label_th, f.label_en
    if agency is None:
        return th, en
    tail = f": {agency}"
    if th.endswith(tail) and en.endswith(tail):
        th, en = th.removesuffix(tail), en.removesuffix(tail)
        th, en = th.removesuffix(" หน่วยงาน"), en.removesuffix(", agency")
    return th, en


def _texts(kind: str, f: Figure, agency: str | None = None) -> tuple[str, str]:
    label_th, label_en = _labels(f, agency)
    counts = f" ({f.numerator}/{f.denominator})" if f.ratio else ""
    note_th = f": {f.note_th}" if f.note_th else ""
    note_en = f": {f.note_en}" if f.note_en else ""
    if kind in ("blocked", "late"):  # the note, when the figure has one, names the data
        return f"{WORDS[kind][0]}{counts}{note_th}", f"{WORDS[kind][1]}{counts}{note_en}"
    if kind in WORDS:
        return f"{WORDS[kind][0]}{note_th}", f"{WORDS[kind][1]}{note_en}"
    return (
        f"ทำให้ตัวเลขนี้ครบถ้วนหรือยืนยันได้: {label_th}{note_th}",
        f"complete or confirm this figure: {label_en}{note_en}",
    )


def grouped(actions: Sequence[Action]) -> list[tuple[str, list[Action]]]:
    """The steps by kind, in the order of :data:`KINDS` (every step, each once)."""
    groups: Mapping[str, list[Action]] = {k: [a for a in actions if a.kind == k] for k in KINDS}
    return [(kind, steps) for kind, steps in groups.items() if steps]


def item_name(label: str) -> str:
    """An OIT item's label without its key when no confirmed number names it (the key is
    for machines: ``budget_spending_plan Budget spending plan`` -> ``Budget spending plan``)."""
    head, _, rest = label.partition(" ")
    return rest if "_" in head and rest else label

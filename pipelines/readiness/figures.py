"""A figure: one number (or fact) in the report, always with the evidence behind it, the counts
it was computed from, its status, and the labels of every figure key.

Other modules register the labels of their own figure keys at import with ``register_labels``
(or ``register_prefix`` for keys with a variable tail), so no one edits the tables here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.thai import ce_to_be, fiscal_year

FigureValue = float | int | str | bool | None

Status = Literal["ok", "provisional", "unknown", "fail", "not_applicable"]
"""ok: computed from complete evidence; provisional: computed, but an input is incomplete or
unverified; unknown: cannot be computed honestly (no value); fail: computed and below the bar;
not_applicable: the figure does not apply (no value)."""

STATUSES: tuple[str, ...] = ("ok", "provisional", "unknown", "fail", "not_applicable")
NO_VALUE: frozenset[str] = frozenset({"unknown", "not_applicable"})


class Figure(BaseModel):
    """A reported value and where anyone can check it.

    ``evidence`` holds URLs (CKAN dataset/resource pages, input sources) or repository paths of
    local pipeline outputs; it may never be empty, so a figure without evidence cannot exist.

    A share (``unit == "share"``) built from counts carries ``numerator`` and ``denominator``
    (n/N): its value is exactly n/N, and with N = 0 it has no value (status unknown or
    not_applicable). ``status`` defaults to "ok" with a value and "unknown" without one.
    Notes are bilingual (``note_th``/``note_en``); ``note=`` is still accepted as the English
    note, and ``.note`` reads it.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    label_th: str
    label_en: str
    value: FigureValue
    unit: str = Field(description="share (0..1), count, points, stars, score, year, text or bool")
    evidence: list[str] = Field(min_length=1)
    verified: bool = True
    numerator: int | None = Field(default=None, ge=0)
    denominator: int | None = Field(default=None, ge=0)
    status: Status = "ok"
    note_th: str | None = None
    note_en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_note_and_default_status(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "note" in data:
            legacy = data.pop("note")
            if legacy is not None and data.get("note_en") is None:
                data["note_en"] = legacy
        if "status" not in data or data["status"] is None:
            data["status"] = "ok" if data.get("value") is not None else "unknown"
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Figure:
        if self.status in NO_VALUE and self.value is not None:
            raise ValueError(f"{self.key}: status {self.status} has no value, got {self.value!r}")
        if self.value is None and self.status not in NO_VALUE:
            raise ValueError(f"{self.key}: no value needs status unknown or not_applicable")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError(f"{self.key}: numerator and denominator come together")
        if self.numerator is not None and self.denominator is not None:
            if self.numerator > self.denominator:
                raise ValueError(f"{self.key}: {self.numerator}/{self.denominator} exceeds 1")
            if self.unit == "share":
                if self.denominator == 0:
                    if self.value is not None:
                        raise ValueError(f"{self.key}: a share of nothing (n/0) has no value")
                elif self.value is None or not isinstance(self.value, int | float):
                    if self.status not in NO_VALUE:
                        raise ValueError(f"{self.key}: a share needs a number")
                elif not math.isclose(
                    float(self.value), self.numerator / self.denominator, abs_tol=1e-9
                ):
                    raise ValueError(
                        f"{self.key}: value {self.value} is not {self.numerator}/{self.denominator}"
                    )
        return self

    @property
    def has_data(self) -> bool:
        return self.value is not None

    def with_note(self, th: str, en: str, **update: Any) -> Figure:
        """This figure with ``th`` / ``en`` added to its notes (and any other ``update``)."""
        notes = {
            "note_th": "; ".join(filter(None, [self.note_th, th])),
            "note_en": "; ".join(filter(None, [self.note_en, en])),
        }
        return self.model_copy(update={**notes, **update})

    @property
    def note(self) -> str | None:
        """The English note (the field the report used before notes were bilingual)."""
        return self.note_en

    @property
    def ratio(self) -> str | None:
        """``n/N`` when the figure carries its counts."""
        if self.numerator is None or self.denominator is None:
            return None
        return f"{self.numerator}/{self.denominator}"


LABELS: dict[str, tuple[str, str]] = {
    "oit_coverage": ("ความครบถ้วนของการเผยแพร่ตาม OIT", "Required publications present (OIT)"),
    "timeliness": ("ความทันเวลาของการปรับปรุงข้อมูล", "Timeliness of updates"),
    "validation_pass_rate": ("อัตราการผ่านการตรวจสอบข้อมูล", "Validation pass rate"),
    "openness_stars_mean": ("ระดับความเปิดเผยเฉลี่ย (ดาว)", "Mean openness (stars)"),
    "openness_share": ("ระดับความเปิดเผยเทียบกับสูงสุด", "Openness (share of maximum stars)"),
    "datastore_share": ("สัดส่วนข้อมูลตารางที่เรียกผ่าน API ได้", "Tables available through the API"),
    "privacy_incidents_blocked": ("ข้อมูลส่วนบุคคลที่ถูกสกัดกั้น", "Personal-data incidents blocked"),
    "partitions_received": ("ชุดข้อมูลที่ได้รับจากหน่วยงาน", "Partitions received from agencies"),
    "partitions_awaiting": ("ชุดข้อมูลที่ยังรอการส่ง", "Partitions awaiting data"),
    "partitions_blocked_personal_data": (
        "ชุดข้อมูลที่ถูกระงับการเผยแพร่เพราะพบข้อมูลส่วนบุคคล",
        "Partitions blocked for personal data",
    ),
    "values_masked_before_publication": (
        "ค่าข้อมูลส่วนบุคคลที่ถูกปกปิดก่อนเผยแพร่",
        "Personal-data values masked before publication",
    ),
    "red_flag_rate": ("อัตราโครงการที่มีสัญญาณเตือน", "Procurement red-flag rate"),
    "agencies_with_red_flags": ("หน่วยงานที่มีผลวิเคราะห์สัญญาณเตือน", "Agencies with red-flag analysis"),
    "agencies_total": ("จำนวนหน่วยงานตามทะเบียนหน่วยงาน", "Agencies of the agency registry"),
    "agencies_without_organization": (
        "หน่วยงานที่ยังไม่มีองค์กรบนพอร์ทัล",
        "Agencies with no organization on the portal",
    ),
    "score": ("คะแนนรวมของหน่วยงาน", "Agency score"),
    "ati_law": ("กฎหมายว่าด้วยการเข้าถึงข้อมูลข่าวสาร", "Access-to-information law"),
    "cpi_latest": ("ดัชนีการรับรู้การทุจริต (CPI) ล่าสุด", "Corruption Perceptions Index, latest"),
}


# Per family (the key's tail; labelled with the contract's title): publishing, awaiting data (no
# file received yet: a normal state), blocked, timeliness.
PER_FAMILY: dict[str, tuple[str, str]] = {
    "agencies_publishing_": ("หน่วยงานที่เผยแพร่", "Agencies publishing"),
    "agencies_awaiting_": ("หน่วยงานที่ยังไม่ได้ส่งข้อมูล", "Agencies awaiting data"),
    "agencies_blocked_": ("หน่วยงานที่ข้อมูลไม่ผ่านการตรวจสอบ", "Agencies blocked by checks"),
    "timeliness_": ("ความทันเวลาของการปรับปรุงข้อมูล", "Timeliness of updates"),
}


@cache
def family_titles() -> dict[str, tuple[str, str]]:
    """Each dataset family's Thai and English title, from its contract."""
    from pipelines.contracts import load_specs

    return {name: (spec.title.th, spec.title.en) for name, spec in load_specs().items()}


def register_labels(labels: Mapping[str, tuple[str, str]]) -> None:
    """Add the Thai and English labels of a module's figure keys (call at import). Registering
    the same labels again is a no-op; different labels for a registered key are refused."""
    for key, pair in labels.items():
        th, en = pair
        if not th.strip() or not en.strip():
            raise ValueError(f"{key}: both a Thai and an English label are needed")
        if LABELS.get(key, (th, en)) != (th, en):
            raise ValueError(f"{key}: already labelled {LABELS[key]}")
        LABELS[key] = (th, en)


def register_prefix(prefix: str, th: str, en: str) -> None:
    """Label every key starting with ``prefix``: the tail is appended to both labels."""
    if PER_FAMILY.get(prefix, (th, en)) != (th, en):
        raise ValueError(f"{prefix}: already labelled {PER_FAMILY[prefix]}")
    PER_FAMILY[prefix] = (th, en)


def label(key: str) -> tuple[str, str]:
    """The Thai and English label of a figure key."""
    if key in LABELS:
        return LABELS[key]
    for prefix, (th, en) in PER_FAMILY.items():
        if key.startswith(prefix):
            tail = key.removeprefix(prefix)
            tail_th, tail_en = family_titles().get(tail, (tail, tail))
            return f"{th}: {tail_th}", f"{en}: {tail_en}"
    raise KeyError(f"no label for figure key {key!r}: register it with register_labels")


def figure(
    key: str,
    value: FigureValue,
    unit: str,
    evidence: Iterable[str],
    *,
    verified: bool = True,
    numerator: int | None = None,
    denominator: int | None = None,
    status: Status | None = None,
    note_th: str | None = None,
    note_en: str | None = None,
    note: str | None = None,
) -> Figure:
    """A labelled figure; repeated evidence is kept once, in order. ``note`` is the English
    note (kept for callers written before notes were bilingual)."""
    th, en = label(key)
    return Figure(
        key=key,
        label_th=th,
        label_en=en,
        value=value,
        unit=unit,
        evidence=list(dict.fromkeys(evidence)),
        verified=verified,
        numerator=numerator,
        denominator=denominator,
        status=status,
        note_th=note_th,
        note_en=note_en if note_en is not None else note,
    )


def share(
    key: str,
    numerator: int,
    denominator: int,
    evidence: Iterable[str],
    *,
    verified: bool = True,
    status: Status | None = None,
    note_th: str | None = None,
    note_en: str | None = None,
) -> Figure:
    """A share n/N with its counts. N = 0, or a status unknown/not_applicable, gives no value
    (status unknown unless told not_applicable); otherwise status is ``status`` or, by
    default, ok when verified and provisional when not."""
    if denominator == 0 or status in NO_VALUE:
        value: float | None = None
        chosen: Status = status if status == "not_applicable" else "unknown"
    else:
        value = numerator / denominator
        chosen = status or ("ok" if verified else "provisional")
    return figure(
        key,
        value,
        "share",
        evidence,
        verified=verified,
        numerator=numerator,
        denominator=denominator,
        status=chosen,
        note_th=note_th,
        note_en=note_en,
    )


def counted_share(
    key: str,
    counts: Sequence[bool | None],
    evidence: Iterable[str],
    *,
    unknown_th: str,
    unknown_en: str,
) -> Figure:
    """A share over counted items (True counts; False and None — unknown — do not). Some
    unknown: provisional, with a note saying how many; all unknown: unknown (no value)."""
    n, total = sum(c is True for c in counts), len(counts)
    unknown = sum(c is None for c in counts)
    if total and unknown == total:
        return share(
            key,
            n,
            total,
            evidence,
            status="unknown",
            note_th=f"{unknown_th}: ทั้ง {total} รายการ",
            note_en=f"{unknown_en}: all {total}",
        )
    if not unknown:
        return share(key, n, total, evidence)
    return share(
        key,
        n,
        total,
        evidence,
        status="provisional",
        note_th=f"{unknown_th}: {unknown} จาก {total} รายการ นับเป็นไม่ผ่าน",
        note_en=f"{unknown_en}: {unknown} of {total}, counted as not met",
    )


PER_PARTITION: tuple[str, ...] = ("timeliness", "validation_pass_rate", "datastore_share")
"""Scorecard shares counted over partitions: for the score, their denominators are the
expected partitions (received + awaiting), so a partition awaiting data counts 0."""


def composite_score(
    figures: Mapping[str, Figure], weights: Mapping[str, float], awaiting: int
) -> Figure:
    """Weighted sum of the scorecard shares; a figure without a value counts 0 and makes the
    score provisional. In the score, a partition share counts every expected partition: the
    ``awaiting`` ones (expected, nothing received) count 0, so sending nothing never scores
    better than sending and being blocked (the figures themselves keep awaiting apart)."""

    def part(key: str) -> float:
        fig = figures[key]
        if key in PER_PARTITION and awaiting and fig.denominator is not None:
            return (fig.numerator or 0) / (fig.denominator + awaiting)
        return float(fig.value or 0)

    value = sum(weight * part(key) for key, weight in weights.items())
    evidence = [url for key in weights for url in figures[key].evidence]
    shaky = [key for key in weights if figures[key].status != "ok"]
    th_awaiting = f"; รอข้อมูล {awaiting} ชุด นับเป็น 0" if awaiting else ""
    en_awaiting = f"; {awaiting} partitions awaiting data count 0" if awaiting else ""
    if not shaky:
        return figure(
            "score",
            round(value, 4),
            "share",
            evidence,
            note_th=th_awaiting[2:] or None,
            note_en=en_awaiting[2:] or None,
        )
    th = ", ".join(figures[key].label_th for key in shaky)
    en = ", ".join(figures[key].label_en for key in shaky)
    return figure(
        "score",
        round(value, 4),
        "share",
        evidence,
        status="provisional",
        note_th=f"เบื้องต้น: {th} ยังไม่สมบูรณ์ (นับเป็น 0 เมื่อไม่ทราบ){th_awaiting}",
        note_en=f"provisional: {en} incomplete (unknown counts as 0){en_awaiting}",
    )


@dataclass(frozen=True)
class YearLag:
    """The assessed fiscal year (CE) against the report date's (``report_year``)."""

    assessed: int
    report_year: int

    @classmethod
    def at(cls, assessed: int, as_of: date) -> YearLag:
        return cls(assessed, fiscal_year(as_of))

    @property
    def years(self) -> int:
        return self.report_year - self.assessed

    def noted(self, fig: Figure) -> Figure:
        """``fig`` (computed for the assessed year) with how many fiscal years that lags the
        report's in its notes; lagging more than one year (the latest fiscal year whose data can
        be due is the one before the report's), a figure with a value is provisional. No lag:
        ``fig`` unchanged."""
        lag = self.years
        if lag <= 0:
            return fig
        th = f"ปีงบประมาณที่ประเมิน พ.ศ. {ce_to_be(self.assessed)} ช้ากว่าปีงบประมาณ ณ วันที่รายงาน"
        th += f" (พ.ศ. {ce_to_be(self.report_year)}) {lag} ปี"
        en = f"assessed fiscal year {self.assessed} is {lag} year{'s' * (lag > 1)} behind"
        en += f" the report date's ({self.report_year})"
        if lag > 1 and fig.status in ("ok", "fail"):
            return fig.with_note(th, en, status="provisional")
        return fig.with_note(th, en)

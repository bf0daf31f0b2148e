"""A figure: one number (or fact) in the report, always with the evidence behind it, and the
labels of every figure key."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

FigureValue = float | int | str | bool | None


class Figure(BaseModel):
    """A reported value and where anyone can check it.

    ``evidence`` holds URLs (CKAN dataset/resource pages, input sources) or repository paths of
    local pipeline outputs; it may never be empty, so a figure without evidence cannot exist.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    label_th: str
    label_en: str
    value: FigureValue
    unit: str = Field(description="share (0..1), count, points, stars, score, year, text or bool")
    evidence: list[str] = Field(min_length=1)
    verified: bool = True
    note: str | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None


LABELS: dict[str, tuple[str, str]] = {
    "oit_coverage": ("ความครบถ้วนของการเผยแพร่ตาม OIT", "Required publications present (OIT)"),
    "timeliness": ("ความทันเวลาของการปรับปรุงข้อมูล", "Timeliness of updates"),
    "validation_pass_rate": ("อัตราการผ่านการตรวจสอบข้อมูล", "Validation pass rate"),
    "openness_stars_mean": ("ระดับความเปิดเผยเฉลี่ย (ดาว)", "Mean openness (stars)"),
    "openness_share": ("ระดับความเปิดเผยเทียบกับสูงสุด", "Openness (share of maximum stars)"),
    "datastore_share": ("สัดส่วนข้อมูลตารางที่เรียกผ่าน API ได้", "Tables available through the API"),
    "privacy_incidents_blocked": ("ข้อมูลส่วนบุคคลที่ถูกสกัดกั้น", "Personal-data incidents blocked"),
    "red_flag_rate": ("อัตราโครงการที่มีสัญญาณเตือน", "Procurement red-flag rate"),
    "agencies_with_red_flags": ("หน่วยงานที่มีผลวิเคราะห์สัญญาณเตือน", "Agencies with red-flag analysis"),
    "agencies_total": ("จำนวนหน่วยงานบนพอร์ทัล", "Agencies on the portal"),
    "score": ("คะแนนรวมของหน่วยงาน", "Agency score"),
    "ati_law": ("กฎหมายว่าด้วยการเข้าถึงข้อมูลข่าวสาร", "Access-to-information law"),
    "cpi_latest": ("ดัชนีการรับรู้การทุจริต (CPI) ล่าสุด", "Corruption Perceptions Index, latest"),
    "cocreation_standards_met": ("มาตรฐานการมีส่วนร่วมและการร่วมสร้างที่ผ่าน", "Co-creation standards met"),
}


def label(key: str) -> tuple[str, str]:
    """The Thai and English label of a figure key."""
    for prefix, (th, en) in PER_FAMILY.items():
        if key.startswith(prefix):
            family = key.removeprefix(prefix)
            return f"{th} {family}", f"{en} {family}"
    return LABELS[key]


# Coverage per family: publishing, awaiting data (no file received yet: a normal state), blocked.
PER_FAMILY: dict[str, tuple[str, str]] = {
    "agencies_publishing_": ("หน่วยงานที่เผยแพร่ข้อมูล", "Agencies publishing"),
    "agencies_awaiting_": ("หน่วยงานที่ยังไม่ได้ส่งข้อมูล", "Agencies awaiting data for"),
    "agencies_blocked_": ("หน่วยงานที่ข้อมูลไม่ผ่านการตรวจสอบ", "Agencies blocked by checks for"),
}


def figure(
    key: str,
    value: FigureValue,
    unit: str,
    evidence: Iterable[str],
    *,
    verified: bool = True,
    note: str | None = None,
) -> Figure:
    """A labelled figure; repeated evidence is kept once, in order."""
    th, en = label(key)
    return Figure(
        key=key,
        label_th=th,
        label_en=en,
        value=value,
        unit=unit,
        evidence=list(dict.fromkeys(evidence)),
        verified=verified,
        note=note,
    )

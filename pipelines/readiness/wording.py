"""The report's words: every status, outcome, level and unit a figure can carry, in Thai and
English. The templates never print a raw key: they ask :func:`term`, and a key without words
fails the render (KeyError) instead of reaching a reader as ``no_evidence``."""

from __future__ import annotations

from typing import Any

Words = tuple[str, str]

VOCABULARY: dict[str, dict[str, Words]] = {
    # eligibility and Values Check verdicts
    "outcome": {
        "pass": ("ผ่าน", "pass"),
        "fail": ("ไม่ผ่าน", "fail"),
        "provisional": ("เบื้องต้น (รอยืนยันข้อมูล)", "provisional (inputs to confirm)"),
        "not_enough_data": ("ข้อมูลไม่พอ", "not enough data"),
        "unknown": ("ไม่ทราบ", "unknown"),
    },
    # an eligibility criterion's or a Values Check indicator's input
    "criterion_state": {
        "verified": ("ยืนยันกับเอกสารแล้ว", "verified against a document"),
        "unverified": ("ยังไม่ยืนยัน", "unverified"),
        "not_entered": ("ยังไม่ได้กรอก", "not entered"),
        "not_covered": ("ดัชนีไม่ครอบคลุมประเทศนี้", "the index does not cover the country"),
    },
    # a figure's status (pipelines/readiness/figures.py)
    "status": {
        "ok": ("ยืนยันแล้ว", "confirmed"),
        "provisional": ("เบื้องต้น", "provisional"),
        "unknown": ("ไม่ทราบ", "unknown"),
        "fail": ("ไม่ผ่าน", "fail"),
        "not_applicable": ("ไม่เกี่ยวข้อง", "not applicable"),
    },
    # IRM completion scale (OGP IRM: No Evidence Available ... Complete)
    "completion": {
        "no_evidence": ("ไม่มีหลักฐาน", "No Evidence Available"),
        "not_started": ("ยังไม่เริ่ม", "Not Started"),
        "limited": ("จำกัด", "Limited"),
        "substantial": ("มาก", "Substantial"),
        "complete": ("เสร็จสมบูรณ์", "Complete"),
    },
    # IRM potential for results
    "potential": {
        "unclear": ("ไม่ชัดเจน", "Unclear"),
        "modest": ("ปานกลาง", "Modest"),
        "substantial": ("สูง", "Substantial"),
    },
    "milestone": {
        "done": ("เสร็จแล้ว", "done"),
        "pending": ("ยังไม่ถึงกำหนด", "pending"),
        "overdue": ("เลยกำหนด", "overdue"),
    },
    "ogp_value": {
        "access_to_information": ("การเข้าถึงข้อมูลข่าวสาร", "Access to information"),
        "civic_participation": ("การมีส่วนร่วมของพลเมือง", "Civic participation"),
        "public_accountability": ("ความรับผิดชอบต่อสาธารณะ", "Public accountability"),
        "technology_innovation": ("เทคโนโลยีและนวัตกรรม", "Technology and innovation"),
    },
    "family": {
        "budget": ("งบประมาณ", "budget"),
        "procurement": ("จัดซื้อจัดจ้าง", "procurement"),
        "procurement_bids": ("ผู้เสนอราคาจัดซื้อจัดจ้าง", "procurement bids"),
        "decisions": ("การอนุมัติอนุญาต", "decisions"),
        "asset_declarations": ("บัญชีทรัพย์สิน", "asset declarations"),
        "forum_meetings": ("การประชุมเวทีร่วม", "forum meetings"),
    },
    "unit": {
        "share": ("ร้อยละ", "share"),
        "count": ("จำนวน", "count"),
        "points": ("คะแนน", "points"),
        "stars": ("ดาว", "stars"),
        "score": ("คะแนน", "score"),
        "year": ("ปี", "year"),
        "text": ("ข้อความ", "text"),
        "bool": ("ใช่/ไม่ใช่", "yes/no"),
    },
    "bool": {"true": ("ใช่", "yes"), "false": ("ไม่ใช่", "no")},
    # kinds of next step (pipelines/readiness/actions.py), in the order the page shows them
    "action": {
        "points": ("เพิ่มคะแนนคุณสมบัติ", "Gain eligibility points"),
        "verify": ("ป้อนและยืนยันข้อมูลคุณสมบัติ", "Enter and verify eligibility inputs"),
        "values": ("ป้อนและยืนยันข้อมูลการตรวจสอบค่านิยม", "Enter and verify the Values Check"),
        "overdue": ("ขั้นตอนพันธกิจที่เลยกำหนด", "Overdue commitment milestones"),
        "blocked": (
            "ข้อมูลที่ถูกระงับเพราะพบข้อมูลส่วนบุคคล",
            "Data blocked for personal data",
        ),
        "late": ("ข้อมูลที่ไม่ทันเวลาตามเนื้อหา", "Data late by its content"),
        "national": ("เวทีระดับชาติ", "The national forum"),
        "mapping": ("การจับคู่ข้อ OIT ของปีประเมิน", "The OIT item mapping of the year"),
        "cocreation": ("ข้อมูลการร่วมสร้าง", "Co-creation inputs"),
        "agency": ("หน่วยงานที่ยังเผยแพร่ข้อมูลไม่ครบ", "Agencies with items to publish"),
        "figures": (
            "ตัวเลขที่ยังไม่ครบถ้วนหรือยังไม่ยืนยัน",
            "Figures still unknown or provisional",
        ),
    },
    # text values of input figures (eligibility levels of access to information)
    "value": {
        "law": ("มีกฎหมาย", "law in force"),
        "constitutional": ("บทบัญญัติในรัฐธรรมนูญ", "constitutional provision"),
        "draft_law": ("ร่างกฎหมาย", "draft law"),
        "none": ("ไม่มี", "none"),
    },
}

OPERATORS: dict[str, Words] = {
    ">=": ("อย่างน้อย", "at least"),
    ">": ("มากกว่า", "more than"),
    "<=": ("ไม่เกิน", "at most"),
    "<": ("น้อยกว่า", "less than"),
    "==": ("เท่ากับ", "equal to"),
}

NO_DATA: Words = ("ไม่มีข้อมูล", "no data")


def term(kind: str, key: Any) -> Words:
    """Thai and English words for ``key`` of ``kind`` (KeyError when a key has no words)."""
    if isinstance(key, bool):
        key = "true" if key else "false"
    return VOCABULARY[kind][str(key)]


def family_words(family: str) -> Words:
    """A data family's name; an unknown family keeps its name in both languages, spaced."""
    return VOCABULARY["family"].get(family, (family.replace("_", " "), family.replace("_", " ")))

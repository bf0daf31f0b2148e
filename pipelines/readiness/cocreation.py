"""The five OGP Participation and Co-Creation Standards (2022), assessed per agency from its
published ``forum_meetings`` family and the portal.

The standards and their minimum requirements are data (``datasets/ogp/cocreation_standards.yaml``,
with the public source); each requirement names how it is assessed, or ``not_assessed`` when
this project holds no data for it. A requirement is ``met``, ``not_met`` or ``not_assessed``;
a standard is met only when every requirement is met, not met when one is not met, and
otherwise not assessed — never met on missing evidence. Meetings after the report date are
ignored; windows end on the report date.

The standards apply to the country's OGP process, its multi-stakeholder forum: the national
figures are :mod:`pipelines.readiness.cocreation_national`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from pipelines.readiness.facts import PortalSnapshot
from pipelines.readiness.figures import Figure, figure, register_prefix, share
from pipelines.readiness.published import PublishedRows, as_date, as_int, published_rows
from pipelines.yaml_text import load_yaml

FAMILY = "forum_meetings"
COLUMNS = (
    "meeting_id",
    "meeting_date",
    "meeting_type",
    "government_participants",
    "civil_society_participants",
    "minutes_url",
)
FORUM = frozenset({"regular", "extraordinary"})
COCREATION = frozenset({"public_consultation", "co_creation_workshop"})
STANDARDS_FILE = "cocreation_standards.yaml"
BUILT_IN = frozenset({"not_assessed", "document_repository"})  # not a meetings assessor

Verdict = Literal["met", "not_met", "not_assessed"]
WORDS: dict[str, tuple[str, str]] = {
    "met": ("ผ่าน", "met"),
    "not_met": ("ไม่ผ่าน (ไม่พบหลักฐาน)", "not met (no evidence)"),
    "not_assessed": ("ไม่ได้ประเมิน (ไม่มีข้อมูล)", "not assessed (no data)"),
}

STANDARDS_MET = "cocreation_standards_met_"
REQUIREMENTS_MET = "cocreation_requirements_met_"
register_prefix(
    STANDARDS_MET, "มาตรฐานการร่วมสร้างของ OGP ที่ผ่าน หน่วยงาน", "OGP co-creation standards met, agency"
)
register_prefix(
    REQUIREMENTS_MET,
    "ข้อกำหนดขั้นต่ำของมาตรฐานการร่วมสร้างที่ผ่าน (เฉพาะที่ประเมินได้) หน่วยงาน",
    "Co-creation minimum requirements met (of those assessed), agency",
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Words(_Model):
    th: str
    en: str


class Requirement(_Model):
    id: str
    text: Words
    assess: str
    parameters: dict[str, int] = Field(default_factory=dict)


class Standard(_Model):
    id: str
    name: Words
    requirements: tuple[Requirement, ...] = Field(min_length=1)


class Source(_Model):
    title: str
    url: str
    forum_url: str
    in_force: dt.date


class CocreationStandards(_Model):
    source: Source
    # hosts (a name or a parent domain) of an official site whose documents make a repository
    official_hosts: tuple[str, ...] = Field(min_length=1)
    standards: tuple[Standard, ...] = Field(min_length=5, max_length=5)


class RequirementResult(_Model):
    standard: str
    id: str
    text: Words
    verdict: Verdict
    detail: Words
    evidence: list[str]


class StandardResult(_Model):
    id: str
    name: Words
    verdict: Verdict
    requirements: list[RequirementResult]


def load_standards(ogp_dir: Path) -> CocreationStandards:
    """The standards file; an unknown ``assess`` name is refused with the file named."""
    path = ogp_dir / STANDARDS_FILE
    standards = CocreationStandards.model_validate(load_yaml(path.read_text("utf-8")))
    for standard in standards.standards:
        for requirement in standard.requirements:
            if requirement.assess not in {*ASSESSORS, *BUILT_IN}:
                raise ValueError(f"{path}: requirement {requirement.id}: unknown assess")
    return standards


Meeting = dict[str, Any]
Assessor = Callable[[Sequence[Meeting], Mapping[str, int], dt.date], tuple[bool, str, str]]


def _window(meetings: Sequence[Meeting], days: int, as_of: dt.date) -> list[Meeting]:
    start = as_of - dt.timedelta(days=days)
    return [m for m in meetings if start <= m["date"] <= as_of]


def _both(meeting: Meeting) -> bool:
    return meeting["government"] > 0 and meeting["civil_society"] > 0


def _every_six_months(
    meetings: Sequence[Meeting], p: Mapping[str, int], as_of: dt.date
) -> tuple[bool, str, str]:
    start = as_of - dt.timedelta(days=p["window_days"])
    held = sorted(
        m["date"] for m in meetings if m["type"] in FORUM and _both(m) and m["date"] <= as_of
    )
    before = [d for d in held if d < start]
    points = [before[-1] if before else start, *[d for d in held if d >= start], as_of]
    gap = max((b - a).days for a, b in pairwise(points))
    ok = gap <= p["max_gap_days"] and any(d >= start for d in held)
    return (
        ok,
        f"ช่วงห่างสูงสุดระหว่างการประชุม {gap} วัน",
        f"longest span without a forum meeting: {gap} days",
    )


def _government_and_civil_society(
    meetings: Sequence[Meeting], p: Mapping[str, int], as_of: dt.date
) -> tuple[bool, str, str]:
    held = [m for m in _window(meetings, p["window_days"], as_of) if m["type"] in FORUM]
    both = sum(1 for m in held if _both(m))
    return (
        bool(held) and both == len(held),
        f"{both} จาก {len(held)} ครั้ง",
        f"{both} of {len(held)} meetings",
    )


def _minutes_public(
    meetings: Sequence[Meeting], p: Mapping[str, int], as_of: dt.date
) -> tuple[bool, str, str]:
    held = _window(meetings, p["window_days"], as_of)
    with_minutes = sum(1 for m in held if m["minutes"])
    return (
        bool(held) and with_minutes == len(held),
        f"มีรายงานการประชุม {with_minutes} จาก {len(held)} ครั้ง",
        f"minutes linked for {with_minutes} of {len(held)} meetings",
    )


def _inclusive_cocreation(
    meetings: Sequence[Meeting], p: Mapping[str, int], as_of: dt.date
) -> tuple[bool, str, str]:
    held = [
        m
        for m in _window(meetings, p["window_days"], as_of)
        if m["type"] in COCREATION and m["civil_society"] > 0
    ]
    return (
        bool(held),
        f"การรับฟังความคิดเห็น/ร่วมจัดทำแผน {len(held)} ครั้ง",
        f"{len(held)} public consultations or co-creation workshops",
    )


def _implementation_meetings(
    meetings: Sequence[Meeting], p: Mapping[str, int], as_of: dt.date
) -> tuple[bool, str, str]:
    held = [
        m
        for m in _window(meetings, p["window_days"], as_of)
        if m["type"] in FORUM and m["civil_society"] > 0
    ]
    return (
        len(held) >= p["min_meetings"],
        f"ประชุมร่วมกับภาคประชาสังคม {len(held)} ครั้งในรอบปี",
        f"{len(held)} meetings with civil society in the year",
    )


ASSESSORS: dict[str, Assessor] = {
    "forum_meets_every_six_months": _every_six_months,
    "government_and_civil_society": _government_and_civil_society,
    "minutes_public": _minutes_public,
    "inclusive_cocreation": _inclusive_cocreation,
    "implementation_meetings": _implementation_meetings,
}


def meetings_of(rows: Sequence[Mapping[str, object]]) -> list[Meeting]:
    """The published rows as meetings (date, type, participants, minutes link)."""
    meetings = []
    for row in rows:
        date = as_date(row.get("meeting_date"))
        if date is None:
            continue
        meetings.append(
            {
                "date": date,
                "type": row.get("meeting_type"),
                "government": as_int(row.get("government_participants")) or 0,
                "civil_society": as_int(row.get("civil_society_participants")) or 0,
                "minutes": str(row.get("minutes_url") or "").strip(),
            }
        )
    return meetings


def assess_agency(
    standards: CocreationStandards, published: PublishedRows | None, as_of: dt.date
) -> list[StandardResult]:
    """Each standard's verdict for one agency; without readable published meetings every
    forum-based requirement is not met (no evidence); the document repository is not assessed
    without a minutes document on the portal or an official site."""
    meetings = meetings_of(published.rows or []) if published is not None else []
    evidence = [published.url] if published is not None else []
    hosts = (*standards.official_hosts, *([_host(published.url)] if published else []))
    documents = [m["minutes"] for m in meetings if m["date"] <= as_of and _on(m["minutes"], hosts)]
    results = []
    for standard in standards.standards:
        requirements = [
            _requirement(standard.id, r, meetings, (published, documents), evidence, as_of)
            for r in standard.requirements
        ]
        results.append(
            StandardResult(
                id=standard.id,
                name=standard.name,
                verdict=_combined([r.verdict for r in requirements]),
                requirements=requirements,
            )
        )
    return results


def _requirement(
    standard: str,
    requirement: Requirement,
    meetings: Sequence[Meeting],
    data: tuple[PublishedRows | None, list[str]],
    evidence: list[str],
    as_of: dt.date,
) -> RequirementResult:
    """``data``: the published meetings and the minutes documents they link on the portal or
    an official site."""
    published, documents = data

    def result(verdict: Verdict, th: str, en: str, urls: Sequence[str] = ()) -> RequirementResult:
        return RequirementResult(
            standard=standard,
            id=requirement.id,
            text=requirement.text,
            verdict=verdict,
            detail=Words(th=th, en=en),
            evidence=list(dict.fromkeys([*evidence, *urls])),
        )

    if requirement.assess == "not_assessed":
        return result("not_assessed", "ไม่มีข้อมูลสำหรับประเมินข้อนี้", "no data to assess this")
    if requirement.assess == "document_repository":
        if not documents:  # a meetings dataset alone is not a repository of documents
            return result(
                "not_assessed",
                "ไม่พบเอกสารการประชุม (รายงานการประชุม) บนพอร์ทัลหรือเว็บไซต์ทางการ",
                "no meeting documents (minutes) linked on the portal or an official site",
            )
        return result(
            "met",
            f"รายงานการประชุม {len(documents)} ฉบับบนพอร์ทัลหรือเว็บไซต์ทางการ",
            f"{len(documents)} meeting minutes on the portal or an official site",
            documents[:3],
        )
    if published is None or published.rows is None:
        return result("not_met", "ไม่มีข้อมูลการประชุมที่เผยแพร่", "no published forum meetings")
    ok, th, en = ASSESSORS[requirement.assess](meetings, requirement.parameters, as_of)
    return result("met" if ok else "not_met", th, en)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _on(url: str, hosts: Sequence[str]) -> bool:
    """Whether ``url`` is on one of ``hosts`` (the host itself or a subdomain of it)."""
    host = _host(url)
    return bool(host) and any(host == h or host.endswith(f".{h}") for h in hosts)


def _combined(verdicts: Sequence[Verdict]) -> Verdict:
    if "not_met" in verdicts:
        return "not_met"
    return "met" if all(v == "met" for v in verdicts) else "not_assessed"


def cocreation_figures(
    snapshot: PortalSnapshot, data_dir: Path, ogp_dir: Path, as_of: dt.date
) -> tuple[dict[str, Figure], dict[str, list[StandardResult]]]:
    """Per agency on the portal: standards met (n of 5) and assessed minimum requirements met
    (n/N), and the per-requirement results for the report's table."""
    standards = load_standards(ogp_dir)
    forums = published_rows(snapshot, data_dir, FAMILY, COLUMNS)
    figures: dict[str, Figure] = {}
    results: dict[str, list[StandardResult]] = {}
    for org in snapshot.organizations:
        published = forums.get(org.name)
        assessed = assess_agency(standards, published, as_of)
        results[org.name] = assessed
        evidence = [published.url if published else org.url, standards.source.url]
        requirements = [r for s in assessed for r in s.requirements]
        judged = [r for r in requirements if r.verdict != "not_assessed"]
        unassessed = len(requirements) - len(judged)
        note_th = f"ไม่ได้ประเมิน {unassessed} จาก {len(requirements)} ข้อ (ไม่มีข้อมูล ไม่นับว่าผ่าน)"
        note_en = (
            f"{unassessed} of {len(requirements)} requirements not assessed "
            "(no data; never counted as met)"
        )
        met = sum(1 for s in assessed if s.verdict == "met")
        figures[STANDARDS_MET + org.name] = figure(
            STANDARDS_MET + org.name,
            met,
            "count",
            evidence,
            numerator=met,
            denominator=len(assessed),
            status="provisional" if unassessed else "ok",
            note_th=note_th,
            note_en=note_en,
        )
        figures[REQUIREMENTS_MET + org.name] = share(
            REQUIREMENTS_MET + org.name,
            sum(1 for r in judged if r.verdict == "met"),
            len(judged),
            evidence,
            status="provisional" if unassessed else None,
            note_th=note_th,
            note_en=note_en,
        )
    return figures, results

"""The procurement red-flag rate over what was received (issue 15, item 4).

n = distinct projects with at least one red flag; N = every procurement row that passed the
schema, rows a business rule quarantined included (a contract over its budget is quarantined
and is exactly what a red flag is for). Both come from the integrity stage's ``red_flags.json``
(``rate``, written by :func:`pipelines.integrity.red_flags.flag_rate`), computed over the gate's
``schema_valid.parquet`` — never the clean table.

Evidence is the portal: the ``red-flags.csv`` resource page of ``<agency>-procurement`` (or the
dataset page when the file is not there, which makes the figure provisional). An agency whose
procurement file was received (a gate report exists) but has no computed rate — blocked or
failed at the gate (a rate an earlier run left is not read), or the flags withheld — is
unknown and makes the overall rate provisional, named in the note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.layout import PROCUREMENT, integrity_files, report_json_path
from pipelines.readiness.facts import PortalSnapshot
from pipelines.readiness.figures import Figure, figure, register_prefix, share

RESOURCE = "red-flags.csv"  # the derived resource's name (datasets/procurement/dataset.yaml)
PER_AGENCY = "red_flag_rate_"
OVERALL = "red_flag_rate"  # labelled in figures.LABELS

register_prefix(PER_AGENCY, "อัตราโครงการที่มีสัญญาณเตือน หน่วยงาน", "Procurement red-flag rate, agency")


def read_rate(data_dir: Path, agency: str) -> dict[str, Any] | None:
    """The ``rate`` block of the agency's ``red_flags.json``; None without one."""
    path = integrity_files(data_dir, agency).flags_json
    if not path.is_file():
        return None
    rate = json.loads(path.read_text(encoding="utf-8")).get("rate")
    if not isinstance(rate, Mapping):
        return None
    for name in ("flagged_projects", "screened_rows", "published_rows"):
        value = rate.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{path}: rate.{name} is not a count")
    return dict(rate)


def red_flag_figures(snapshot: PortalSnapshot, data_dir: Path) -> dict[str, Figure]:
    """Per agency on the portal and overall: flagged projects over the rows screened (n/N)."""
    datasets = {d.name: d for d in snapshot.datasets}
    figures: dict[str, Figure] = {}
    flagged = screened = 0
    evidence: list[str] = []
    missing: list[str] = []
    off_portal: list[str] = []
    for org in snapshot.organizations:
        key = PER_AGENCY + org.name
        dataset = datasets.get(f"{org.name}-{PROCUREMENT}")
        report = report_json_path(data_dir, PROCUREMENT, org.name)
        received = report.is_file()
        # a red_flags.json left by an earlier run says nothing of a file blocked or failed now
        rate = None if _stopped(report) else read_rate(data_dir, org.name)
        if rate is None:
            if received:
                missing.append(org.name)
            figures[key] = figure(
                key,
                None,
                "share",
                [dataset.url if dataset else org.url],
                status="unknown",
                note_th="ไม่มีผลวิเคราะห์สัญญาณเตือน"
                + (" (ได้รับข้อมูลแต่ไม่ผ่านการตรวจสอบหรือคำนวณไม่ได้)" if received else ""),
                note_en="no red-flag analysis"
                + (" (data received, but blocked or not computed)" if received else ""),
            )
            continue
        page = (
            next((r.page_url for r in dataset.resources if r.name == RESOURCE), None)
            if dataset
            else None
        )
        links = [page or (dataset.url if dataset else org.url)]
        if page is None:
            off_portal.append(org.name)
        flagged += rate["flagged_projects"]
        screened += rate["screened_rows"]
        evidence.extend(links)
        figures[key] = _rate(
            key, rate["flagged_projects"], rate["screened_rows"], links, rate, page is None
        )
    note_th, note_en = [], []
    if missing:
        note_th.append(f"ไม่มีผลของหน่วยงานที่ได้รับข้อมูล: {', '.join(missing)}")
        note_en.append(f"received but not computed: {', '.join(missing)}")
    if off_portal:
        note_th.append(f"ไฟล์สัญญาณเตือนไม่อยู่บนพอร์ทัล: {', '.join(off_portal)}")
        note_en.append(f"red-flag file not on the portal: {', '.join(off_portal)}")
    figures[OVERALL] = share(
        OVERALL,
        flagged,
        screened,
        evidence or [snapshot.url],
        status="provisional" if (missing or off_portal) and screened else None,
        note_th="; ".join(note_th) or None,
        note_en="; ".join(note_en) or None,
    )
    return figures


def _stopped(report: Path) -> bool:
    """Whether the gate's latest verdict on the received file is blocked or failed."""
    if not report.is_file():
        return False
    status = json.loads(report.read_text(encoding="utf-8")).get("status")
    return status in ("blocked", "failed")


def _rate(
    key: str, flagged: int, screened: int, links: list[str], rate: Mapping[str, Any], off: bool
) -> Figure:
    hidden = list(rate.get("flagged_not_published") or [])
    note_th = (
        f"คำนวณจากทุกแถวที่ผ่านโครงสร้างข้อมูล {screened} แถว (เผยแพร่ {rate['published_rows']} แถว); "
        f"โครงการที่มีสัญญาณเตือนแต่ถูกกักไว้ไม่เผยแพร่ {len(hidden)} โครงการ"
    )
    note_en = (
        f"over every row that passed the schema, {screened} ({rate['published_rows']} published); "
        f"{len(hidden)} flagged project(s) quarantined by a business rule, not published"
    )
    if hidden:
        note_th += f": {', '.join(hidden)}"
        note_en += f": {', '.join(hidden)}"
    if off:
        note_th += "; ไฟล์สัญญาณเตือนไม่อยู่บนพอร์ทัล"
        note_en += "; the red-flag file is not on the portal"
    return share(
        key,
        flagged,
        screened,
        links,
        status="provisional" if off and screened else None,
        note_th=note_th,
        note_en=note_en,
    )

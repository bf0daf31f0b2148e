"""The procurement red-flag rate over what was received (issue 15, item 4).

n = distinct projects with at least one red flag; N = every procurement row that passed the
schema, rows a business rule quarantined included (flagged although never published; a
contract over its budget is a warning since issue 16, published and flagged). Both come from
the integrity stage's ``red_flags.json`` (``rate``, written by
:func:`pipelines.integrity.red_flags.flag_rate`), computed over the gate's
``schema_valid.parquet`` — never the clean table.

Evidence is the portal: the ``red-flags.csv`` resource page of ``<agency>-procurement`` (or the
dataset page when the file is not there, which makes the figure provisional). An agency whose
procurement file was received (a gate report exists) but has no computed rate — blocked or
failed at the gate (a rate an earlier run left is not read), or the flags withheld — is
unknown and makes the overall rate provisional, named in the note. So is a ``red_flags.json`` of
an earlier file (its rows screened differ from the gate's ``schema_valid.parquet``) or of an
earlier flag set (not the flags of ``datasets/procurement/red_flags.yaml``). Flags the integrity
stage could not compute (``not_computable``, each with the reason ``red_flags.json`` gives: no
bids table passed the gate, too few processes, no spread) leave the rate a floor: the agency's
and the overall rate are provisional, the flags and their reasons named.

This module is the one owner of the rate: :func:`rate_figures` is the rule (pure), used by the
scorecards (:func:`pipelines.readiness.indicators.compute_indicators`, over the local reader's
facts) and by :func:`red_flag_figures` (over a data folder); nothing else computes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipelines.integrity.red_flags import load_flag_specs
from pipelines.layout import PROCUREMENT, integrity_files, report_json_path, schema_valid_path
from pipelines.readiness.facts import (
    PortalSnapshot,
    RedFlagSummary,
    ValidationSummary,
    summarize_validation_report,
)
from pipelines.readiness.figures import Figure, figure, register_prefix, share

RESOURCE = "red-flags.csv"  # the derived resource's name (datasets/procurement/dataset.yaml)
PER_AGENCY = "red_flag_rate_"
OVERALL = "red_flag_rate"  # labelled in figures.LABELS
AGENCIES = "agencies_with_red_flags"  # labelled in figures.LABELS

register_prefix(PER_AGENCY, "อัตราโครงการที่มีสัญญาณเตือน หน่วยงาน", "Procurement red-flag rate, agency")


def read_flags_json(data_dir: Path, agency: str) -> dict[str, Any] | None:
    """The agency's ``red_flags.json`` when it has a ``rate`` block of counts; None without."""
    path = integrity_files(data_dir, agency).flags_json
    if not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    rate = document.get("rate")
    if not isinstance(rate, Mapping):
        return None
    for name in ("flagged_projects", "screened_rows", "published_rows"):
        value = rate.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{path}: rate.{name} is not a count")
    return dict(document)


def read_rate(data_dir: Path, agency: str) -> dict[str, Any] | None:
    """The ``rate`` block of the agency's ``red_flags.json``; None without one."""
    document = read_flags_json(data_dir, agency)
    return None if document is None else dict(document["rate"])


def staleness(data_dir: Path, agency: str, document: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why ``red_flags.json`` is not of the current screened table or flag set (Thai, English),
    or None: its rows screened differ from the gate's ``schema_valid.parquet`` row count, or
    the flags it describes are not the flags ``datasets/procurement/red_flags.yaml`` defines."""
    screened = schema_valid_path(data_dir, PROCUREMENT, agency)
    rows = document["rate"]["screened_rows"]
    if screened.is_file():
        current = pq.ParquetFile(screened).metadata.num_rows
        if current != rows:
            return (
                f"ผลวิเคราะห์มาจากไฟล์ก่อนหน้า ({rows} แถว ไฟล์ปัจจุบัน {current} แถว)",
                f"the analysis is of an earlier file ({rows} rows; the current file has {current})",
            )
    described = [f.get("id") for f in document.get("flags") or [] if isinstance(f, Mapping)]
    if described and set(described) != {spec.id for spec in load_flag_specs()}:
        return (
            "ผลวิเคราะห์มาจากชุดสัญญาณเตือนก่อนหน้า (ไม่ตรงกับชุดปัจจุบัน)",
            "the analysis is of an earlier set of red flags (not the current one)",
        )
    return None


def red_flag_summary(
    data_dir: Path, agency: str, shown: Callable[[Path], str] = str
) -> RedFlagSummary | None:
    """Flagged projects over every procurement row that passed the schema (business-rule
    quarantine included), from the agency's ``red_flags.json`` rate block; None without one."""
    document = read_flags_json(data_dir, agency)
    if document is None:
        return None
    rate = document["rate"]
    stale = staleness(data_dir, agency, document)
    return RedFlagSummary(
        projects=rate["screened_rows"],
        flagged_projects=rate["flagged_projects"],
        evidence=shown(integrity_files(data_dir, agency).flags_json),
        published_rows=rate["published_rows"],
        flagged_not_published=[str(p) for p in rate.get("flagged_not_published") or []],
        not_computable=[str(f) for f in document.get("not_computable") or []],
        not_computable_reasons={
            str(f["id"]): str(f["not_computable_reason"])
            for f in document.get("flags") or []
            if isinstance(f, Mapping) and f.get("not_computable_reason")
        },
        stale_th=stale[0] if stale else None,
        stale_en=stale[1] if stale else None,
    )


def red_flag_figures(snapshot: PortalSnapshot, data_dir: Path) -> dict[str, Figure]:
    """:func:`rate_figures` over the integrity outputs and gate reports under ``data_dir``."""
    rates: dict[str, RedFlagSummary] = {}
    verdicts: dict[str, ValidationSummary] = {}
    for org in snapshot.organizations:
        summary = red_flag_summary(data_dir, org.name)
        if summary is not None:
            rates[org.name] = summary
        report = report_json_path(data_dir, PROCUREMENT, org.name)
        if report.is_file():
            document = json.loads(report.read_text(encoding="utf-8"))
            verdicts[org.name] = summarize_validation_report(document, str(report))
    return rate_figures(snapshot, rates, verdicts)


def rate_figures(
    snapshot: PortalSnapshot,
    rates: Mapping[str, RedFlagSummary],
    verdicts: Mapping[str, ValidationSummary],
) -> dict[str, Figure]:
    """Per agency of the snapshot and overall: flagged projects over the rows screened (n/N),
    and the agencies with a rate. ``rates``: each agency's rate block; ``verdicts``: the gate's
    verdict on its latest procurement file (received when present; a rate left by an earlier
    run says nothing of a file blocked or failed now, and is not read)."""
    datasets = {d.name: d for d in snapshot.datasets}
    figures: dict[str, Figure] = {}
    flagged = screened = 0
    evidence: list[str] = []
    missing: list[str] = []
    off_portal: list[str] = []
    partial: list[str] = []
    for org in snapshot.organizations:
        key = PER_AGENCY + org.name
        dataset = datasets.get(f"{org.name}-{PROCUREMENT}")
        verdict = verdicts.get(org.name)
        received = verdict is not None
        rate = None if verdict is not None and verdict.blocked else rates.get(org.name)
        if rate is not None and rate.stale_en is not None:
            # a rate of an earlier file or flag set says nothing of today's: unknown, named
            missing.append(org.name)
            figures[key] = figure(
                key,
                None,
                "share",
                [dataset.url if dataset else org.url],
                status="unknown",
                note_th=f"ไม่ใช้ผลวิเคราะห์สัญญาณเตือน: {rate.stale_th}",
                note_en=f"red-flag analysis not used: {rate.stale_en}",
            )
            continue
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
        if rate.not_computable:
            partial.append(org.name)
        page = (
            next((r.page_url for r in dataset.resources if r.name == RESOURCE), None)
            if dataset
            else None
        )
        links = [page or (dataset.url if dataset else org.url)]
        if page is None:
            off_portal.append(org.name)
        flagged += rate.flagged_projects
        screened += rate.projects
        evidence.extend(links)
        figures[key] = _rate(key, rate, links, page is None)
    note_th, note_en = [], []
    if missing:
        note_th.append(f"ไม่มีผลของหน่วยงานที่ได้รับข้อมูล: {', '.join(missing)}")
        note_en.append(f"received but not computed: {', '.join(missing)}")
    if off_portal:
        note_th.append(f"ไฟล์สัญญาณเตือนไม่อยู่บนพอร์ทัล: {', '.join(off_portal)}")
        note_en.append(f"red-flag file not on the portal: {', '.join(off_portal)}")
    if partial:
        # the flags and their reasons are in each agency's rate; the list follows the agency
        # marker (present.AGENCY_MARKERS) so the page shows names, not codes
        note_th.append(
            f"บางสัญญาณเตือนคำนวณไม่ได้ (ดูเหตุผลในอัตราของแต่ละหน่วยงาน) หน่วยงาน: {', '.join(partial)}"
        )
        note_en.append(
            "some red flags not computable (the flags and reasons in each agency's rate), "
            f"agency: {', '.join(partial)}"
        )
    figures[OVERALL] = share(
        OVERALL,
        flagged,
        screened,
        evidence or [snapshot.url],
        status="provisional" if (missing or off_portal or partial) and screened else None,
        note_th="; ".join(note_th) or None,
        note_en="; ".join(note_en) or None,
    )
    figures[AGENCIES] = figure(
        AGENCIES, len(evidence), "count", evidence or [f"{snapshot.url}/organization"]
    )
    return figures


def _rate(key: str, rate: RedFlagSummary, links: list[str], off: bool) -> Figure:
    hidden = rate.flagged_not_published
    screened, published = rate.projects, rate.published_rows
    note_th = (
        f"คำนวณจากทุกแถวที่ผ่านโครงสร้างข้อมูล {screened} แถว (เผยแพร่ {published} แถว); "
        f"โครงการที่มีสัญญาณเตือนแต่ถูกกักไว้ไม่เผยแพร่ {len(hidden)} โครงการ"
    )
    note_en = (
        f"over every row that passed the schema, {screened} ({published} published); "
        f"{len(hidden)} flagged project(s) quarantined by a business rule, not published"
    )
    if hidden:
        note_th += f": {', '.join(hidden)}"
        note_en += f": {', '.join(hidden)}"
    if off:
        note_th += "; ไฟล์สัญญาณเตือนไม่อยู่บนพอร์ทัล"
        note_en += "; the red-flag file is not on the portal"
    skipped = rate.not_computable
    if skipped:
        # flags not computed: the rate is a floor, never a final figure
        th, en = _skipped(rate)
        note_th += f"; คำนวณไม่ได้ {len(skipped)} สัญญาณเตือน ({th}): อัตราจริงอาจสูงกว่านี้"
        note_en += (
            f"; {len(skipped)} red flag(s) not computable ({en}): the true rate may be higher"
        )
    return share(
        key,
        rate.flagged_projects,
        screened,
        links,
        status="provisional" if (off or skipped) and screened else None,
        note_th=note_th,
        note_en=note_en,
    )


# The reasons red_flags.json gives (pipelines/integrity/red_flags.py), by how each begins.
_REASONS: dict[str, tuple[str, str]] = {
    "no bids table": ("ไม่มีข้อมูลการเสนอราคาที่ผ่านการตรวจสอบ", "no bids table that passed the gate"),
    "not computable (too few processes)": ("มีกระบวนการจัดซื้อน้อยเกินไป", "too few processes"),
    "not computable (no spread)": ("ราคาเสนอไม่กระจาย (Q1 = Q3)", "no spread"),
}
_UNRECORDED = ("ไม่มีเหตุผลใน red_flags.json", "no reason recorded in red_flags.json")


def _skipped(rate: RedFlagSummary) -> tuple[str, str]:
    """The flags not computed, grouped by the reason red_flags.json gives (Thai, English):
    ``R024, R036: no bids table that passed the gate; R030: too few processes``."""
    groups: dict[tuple[str, str], list[str]] = {}
    for flag in rate.not_computable:
        reason = rate.not_computable_reasons.get(flag)
        why = _UNRECORDED if reason is None else reason_words(reason)
        groups.setdefault(why, []).append(flag)
    return (
        "; ".join(f"{', '.join(ids)}: {th}" for (th, _), ids in groups.items()),
        "; ".join(f"{', '.join(ids)}: {en}" for (_, en), ids in groups.items()),
    )


def reason_words(reason: str) -> tuple[str, str]:
    """A not-computable reason in short Thai and English; an unknown one verbatim (English)."""
    for start, words in _REASONS.items():
        if reason.startswith(start):
            return words
    return ("เหตุผลอื่น ดู red_flags.json", reason)

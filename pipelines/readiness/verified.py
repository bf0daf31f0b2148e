"""The rule behind every ``verified: true`` (and ``confirmed``, ``bands_verified``,
``threshold_verified``) in ``datasets/ogp/``: a specific document and the day it was checked.
The loader (:func:`pipelines.readiness.methodology.load_config`) refuses a file that breaks it,
one line per key."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure, figure, register_labels, share
from pipelines.readiness.sources import Source, verification_problem
from pipelines.readiness.yaml_models import locate
from pipelines.thai import ce_to_be

if TYPE_CHECKING:
    from pipelines.readiness.input_models import CommitmentRegister, EvidenceInput, Inputs
    from pipelines.readiness.methodology import Methodology, OgpConfig

METHODOLOGY_FILE = "methodology.yaml"
INPUTS_FILE = "inputs.yaml"
COMMITMENTS_FILE = "commitments.yaml"

Flag = tuple[str, tuple[str | int, ...], bool, Source | None]  # file, YAML path, flag, source


def verified_flags(
    methodology: Methodology, inputs: Inputs, register: CommitmentRegister
) -> list[Flag]:
    """Every ``verified``-like flag in the three files with the source that must back it."""
    flags: list[Flag] = []
    for i, c in enumerate(methodology.eligibility.criteria):
        at: tuple[str | int, ...] = ("eligibility", "criteria", i)
        if c.kind == "bands":
            flags.append(
                (METHODOLOGY_FILE, (*at, "bands_verified"), c.bands_verified, c.rule_source)
            )
        for j, gap in enumerate(c.not_covered):
            flags.append(
                (METHODOLOGY_FILE, (*at, "not_covered", j, "verified"), gap.verified, gap.source)
            )
    values = methodology.values_check
    flags.append(
        (
            METHODOLOGY_FILE,
            ("values_check", "threshold_verified"),
            values.threshold_verified,
            values.source,
        )
    )
    for i, year in enumerate(methodology.oit.years):
        flags.append(
            (METHODOLOGY_FILE, ("oit", "years", i, "confirmed"), year.confirmed, year.source)
        )
    for section in ("eligibility", "values_check", "cocreation"):
        entries: dict[str, EvidenceInput] = getattr(inputs, section)
        for key, entry in entries.items():
            flags.append((INPUTS_FILE, (section, key, "verified"), entry.verified, entry.source))
    flags.append((INPUTS_FILE, ("cpi", "verified"), inputs.cpi.verified, inputs.cpi.source))
    for i, item in enumerate(inputs.context):
        flags.append((INPUTS_FILE, ("context", i, "verified"), item.verified, item.source))
    flags.append(
        (COMMITMENTS_FILE, ("source", "verified"), register.source.verified, register.source)
    )
    if register.irm_report is not None:
        report = register.irm_report
        flags.append((COMMITMENTS_FILE, ("irm_report", "verified"), report.verified, report))
    return flags


def check_verified(
    directory: Path, methodology: Methodology, inputs: Inputs, register: CommitmentRegister
) -> list[str]:
    """One line per flag set true without a specific document and the day it was checked."""
    problems = []
    for file, loc, flag, source in verified_flags(methodology, inputs, register):
        problem = verification_problem(source, f"{loc[-1]}: true") if flag else None
        if problem:
            path = directory / file
            problems.append(f"{locate(path, loc)}: {'.'.join(map(str, loc))}: {problem}")
    return problems


# --- the register of sources and its figures ------------------------------------------------


class SourceEntry(BaseModel):
    """One public reference in ``datasets/ogp`` and whether the value it backs is verified."""

    model_config = ConfigDict(frozen=True)

    file: str
    key: str  # dotted YAML path of the flag (or of the source when nothing is flagged)
    title: str
    url: str
    kind: str | None
    year: int | None
    checked_on: date | None
    verified: bool


def source_register(config: OgpConfig) -> list[SourceEntry]:
    """Every verified-like flag of the three files with its source: what the report may call
    verified, and what still needs a document (for docs/METHODOLOGY.md and the next steps)."""
    entries = []
    for file, loc, flag, source in verified_flags(
        config.methodology, config.inputs, config.commitments
    ):
        if source is None:  # nothing cited yet: the section's own reference stands in
            m = config.methodology
            source = m.oit.source if loc[0] == "oit" else m.eligibility.source
        entries.append(
            SourceEntry(
                file=file,
                key=".".join(map(str, loc)),
                title=source.title,
                url=source.url,
                kind=source.kind,
                year=source.year,
                checked_on=source.checked_on,
                verified=flag and verification_problem(source) is None,
            )
        )
    return entries


register_labels(
    {
        "inputs_verified": (
            "ข้อมูลนำเข้าและเกณฑ์ที่ยืนยันกับเอกสารแล้ว",
            "Inputs and rules verified against a document",
        ),
        "oit_mapping": ("การจับคู่ข้อ OIT ของปีประเมิน ITA", "OIT item mapping of the ITA year"),
    }
)


def inputs_verified_figure(config: OgpConfig) -> Figure:
    """Share of the flagged inputs and rules verified against a document (n/N), provisional
    while any is not; the evidence is every source's URL."""
    register = source_register(config)
    done = sum(e.verified for e in register)
    pending = [e for e in register if not e.verified]
    return share(
        "inputs_verified",
        done,
        len(register),
        [e.url for e in register],
        verified=not pending,
        note_th=f"ยังต้องยืนยัน {len(pending)} รายการ" if pending else None,
        note_en=f"{len(pending)} still to verify" if pending else None,
    )


def oit_mapping_figure(config: OgpConfig) -> Figure:
    """Whether the ITA OIT item numbers of the assessment year are confirmed: ok with that
    year's manual, provisional when the year is listed but unconfirmed, unknown when absent."""
    year_be = ce_to_be(config.inputs.assessment.fiscal_year)
    oit = config.methodology.oit
    year = oit.for_year(year_be)
    if year is None:
        return figure(
            "oit_mapping",
            None,
            "year",
            [oit.source.url],
            verified=False,
            status="unknown",
            note_th=f"ระเบียบวิธีไม่มีรายการ OIT ของปี พ.ศ. {year_be}",
            note_en=f"The methodology has no OIT items for B.E. {year_be}",
        )
    source = year.source or oit.source
    return figure(
        "oit_mapping",
        year_be,
        "year",
        [source.url],
        verified=year.confirmed,
        status="ok" if year.confirmed else "provisional",
        note_th=year.note_th or ("ยืนยันจากคู่มือ ITA ของปีนั้นแล้ว" if year.confirmed else None),
        note_en=year.note_en
        or ("Confirmed from that year's ITA manual" if year.confirmed else None),
    )


def completion_evidence(config: OgpConfig) -> tuple[str, bool]:
    """What a commitment's completion level cites, and whether it is verified: the IRM report
    page of the action plan when the register gives one as a specific document (verified when
    it was checked against it), else the IRM's own guidance page (where the completion scale
    is defined), unverified — never a site's home page."""
    report = config.commitments.irm_report
    if report is not None and report.specific:
        return report.url, report.verified and verification_problem(report) is None
    return config.methodology.irm.source.url, False

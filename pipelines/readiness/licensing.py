"""Licensing Facilitation Act B.E. 2558: the share of licence and permit decisions made within
their statutory deadline, per agency, from the published ``decisions`` family.

The Act (พระราชบัญญัติการอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ พ.ศ. 2558) makes every
licensing authority publish a manual stating how long each licence takes; the decisions
contract carries that deadline per decision (``statutory_deadline_days``) beside the
application and decision dates. A decision is:

* **on time** when decision_date − application_date (calendar days, as the contract's
  ``processing_days`` counts them) is at most its deadline;
* **late** when it is more;
* **unknown** when its deadline, its application date or its decision date is empty, or the
  decision predates the application — never counted as on time.

Only ``decision_type`` licence and permit count (cabinet resolutions and agency orders are not
licensing decisions); a withdrawn application is not a decision of the agency and is left out.
The share is on time / every licensing decision (on time + late + unknown), n/N: an unknown
decision is in the denominator and never on time, and makes the share provisional (1 on time
and 9 without a deadline is 1/10, provisional). The rows are every row that passed the schema
(the gate's ``schema_valid.parquet``: decisions a business rule quarantined count too), else
the publishable table. An agency that publishes no decisions dataset, or whose gate output is
gone, has an unknown share; one with decisions but no licence or permit among them: not
applicable. An agency whose decisions file was received (a gate report exists) but blocked or
failed, or left nothing to read, makes the overall share provisional and is named in its note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.layout import report_json_path, schema_valid_path
from pipelines.readiness.facts import PortalSnapshot
from pipelines.readiness.figures import Figure, figure, register_labels, register_prefix, share
from pipelines.readiness.published import PublishedRows, as_date, as_int, published_rows

FAMILY = "decisions"
LICENSING_TYPES = frozenset({"licence", "permit"})
NOT_A_DECISION = frozenset({"withdrawn"})
COLUMNS = (
    "decision_id",
    "decision_type",
    "application_date",
    "decision_date",
    "statutory_deadline_days",
    "outcome",
)
ACT_URL = "https://www.ratchakitcha.soc.go.th/DATA/PDF/2558/A/004/1.PDF"  # Royal Gazette 132/4A

OVERALL = "licensing_on_time"
PER_AGENCY = "licensing_on_time_"
UNKNOWN = "licensing_deadline_unknown"
UNKNOWN_PER_AGENCY = "licensing_deadline_unknown_"

register_labels(
    {
        OVERALL: (
            "คำขออนุญาตที่พิจารณาเสร็จภายในระยะเวลาตาม พ.ร.บ. การอำนวยความสะดวกฯ พ.ศ. 2558",
            "Licence and permit decisions within the deadline "
            "(Licensing Facilitation Act B.E. 2558)",
        ),
        UNKNOWN: (
            "คำขออนุญาตที่ไม่ทราบระยะเวลาตามกฎหมายหรือวันที่",
            "Licence and permit decisions without a known deadline or dates",
        ),
    }
)
register_prefix(
    PER_AGENCY,
    "คำขออนุญาตที่พิจารณาเสร็จภายในระยะเวลาตามกฎหมาย หน่วยงาน",
    "Licence and permit decisions within the deadline, agency",
)
register_prefix(
    UNKNOWN_PER_AGENCY,
    "คำขออนุญาตที่ไม่ทราบระยะเวลาตามกฎหมายหรือวันที่ หน่วยงาน",
    "Licence and permit decisions without a known deadline or dates, agency",
)


@dataclass(frozen=True)
class LicensingCount:
    """One agency's licence and permit decisions by outcome against the deadline."""

    on_time: int = 0
    late: int = 0
    unknown: int = 0

    @property
    def assessed(self) -> int:
        return self.on_time + self.late

    @property
    def total(self) -> int:
        return self.assessed + self.unknown

    def __add__(self, other: LicensingCount) -> LicensingCount:
        return LicensingCount(
            self.on_time + other.on_time, self.late + other.late, self.unknown + other.unknown
        )


def classify(row: Mapping[str, object]) -> str | None:
    """``on_time``, ``late`` or ``unknown`` for a licence or permit decision; None for a row
    that is not one (another decision type, or a withdrawn application)."""
    if row.get("decision_type") not in LICENSING_TYPES or row.get("outcome") in NOT_A_DECISION:
        return None
    applied, decided = as_date(row.get("application_date")), as_date(row.get("decision_date"))
    deadline = as_int(row.get("statutory_deadline_days"))
    if applied is None or decided is None or deadline is None or decided < applied:
        return "unknown"
    return "on_time" if (decided - applied).days <= deadline else "late"


def count(rows: Iterable[Mapping[str, object]]) -> LicensingCount:
    """The licence and permit decisions of ``rows`` on time, late and unknown."""
    kinds = [kind for kind in map(classify, rows) if kind is not None]
    return LicensingCount(kinds.count("on_time"), kinds.count("late"), kinds.count("unknown"))


def read_decisions(snapshot: PortalSnapshot, data_dir: Path) -> dict[str, PublishedRows]:
    """Each agency's published decisions dataset and the rows that passed the schema
    (``schema_valid.parquet``, business-rule quarantine included; the publishable table when
    there is none). A stopped gate (blocked or failed) leaves no rows."""
    found = published_rows(snapshot, data_dir, FAMILY, COLUMNS)
    for agency, published in found.items():
        path = schema_valid_path(data_dir, FAMILY, agency)
        if published.rows is not None and path.is_file():
            table = pq.read_table(path)
            missing = [name for name in COLUMNS if name not in table.column_names]
            if missing:
                raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = table.select(list(COLUMNS)).to_pylist()
            found[agency] = PublishedRows(agency=agency, dataset=published.dataset, rows=rows)
    return found


def received(data_dir: Path, agency: str) -> bool:
    """Whether the agency's decisions file reached the gate (its report exists)."""
    return report_json_path(data_dir, FAMILY, agency).is_file()


def licensing_figures(snapshot: PortalSnapshot, data_dir: Path) -> dict[str, Figure]:
    """The overall share, each agency's share and the unknown counts (keys: ``licensing_*``).

    Every organization on the portal gets a per-agency figure; the overall share adds up the
    agencies whose decisions could be read."""
    decisions = read_decisions(snapshot, data_dir)
    figures: dict[str, Figure] = {}
    total = LicensingCount()
    evidence: list[str] = []
    unread: list[str] = []
    for org in snapshot.organizations:
        published = decisions.get(org.name)
        key = PER_AGENCY + org.name
        if published is None or published.rows is None:
            figures[key] = _unread(key, org.url if published is None else published.url)
            if published is not None or received(data_dir, org.name):
                unread.append(org.name)
            continue
        counted = count(published.rows)
        total += counted
        evidence.append(published.url)
        figures[key] = _share(key, counted, [published.url])
        figures[UNKNOWN_PER_AGENCY + org.name] = _unknown_count(
            UNKNOWN_PER_AGENCY + org.name, counted, [published.url]
        )
    figures[OVERALL] = _share(
        OVERALL, total, evidence or [snapshot.url], unread=unread, readable=bool(evidence)
    )
    figures[UNKNOWN] = _unknown_count(UNKNOWN, total, evidence or [snapshot.url])
    return figures


def _share(
    key: str,
    counted: LicensingCount,
    evidence: list[str],
    unread: Iterable[str] = (),
    readable: bool = True,
) -> Figure:
    missing = list(unread)
    if counted.total == 0 and (missing or not readable):
        return _unread(key, evidence[0], missing)
    if counted.total == 0:
        return figure(
            key,
            None,
            "share",
            evidence,
            status="not_applicable",
            note_th="ไม่มีคำสั่งประเภทใบอนุญาตหรือหนังสืออนุญาตในข้อมูลที่เผยแพร่",
            note_en="no licence or permit decision in the published decisions",
        )
    provisional = counted.unknown > 0 or bool(missing)
    note_th = (
        f"ไม่ทราบผล {counted.unknown} จาก {counted.total} รายการ "
        "(ไม่มีระยะเวลาตามกฎหมายหรือวันที่ยื่นคำขอ/วันที่มีคำสั่ง นับในตัวหารแต่ไม่นับว่าทันเวลา)"
    )
    note_en = (
        f"{counted.unknown} of {counted.total} unknown (no statutory deadline, application or "
        "decision date; in the denominator, never counted as on time)"
    )
    if missing:
        note_th += (
            f"; อ่านข้อมูลไม่ได้: {', '.join(missing)} (ได้รับข้อมูลแต่ไม่ผ่านการตรวจสอบ หรือไม่มีผลการตรวจสอบแล้ว)"
        )
        note_en += f"; not readable: {', '.join(missing)} (received, but blocked, failed or gone)"
    return share(
        key,
        counted.on_time,
        counted.total,
        [*evidence, ACT_URL],
        status="provisional" if provisional else None,
        note_th=note_th,
        note_en=note_en,
    )


def _unknown_count(key: str, counted: LicensingCount, evidence: list[str]) -> Figure:
    return figure(
        key,
        counted.unknown,
        "count",
        evidence,
        numerator=counted.unknown,
        denominator=counted.total,
    )


def _unread(key: str, evidence: str, unread: list[str] | None = None) -> Figure:
    names = f": {', '.join(unread)}" if unread else ""
    return figure(
        key,
        None,
        "share",
        [evidence],
        status="unknown",
        note_th="ไม่มีข้อมูลผลการพิจารณาที่เผยแพร่และอ่านได้" + (f"; อ่านข้อมูลไม่ได้{names}" if names else ""),
        note_en="no published decisions that could be read"
        + (f"; not readable{names}" if names else ""),
    )

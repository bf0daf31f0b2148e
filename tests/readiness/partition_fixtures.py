"""Generated inputs for the denominator and timeliness tests: an agency's family published on
the real portal (a DataStore table named for the fiscal year), and the gate's outputs for it
(``report.json`` with the keys pipelines.validation writes, and ``publishable.parquet``)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import ckanapi
import pyarrow as pa
import pyarrow.parquet as pq

# the dated field of each family (datasets/ogp/timeliness.yaml) and a key column
DATED = {
    "procurement": ("project_id", "announce_date"),
    "decisions": ("decision_id", "decision_date"),
}


def records(family: str, newest: date, n: int = 3) -> list[dict[str, object]]:
    """``n`` records a day apart, the newest dated ``newest``."""
    key, dated = DATED[family]
    return [{key: f"{family[:1]}{i:04d}", dated: newest - timedelta(days=i)} for i in range(n)]


def publish(
    ckan: ckanapi.RemoteCKAN,
    created: list[tuple[str, str]],
    agency: str,
    family: str,
    rows: list[dict[str, object]],
    fiscal_year: int,
) -> None:
    """The agency's organization (once) and ``<agency>-<family>`` with one DataStore table."""
    if ("organization", agency) not in created:
        created.append(("organization", agency))
        ckan.action.organization_create(name=agency, title=f"หน่วยงานทดสอบ {agency}")
    name = f"{agency}-{family}"
    created.append(("dataset", name))
    package = ckan.action.package_create(
        name=name, title=f"{family} {agency}", owner_org=agency, license_id="cc-by"
    )
    key, dated = DATED[family]
    ckan.action.datastore_create(
        resource={
            "package_id": package["id"],
            "name": f"{family}-{fiscal_year}.csv",
            "format": "CSV",
        },
        fields=[{"id": key, "type": "text"}, {"id": dated, "type": "date"}],
        records=[{key: r[key], dated: str(r[dated])} for r in rows],
        force=True,
    )


def gate_output(
    data: Path,
    family: str,
    agency: str,
    rows: list[dict[str, object]],
    *,
    blocked_for_personal_data: bool = False,
    masked: int = 0,
) -> None:
    """What the gate writes for a partition: passed (with ``masked`` values masked), or blocked
    for personal data (one citizen ID in a column that cannot be masked; no publishable table)."""
    folder = data / "validation" / family / agency
    folder.mkdir(parents=True)
    findings = [
        {"column": "remarks", "rowNumber": 2 + i, "kind": "personal_data", "action": "mask"}
        for i in range(masked)
    ]
    if blocked_for_personal_data:
        findings.append(
            {"column": "remarks", "rowNumber": 2, "kind": "citizen_id", "action": "block"}
        )
    document = {
        "family": family,
        "agency": agency,
        "status": "blocked" if blocked_for_personal_data else "passed",
        "valid": not blocked_for_personal_data,
        "publishable": not blocked_for_personal_data,
        "publishable_table": None if blocked_for_personal_data else "publishable.parquet",
        "reasons": ["personal data found / พบข้อมูลส่วนบุคคล"] if blocked_for_personal_data else [],
        "checks": {"schema": True, "suite": True, "privacy": not blocked_for_personal_data},
        "counts": {
            "rows": len(rows),
            "published_rows": 0 if blocked_for_personal_data else len(rows),
        },
        "privacy": {"findings": findings},
    }
    (folder / "report.json").write_text(json.dumps(document), encoding="utf-8")
    if not blocked_for_personal_data:
        key, dated = DATED[family]
        table = pa.table(
            {
                key: pa.array([r[key] for r in rows], pa.string()),
                dated: pa.array([r[dated] for r in rows], pa.date32()),
            }
        )
        pq.write_table(table, folder / "publishable.parquet")

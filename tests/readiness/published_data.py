"""Generated gate outputs for the figures read from published content (licensing, co-creation,
asset disclosure): each agency's ``publishable.parquet`` written as the gate would, typed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.layout import publishable_path

DECISIONS = pa.schema(
    [
        ("decision_id", pa.string()),
        ("agency_code", pa.string()),
        ("decision_type", pa.string()),
        ("application_date", pa.date32()),
        ("decision_date", pa.date32()),
        ("statutory_deadline_days", pa.int64()),
        ("outcome", pa.string()),
    ]
)
MEETINGS = pa.schema(
    [
        ("meeting_id", pa.string()),
        ("agency_code", pa.string()),
        ("meeting_date", pa.date32()),
        ("meeting_type", pa.string()),
        ("government_participants", pa.int64()),
        ("civil_society_participants", pa.int64()),
        ("minutes_url", pa.string()),
    ]
)
DECLARATIONS = pa.schema(
    [
        ("declaration_id", pa.string()),
        ("agency_code", pa.string()),
        ("declaration_date", pa.date32()),
        ("nacc_url", pa.string()),
    ]
)
SCHEMAS = {"decisions": DECISIONS, "forum_meetings": MEETINGS, "asset_declarations": DECLARATIONS}


def write_published(data_dir: Path, family: str, agency: str, rows: list[dict[str, Any]]) -> Path:
    path = publishable_path(data_dir, family, agency)
    path.parent.mkdir(parents=True, exist_ok=True)
    full = [{"agency_code": agency, **row} for row in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=SCHEMAS[family]), path)
    return path


def decision(
    number: int,
    kind: str,
    applied: dt.date | None,
    decided: dt.date,
    deadline: int | None,
    outcome: str = "approved",
) -> dict[str, Any]:
    return {
        "decision_id": f"AAA-2568/{number:04d}",
        "decision_type": kind,
        "application_date": applied,
        "decision_date": decided,
        "statutory_deadline_days": deadline,
        "outcome": outcome,
    }


def meeting(
    number: int,
    date: dt.date,
    kind: str = "regular",
    government: int = 10,
    civil_society: int = 8,
    minutes: str | None = "https://example.go.th/ogp/minutes.pdf",
) -> dict[str, Any]:
    return {
        "meeting_id": f"AAA-MSF-2568-{number:02d}",
        "meeting_date": date,
        "meeting_type": kind,
        "government_participants": government,
        "civil_society_participants": civil_society,
        "minutes_url": minutes,
    }

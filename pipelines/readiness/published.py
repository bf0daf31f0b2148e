"""The rows an agency published in one family, for the figures computed from their content
(licensing deadlines, the forum's meetings, asset declarations).

A family's dataset counts as published when the portal shows it (``<agency>-<family>`` in the
:class:`~pipelines.readiness.facts.PortalSnapshot`, read anonymously); its rows are the gate's
``publishable.parquet`` of that partition — what the publisher uploaded, personal data masked,
quarantined rows out — never the clean table. A dataset on the portal whose gate output is gone,
or whose latest gate verdict is blocked or failed (the portal keeps the previous version), has
no rows here: its figures are unknown, not computed from elsewhere. Evidence is the dataset's
portal URL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.layout import publishable_path, report_json_path
from pipelines.readiness.facts import PortalDataset, PortalSnapshot


@dataclass(frozen=True)
class PublishedRows:
    """One agency's published dataset of a family and its rows (None: the gate output is gone)."""

    agency: str
    dataset: PortalDataset
    rows: list[dict[str, object]] | None

    @property
    def url(self) -> str:
        return self.dataset.url


def published_rows(
    snapshot: PortalSnapshot, data_dir: Path, family: str, columns: Sequence[str]
) -> dict[str, PublishedRows]:
    """Per agency, its public ``<agency>-<family>`` dataset and the ``columns`` of its rows."""
    found: dict[str, PublishedRows] = {}
    for dataset in snapshot.datasets:
        agency = dataset.organization
        if dataset.name != f"{agency}-{family}":
            continue
        path = publishable_path(data_dir, family, agency)
        current = path.is_file() and not _stopped(report_json_path(data_dir, family, agency))
        rows = _read(path, columns) if current else None
        found[agency] = PublishedRows(agency=agency, dataset=dataset, rows=rows)
    return dict(sorted(found.items()))


def _stopped(report: Path) -> bool:
    """Whether the gate's latest verdict is blocked or failed (a table left by an earlier run
    is then not what the portal shows as current)."""
    if not report.is_file():
        return False
    return json.loads(report.read_text(encoding="utf-8")).get("status") in ("blocked", "failed")


def _read(path: Path, columns: Sequence[str]) -> list[dict[str, object]]:
    table = pq.read_table(path)
    missing = [name for name in columns if name not in table.column_names]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return table.select(list(columns)).to_pylist()


def as_date(value: object) -> dt.date | None:
    """A date cell as the gate typed it (date, timestamp or ISO text); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_int(value: object) -> int | None:
    """An integer cell; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    return int(str(value)) if not isinstance(value, int) else value

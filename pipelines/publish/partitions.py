"""Validated partitions on disk and their publication gate (paths: :mod:`pipelines.layout`).

    data/clean/<family>/<agency>/<family>.parquet        the clean table
    data/validation/<family>/<agency>/report.json|html   the validation report

The report's ``"publishable"`` (true/false) is the gate: a partition is published only when its
blocking checks passed. What is published is the table the gate wrote beside the report
(``"publishable_table"``): personal data masked or dropped, quarantined rows left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.layout import (
    PUBLISHABLE_PARQUET,
    REPORT_HTML,
    REPORT_JSON,
    clean_files,
    clean_tables,
    data_dir_of_validation,
    validation_dir,
)


class GateError(ValueError):
    """A report that cannot say whether its partition may be published (names the file)."""


@dataclass(frozen=True)
class Gate:
    publishable: bool
    reason: str = ""
    table_file: str = PUBLISHABLE_PARQUET


@dataclass(frozen=True)
class Partition:
    family: str
    agency: str
    clean_path: Path
    validation_dir: Path

    @classmethod
    def at(cls, data_dir: Path, family: str, agency: str) -> Partition:
        """Where the family x agency partition lives under ``data_dir``."""
        return cls(
            family,
            agency,
            clean_files(data_dir, family, agency).parquet,
            validation_dir(data_dir, family, agency),
        )

    @property
    def report_json(self) -> Path:
        return self.validation_dir / REPORT_JSON

    @property
    def report_html(self) -> Path:
        return self.validation_dir / REPORT_HTML

    @property
    def data_dir(self) -> Path:
        """The data directory this partition lives in (``<data_dir>/validation/<f>/<a>``)."""
        return data_dir_of_validation(self.validation_dir)

    @property
    def dataset_name(self) -> str:
        return dataset_name(self.family, self.agency)

    def gate(self) -> Gate:
        return read_gate(self.report_json)

    def publishable_table(self, gate: Gate) -> pa.Table:
        """The table the gate wrote beside its report: privacy-masked, quarantined rows left
        out. Never the clean table itself, which may still hold unmasked personal data."""
        path = self.validation_dir / gate.table_file
        if not path.is_file():
            raise GateError(f"{self.report_json}: the publishable table {path} is missing")
        return pq.read_table(path)


def dataset_name(family: str, agency: str) -> str:
    """The CKAN dataset name of a family x agency partition (deterministic, never changes)."""
    return f"{agency}-{family}"


def read_gate(report_json: Path) -> Gate:
    if not report_json.is_file():
        return Gate(False, f"no validation report at {report_json}")
    try:
        report = json.loads(report_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise GateError(f"{report_json}: unreadable validation report: {error}") from error
    publishable = report.get("publishable") if isinstance(report, dict) else None
    if not isinstance(publishable, bool):
        raise GateError(f'{report_json}: "publishable" must be true or false')
    table_file = report.get("publishable_table") or PUBLISHABLE_PARQUET
    if not isinstance(table_file, str) or "/" in table_file or "\\" in table_file:
        raise GateError(f'{report_json}: "publishable_table" must be a file name')
    reason = (
        ""
        if publishable
        else "; ".join(map(str, report.get("reasons") or []))
        or str(report.get("reason") or "blocking checks failed")
    )
    return Gate(publishable, reason, table_file)


def find_partitions(
    data_dir: Path, families: set[str] | None = None, agencies: set[str] | None = None
) -> list[Partition]:
    """Clean partitions on disk (sorted), optionally only some families / agencies."""
    partitions = []
    for family, agency, _ in clean_tables(data_dir):
        if (families and family not in families) or (agencies and agency not in agencies):
            continue
        partitions.append(Partition.at(data_dir, family, agency))
    return partitions

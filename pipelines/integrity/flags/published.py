"""Whether each flagged process is published as the flags screened it (red-flags.csv's
``published`` and ``held_back_by`` columns).

The flags are computed over every row that passed the schema; the OCDS package holds only what
the gate published. So each row of red-flags.csv says which it is:

- ``yes``: the process and all of its screened bids are published: the flag is recomputable
  from the published OCDS alone;
- ``no``: a business rule of severity error quarantined the procurement row: the process is not
  in the OCDS; ``held_back_by`` names the rule(s);
- ``bids_partial``: the process is published but some of its screened bids were quarantined (the
  OCDS lists fewer bids than the flags read); ``held_back_by`` names the bids' rule(s).

The rules come from the gate's report.json (``suite.failedRows``: row number and rule, never a
cell), row numbers in the gate's numbering (header = row 1, rows in the typed table's order,
schema-invalid rows absent from ``schema_valid.parquet``). When the report cannot name a row (no
report, or its lists were truncated) ``held_back_by`` says so instead of guessing.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa

UNNAMED = "a business rule of the gate (not named: see the gate's report.json)"
YES, NO, PARTIAL = "yes", "no", "bids_partial"


def _rules_by_index(report_path: Path, screened_rows: int) -> dict[int, list[str]] | None:
    """The failed error rules of each row of ``schema_valid.parquet`` (by its index), or None
    when the report cannot tell (missing or truncated)."""
    if not report_path.exists():
        return None
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    suite = report.get("suite") or {}
    schema = report.get("schema") or {}
    if suite.get("failedRowsTruncated") or schema.get("truncated"):
        return None
    invalid = {e["rowNumber"] for e in schema.get("errors", []) if e.get("rowNumber") is not None}
    total = int((report.get("counts") or {}).get("rows", 0))
    numbers = [n for n in range(2, total + 2) if n not in invalid]
    if len(numbers) != screened_rows:  # the numbering does not match: do not guess
        return None
    index = {number: position for position, number in enumerate(numbers)}
    rules: dict[int, list[str]] = defaultdict(list)
    for row in suite.get("failedRows", []):
        if row.get("severity", "error") == "error" and row["rowNumber"] in index:
            rules[index[row["rowNumber"]]].append(row["rule"])
    return rules


def _held(rules: dict[int, list[str]] | None, rows: list[int]) -> str:
    if rules is None:
        return UNNAMED
    named = sorted({rule for row in rows for rule in rules.get(row, [])})
    return "; ".join(named) if named else UNNAMED


def _projects(table: pa.Table | None) -> list[str]:
    return [] if table is None else [str(p) for p in table["project_id"].to_pylist()]


def publication(
    screened: pa.Table,
    published: pa.Table,
    report: Path,
    screened_bids: pa.Table | None = None,
    published_bids: pa.Table | None = None,
    bids_report: Path | None = None,
) -> dict[str, tuple[str, str]]:
    """``project_id -> (published, held_back_by)`` for every screened process (module doc)."""
    screened_ids = _projects(screened)
    public = set(_projects(published))
    rules = _rules_by_index(report, screened.num_rows)
    rows: dict[str, list[int]] = defaultdict(list)
    for position, project in enumerate(screened_ids):
        rows[project].append(position)
    bid_ids = _projects(screened_bids)
    bid_rows: dict[str, list[int]] = defaultdict(list)
    for position, project in enumerate(bid_ids):
        bid_rows[project].append(position)
    public_bids = Counter(_projects(published_bids))
    bid_rules = (
        None
        if screened_bids is None or bids_report is None
        else _rules_by_index(bids_report, screened_bids.num_rows)
    )
    status: dict[str, tuple[str, str]] = {}
    for project, positions in rows.items():
        if project not in public:
            status[project] = (NO, _held(rules, positions))
        elif public_bids[project] < len(bid_rows.get(project, [])):
            status[project] = (PARTIAL, "bids: " + _held(bid_rules, bid_rows[project]))
        else:
            status[project] = (YES, "")
    return status


def with_publication(flags: pa.Table, status: dict[str, tuple[str, str]]) -> pa.Table:
    """``flags`` with the ``published`` and ``held_back_by`` columns (a project the screened
    table lacks, which cannot happen from the pipeline, reads ``no``)."""
    found = [status.get(str(p), (NO, UNNAMED)) for p in flags["project_id"].to_pylist()]
    published = pa.array([f[0] for f in found], pa.string())
    held = pa.array([f[1] for f in found], pa.string())
    return flags.append_column("published", published).append_column("held_back_by", held)

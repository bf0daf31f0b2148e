"""Procurement red flags over every row that passed the schema (the gate's
``schema_valid.parquet`` of procurement and of its bids table: rows a business rule quarantined
or flagged as a warning included), vectorised in DuckDB.

The flags, their definitions, sources and parameters are data
(``datasets/procurement/red_flags.yaml``): Cardinal's indicators under their ids (R003, ...),
the Thai-specific ones under ``TH-`` ids. Each flag's SQL is one module in
:mod:`pipelines.integrity.flags`. The result is one row per (project, flag):
``agency_code, project_id, flag_id, detail, ocid, values, parameters`` (``values``: JSON of
what triggered it; ``parameters``: JSON of the flag's settings). A flag that reads bids is not
computable without a bids table: it is left out and named by :func:`not_computable`, never
reported as zero flagged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, field_validator

from pipelines.integrity.flags import CHECKS
from pipelines.integrity.flags.inputs import (
    AWARD_STATUSES,
    bids_relation,
    empty_bids,
    procurement_relation,
)
from pipelines.integrity.flags.quartiles import MACROS
from pipelines.integrity.ocds_config import load_ocds_config
from pipelines.settings import get_settings
from pipelines.yaml_text import load_yaml

FLAGS_SCHEMA = pa.schema(
    [
        ("agency_code", pa.string()),
        ("project_id", pa.string()),
        ("flag_id", pa.string()),
        ("detail", pa.string()),
        ("ocid", pa.string()),
        ("values", pa.string()),
        ("parameters", pa.string()),
    ]
)
# red-flags.csv / .parquet: the flags plus whether the OCDS shows each process as screened
# (:mod:`pipelines.integrity.flags.published`)
PUBLISHED_FLAGS_SCHEMA = FLAGS_SCHEMA.append(pa.field("published", pa.string())).append(
    pa.field("held_back_by", pa.string())
)
NO_BIDS = (
    "no bids table that passed the schema for this agency (family procurement_bids): the flag "
    "reads bids and is not computable; it is not zero flagged"
)


class BilingualName(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    th: str
    en: str


class FlagSpec(BaseModel):
    """One red flag as published: what it is, where it comes from, how it is tuned."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    check: str
    thai_specific: bool
    name: BilingualName
    definition: str
    source: str
    data: tuple[str, ...]
    parameters: dict[str, Any]

    @property
    def needs_bids(self) -> bool:
        return CHECKS[self.check].needs_bids

    @field_validator("id")
    @classmethod
    def _thai_ids(cls, flag_id: str) -> str:
        if not (flag_id.startswith("TH-") or flag_id[:1] == "R"):
            raise ValueError(f"flag id {flag_id!r}: Cardinal's R... or a Thai-specific TH-...")
        return flag_id

    @field_validator("check")
    @classmethod
    def _known_check(cls, check: str) -> str:
        if check not in CHECKS:
            raise ValueError(f"unknown check {check!r}; known: {', '.join(sorted(CHECKS))}")
        return check


class RedFlagsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    flags: tuple[FlagSpec, ...]

    @field_validator("flags")
    @classmethod
    def _unique_ids(cls, flags: tuple[FlagSpec, ...]) -> tuple[FlagSpec, ...]:
        ids = [flag.id for flag in flags]
        if len(set(ids)) != len(ids):
            raise ValueError("flag ids must be unique")
        return flags


def default_specs_path() -> Path:
    return get_settings().datasets_dir / "procurement" / "red_flags.yaml"


def load_flag_specs(path: Path | None = None) -> tuple[FlagSpec, ...]:
    """The flags defined in red_flags.yaml; a bad file raises naming the file."""
    path = path or default_specs_path()
    with path.open(encoding="utf-8") as handle:
        raw = load_yaml(handle)
    try:
        return RedFlagsConfig.model_validate(raw).flags
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def not_computable(specs: Sequence[FlagSpec], bids: pa.Table | None) -> list[str]:
    """The flags that need bids when there is no bids table (``bids`` is None)."""
    return [spec.id for spec in specs if spec.needs_bids and bids is None]


def compute_flags(
    table: pa.Table, specs: Sequence[FlagSpec] | None = None, bids: pa.Table | None = None
) -> pa.Table:
    """Every flag raised on the procurement ``table`` (and its ``bids``), one row per (project,
    flag). Without ``bids`` the flags that read bids are skipped (:func:`not_computable`)."""
    return compute_flags_noted(table, specs, bids)[0]


def compute_flags_noted(
    table: pa.Table, specs: Sequence[FlagSpec] | None = None, bids: pa.Table | None = None
) -> tuple[pa.Table, dict[str, str]]:
    """:func:`compute_flags` and, by flag id, why a flag was not computable on these peers (a
    computed fence below ``minimum_processes`` peers or with Q1 = Q3)."""
    specs = load_flag_specs() if specs is None else specs
    config = load_ocds_config()
    procurement = procurement_relation(table, config)
    ocids = dict(
        zip(procurement["project_id"].to_pylist(), procurement["ocid"].to_pylist(), strict=True)
    )
    skipped = set(not_computable(specs, bids))
    with duckdb.connect() as connection:
        for macro in MACROS:
            connection.execute(macro)
        connection.register("procurement", procurement)
        connection.register("bids", empty_bids() if bids is None else bids_relation(bids, config))
        statuses = ", ".join(f"'{status}'" for status in AWARD_STATUSES)
        # tender.numberOfTenderers: the procurement row's number_of_bidders, as the OCDS export
        # writes it whether or not the project has bid rows (a partial bids file lists fewer)
        connection.execute(
            "CREATE VIEW processes AS SELECT p.*, p.number_of_bidders AS number_of_tenderers "
            "FROM procurement AS p WHERE p.tender_status IS DISTINCT FROM 'cancelled'"
        )
        connection.execute(
            f"CREATE VIEW awards AS SELECT * FROM processes WHERE status IN ({statuses})"  # noqa: S608 - constants
        )
        notes = {
            spec.id: note
            for spec in specs
            if spec.id not in skipped and (note := _population_note(connection, spec))
        }
        parts = [
            _run(connection, spec, ocids)
            for spec in specs
            if spec.id not in skipped and spec.id not in notes
        ]
    if not parts:
        return FLAGS_SCHEMA.empty_table(), notes
    flags = pa.concat_tables(parts).sort_by(
        [("agency_code", "ascending"), ("project_id", "ascending"), ("flag_id", "ascending")]
    )
    return flags, notes


def _population_note(connection: duckdb.DuckDBPyConnection, spec: FlagSpec) -> str | None:
    """Why a computed fence cannot be drawn from these peers, or None (it can, or the flag
    uses a fixed ``threshold`` or no fence)."""
    population = CHECKS[spec.check].population
    if population is None or spec.parameters.get("threshold") is not None:
        return None
    processes, q1, q3 = connection.execute(population).fetchall()[0]
    minimum = int(spec.parameters["minimum_processes"])
    if processes < minimum:
        return (
            f"not computable (too few processes): {processes} process(es) with a second-lowest "
            f"valid bid, fewer than minimum_processes = {minimum}"
        )
    if q1 is None or q3 is None or q3 <= q1:
        return (
            f"not computable (no spread): Q1 = Q3 = {q1} over {processes} processes, so the "
            "lower and upper fences would flag the same processes"
        )
    return None


def flagged_projects(flags: pa.Table, flag_id: str) -> list[str]:
    """The project ids ``flag_id`` flagged, sorted."""
    chosen = flags.filter(pc.equal(flags["flag_id"], flag_id))
    return sorted(chosen["project_id"].to_pylist())


def describe_flags(
    flags: pa.Table,
    specs: Sequence[FlagSpec],
    *,
    skipped: Sequence[str] = (),
    reasons: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Each flag as published: id, names, definition, source, parameters, whether it could be
    computed (and why not: ``reasons`` by id, else no bids table), and its flagged projects
    (None when not computable)."""
    described = []
    reasons = reasons or {}
    for spec in specs:
        record = spec.model_dump(exclude={"check"})
        if spec.id in skipped or spec.id in reasons:
            reason = reasons.get(spec.id, NO_BIDS)
            record.update(computable=False, not_computable_reason=reason, projects=None)
        else:
            record.update(computable=True, projects=flagged_projects(flags, spec.id))
        described.append(record)
    return described


def summarize(flags: pa.Table) -> dict[str, Any]:
    """Counts for the readiness report, overall and per agency.

    ``flags`` counts (project, flag) pairs, ``projects`` distinct flagged projects and
    ``by_flag`` the pairs per flag id.
    """
    agencies = sorted(set(flags["agency_code"].to_pylist()))
    return {
        "overall": _counts(flags),
        "by_agency": {
            agency: _counts(flags.filter(pc.equal(flags["agency_code"], agency)))
            for agency in agencies
        },
    }


def flag_rate(
    flags: pa.Table, screened: pa.Table, published_projects: Sequence[str | None]
) -> dict[str, Any]:
    """The red-flag rate's parts: ``flagged_projects`` (n, distinct projects with a flag) over
    ``screened_rows`` (N, every row that passed the schema, quarantined or not);
    ``published_rows`` of them are published; ``flagged_not_published`` lists the flagged
    projects a business rule quarantined (in the flags, absent from the published table)."""
    flagged = set(flags["project_id"].to_pylist())
    published = {project for project in published_projects if project is not None}
    return {
        "flagged_projects": len(flagged),
        "screened_rows": screened.num_rows,
        "published_rows": len(published_projects),
        "flagged_not_published": sorted(flagged - published),
    }


def _counts(flags: pa.Table) -> dict[str, Any]:
    per_flag = flags.group_by("flag_id").aggregate([("project_id", "count")])
    projects = flags.group_by(["agency_code", "project_id"]).aggregate([])
    return {
        "flags": flags.num_rows,
        "projects": projects.num_rows,
        "by_flag": dict(
            sorted(
                zip(
                    per_flag["flag_id"].to_pylist(),
                    per_flag["project_id_count"].to_pylist(),
                    strict=True,
                )
            )
        ),
    }


def _run(connection: duckdb.DuckDBPyConnection, spec: FlagSpec, ocids: dict[str, str]) -> pa.Table:
    # A mapping parameter (R003's thresholds per method) reaches the SQL as JSON text; a
    # population guard (minimum_processes) is applied before, not in the SQL.
    guard = {"minimum_processes"} if CHECKS[spec.check].population else set()
    params = {
        name: json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        for name, value in spec.parameters.items()
        if name not in guard
    }
    try:
        found = connection.sql(CHECKS[spec.check].query, params=params).to_arrow_table()
    except duckdb.Error as error:
        raise ValueError(f"red flag {spec.id} ({spec.check}): {error}") from error
    rows = found.num_rows
    settings = json.dumps(spec.parameters, ensure_ascii=False, sort_keys=True)
    return pa.Table.from_arrays(
        [
            found["agency_code"].cast(pa.string()),
            found["project_id"].cast(pa.string()),
            pa.array([spec.id] * rows, pa.string()),
            found["detail"].cast(pa.string()),
            pa.array([ocids.get(p) for p in found["project_id"].to_pylist()], pa.string()),
            found["values"].cast(pa.string()),
            pa.array([settings] * rows, pa.string()),
        ],
        schema=FLAGS_SCHEMA,
    )

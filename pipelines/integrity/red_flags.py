"""Procurement red flags over every procurement row that passed the schema (the gate's
``schema_valid.parquet``: rows a business rule quarantined included), vectorised in DuckDB.

The flags, their definitions, sources and parameters are data
(``datasets/procurement/red_flags.yaml``); each flag's SQL is one module in
:mod:`pipelines.integrity.flags`. The result is one row per (project, flag):
``agency_code, project_id, flag_id, detail``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from pipelines.integrity.flags import CHECKS
from pipelines.integrity.procurement_table import typed
from pipelines.settings import get_settings

FLAGS_SCHEMA = pa.schema(
    [
        ("agency_code", pa.string()),
        ("project_id", pa.string()),
        ("flag_id", pa.string()),
        ("detail", pa.string()),
    ]
)
AWARD_STATUSES = ("awarded", "contracted")


class BilingualName(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    th: str
    en: str


class FlagSpec(BaseModel):
    """One red flag as published: what it is, where it comes from, how it is tuned."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    check: str
    name: BilingualName
    definition: str
    source: str
    parameters: dict[str, Any]

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
        raw = yaml.safe_load(handle)
    try:
        return RedFlagsConfig.model_validate(raw).flags
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def compute_flags(table: pa.Table, specs: Sequence[FlagSpec] | None = None) -> pa.Table:
    """Every flag raised on the clean procurement ``table``, one row per (project, flag)."""
    specs = load_flag_specs() if specs is None else specs
    with duckdb.connect() as connection:
        connection.register("procurement", typed(table))
        statuses = ", ".join(f"'{status}'" for status in AWARD_STATUSES)
        connection.execute(
            f"CREATE VIEW awards AS SELECT * FROM procurement WHERE status IN ({statuses})"  # noqa: S608 - constants
        )
        parts = [_run(connection, spec) for spec in specs]
    if not parts:
        return FLAGS_SCHEMA.empty_table()
    return pa.concat_tables(parts).sort_by(
        [("agency_code", "ascending"), ("project_id", "ascending"), ("flag_id", "ascending")]
    )


def flagged_projects(flags: pa.Table, flag_id: str) -> list[str]:
    """The project ids ``flag_id`` flagged, sorted."""
    chosen = flags.filter(pc.equal(flags["flag_id"], flag_id))
    return sorted(chosen["project_id"].to_pylist())


def describe_flags(flags: pa.Table, specs: Sequence[FlagSpec]) -> list[dict[str, Any]]:
    """Each flag as published: id, names, definition, source, parameters, flagged projects."""
    return [
        {**spec.model_dump(exclude={"check"}), "projects": flagged_projects(flags, spec.id)}
        for spec in specs
    ]


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


def _run(connection: duckdb.DuckDBPyConnection, spec: FlagSpec) -> pa.Table:
    try:
        found = connection.sql(CHECKS[spec.check], params=spec.parameters).to_arrow_table()
    except duckdb.Error as error:
        raise ValueError(f"red flag {spec.id} ({spec.check}): {error}") from error
    flag_ids = pa.array([spec.id] * found.num_rows, pa.string())
    return pa.Table.from_arrays(
        [
            found["agency_code"].cast(pa.string()),
            found["project_id"].cast(pa.string()),
            flag_ids,
            found["detail"].cast(pa.string()),
        ],
        schema=FLAGS_SCHEMA,
    )

"""Dagster assets of procurement integrity, per agency partition, downstream of
``clean_procurement``: ``procurement_ocds`` (the OCDS release package, validated against the
official schema) and ``procurement_red_flags`` (the flags table and summary).

Both read the clean Parquet file from its path rather than through an IO manager, so they run
the same whichever asset wrote it. Wire them with the partitions of ``clean_procurement``::

    build_integrity_assets(agency_partitions)

Each materialization carries text metadata ``status``: ``published`` (the file was written),
or, for the OCDS package only, ``withheld`` with ``reason`` (one sentence) — the schema is
offline (not configured and not downloadable) or no row passed the checks. Withheld is a
normal outcome: the asset succeeds, ``published_procurement`` publishes the data and the red
flags and says on the dataset page why the package is missing. The ``reason`` (and the log)
names the cause and the schema URL, without credentials or query, for the steward and `ogp run`'s
summary; the withheld note, which reaches the page, holds only the public sentence, the same
whatever the cause, so an intermittent network re-publishes nothing. A configured schema folder that
is broken, or a package invalid against the schema, is a ``dg.Failure``.
"""

# No ``from __future__ import annotations``: Dagster inspects the context annotation at runtime.
from functools import cache
from pathlib import Path

import dagster as dg
from jsonschema import Draft4Validator

from pipelines.integrity.ocds_schema import (
    OcdsSchemaError,
    OcdsSchemaUnavailableError,
    load_schemas,
    package_validator,
    schema_directory,
)
from pipelines.integrity.partition import (
    Withheld,
    clear_withheld,
    export_partition,
    flag_partition,
    gated_table_path,
    withhold_package,
)
from pipelines.integrity.red_flags import load_flag_specs
from pipelines.settings import get_settings

CLEAN_PROCUREMENT = dg.AssetKey("clean_procurement")
GROUP = "integrity"
# Enough issues to see the pattern; the rest are counted.
ISSUES_SHOWN = 20


STATUS_PUBLISHED = "published"
STATUS_WITHHELD = "withheld"
NO_ROWS = Withheld(
    reason="no procurement row passed the checks, and an OCDS package needs at least one release",
    reason_th="ไม่มีรายการจัดซื้อจัดจ้างที่ผ่านการตรวจสอบ และแพ็กเกจ OCDS ต้องมีอย่างน้อยหนึ่งรายการ",
)


@cache
def _validator_for(directory: Path) -> Draft4Validator:
    # Reading the schema once per process and folder, not once per partition.
    return package_validator(load_schemas(directory))


def _validator() -> Draft4Validator:
    """The package validator; :class:`OcdsSchemaUnavailableError` when the schema is offline
    (a failed download is remembered by ``ocds_schema`` for the process), ``dg.Failure`` when
    a schema at hand is unusable."""
    try:
        return _validator_for(schema_directory())
    except OcdsSchemaUnavailableError:
        raise
    except OcdsSchemaError as error:
        raise dg.Failure(description=f"the OCDS schema is unusable: {error}") from None


def clear_validator_cache() -> None:
    _validator_for.cache_clear()


def _withheld(agency_code: str, withheld: Withheld, reason: str) -> dg.MaterializeResult:
    withhold_package(agency_code, get_settings().data_dir, withheld)
    return dg.MaterializeResult(
        metadata={
            "status": dg.MetadataValue.text(STATUS_WITHHELD),
            "reason": dg.MetadataValue.text(reason),
        }
    )


def _require_gated_table(agency_code: str) -> None:
    path = gated_table_path(get_settings().data_dir, agency_code)
    if not path.is_file():
        raise dg.Failure(
            description=f"no validated procurement table for {agency_code} at {path}: "
            "materialize clean_procurement (and pass its checks) for this partition first."
        )


def build_integrity_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The two integrity assets, partitioned like ``clean_procurement``."""

    @dg.asset(
        name="procurement_ocds",
        deps=[CLEAN_PROCUREMENT],
        partitions_def=partitions_def,
        group_name=GROUP,
        kinds={"json"},
        description="OCDS 1.1 release package of the agency's procurement, validated against "
        "the OCDS 1.1.5 schema; written only when valid.",
    )
    def procurement_ocds(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        agency = context.partition_key
        _require_gated_table(agency)
        try:
            validator = _validator()
        except OcdsSchemaUnavailableError as offline:
            context.log.warning(f"OCDS package of {agency} withheld: {offline.reason}")
            # public: no URL, no cause (see the module's docstring)
            withheld = Withheld(reason=offline.what, reason_th=offline.what_th)
            return _withheld(agency, withheld, offline.reason)
        data_dir = get_settings().data_dir
        outcome = export_partition(agency, data_dir, validator)
        if outcome.releases == 0:
            return _withheld(agency, NO_ROWS, NO_ROWS.reason)
        metadata: dict[str, dg.RawMetadataValue] = {
            "releases": outcome.releases,
            "validation_errors": len(outcome.issues),
        }
        if outcome.issues:
            shown = "\n".join(
                f"| {i.path} | {i.validator} | {i.message} |" for i in outcome.issues[:ISSUES_SHOWN]
            )
            metadata["issues"] = dg.MetadataValue.md(
                "| path | keyword | message |\n|---|---|---|\n" + shown
            )
            raise dg.Failure(
                description=f"OCDS package of {agency} is invalid "
                f"({len(outcome.issues)} schema errors); the previous package stays.",
                metadata=metadata,
            )
        if outcome.path is not None:
            metadata["path"] = dg.MetadataValue.path(str(outcome.path))
        clear_withheld(agency, data_dir)
        metadata["status"] = dg.MetadataValue.text(STATUS_PUBLISHED)
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset(
        name="procurement_red_flags",
        deps=[CLEAN_PROCUREMENT],
        partitions_def=partitions_def,
        group_name=GROUP,
        kinds={"duckdb", "csv"},
        description="Procurement red flags (R003, R018, R024, R058, split purchases, above "
        "budget, supplier share) of the agency, per datasets/procurement/red_flags.yaml.",
    )
    def procurement_red_flags(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        _require_gated_table(context.partition_key)
        specs = load_flag_specs()
        outcome = flag_partition(context.partition_key, get_settings().data_dir, specs)
        counts = outcome.summary["overall"]
        metadata: dict[str, dg.RawMetadataValue] = {
            "flags": counts["flags"],
            "flagged_projects": counts["projects"],
            **{f"flag_{spec.id}": counts["by_flag"].get(spec.id, 0) for spec in specs},
            "path": dg.MetadataValue.path(str(outcome.csv)),
            "status": dg.MetadataValue.text(STATUS_PUBLISHED),
        }
        return dg.MaterializeResult(metadata=metadata)

    return [procurement_ocds, procurement_red_flags]

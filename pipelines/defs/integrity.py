"""Dagster assets of procurement integrity, per agency partition, downstream of
``clean_procurement``: ``procurement_ocds`` (the OCDS release package, validated against the
official schema) and ``procurement_red_flags`` (the flags table and summary).

Both read the clean Parquet file from its path rather than through an IO manager, so they run
the same whichever asset wrote it. Wire them with the partitions of ``clean_procurement``::

    build_integrity_assets(agency_partitions)
"""

# No ``from __future__ import annotations``: Dagster inspects the context annotation at runtime.
from functools import cache

import dagster as dg
from jsonschema import Draft4Validator

from pipelines.integrity.ocds_schema import package_validator
from pipelines.integrity.partition import export_partition, flag_partition, gated_table_path
from pipelines.integrity.red_flags import load_flag_specs
from pipelines.settings import get_settings

CLEAN_PROCUREMENT = dg.AssetKey("clean_procurement")
GROUP = "integrity"
# Enough issues to see the pattern; the rest are counted.
ISSUES_SHOWN = 20


@cache
def _validator() -> Draft4Validator:
    # Loading (maybe downloading) the schema once per process, not once per partition.
    return package_validator()


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
        _require_gated_table(context.partition_key)
        outcome = export_partition(context.partition_key, get_settings().data_dir, _validator())
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
                description=f"OCDS package of {context.partition_key} is invalid "
                f"({len(outcome.issues)} schema errors); the previous package stays.",
                metadata=metadata,
            )
        if outcome.path is not None:
            metadata["path"] = dg.MetadataValue.path(str(outcome.path))
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
        }
        return dg.MaterializeResult(metadata=metadata)

    return [procurement_ocds, procurement_red_flags]

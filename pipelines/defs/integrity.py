"""Dagster assets of procurement integrity, per agency partition, downstream of
``clean_procurement``: ``procurement_ocds`` (the OCDS release package, validated against the
official schema) and ``procurement_red_flags`` (the flags table and summary).

Both read the clean Parquet file from its path rather than through an IO manager, so they run
the same whichever asset wrote it. Wire them with the partitions of ``clean_procurement``::

    build_integrity_assets(agency_partitions)

Each materialization carries text metadata ``status``: ``published`` (the file was written),
``failed`` (below), or, for the OCDS package only, ``withheld`` with ``reason`` (one sentence) —
the schema is offline (not configured and not downloadable) or no row passed the checks (its
check passes then: nothing was there to validate). Withheld is a
normal outcome: the asset succeeds, ``published_procurement`` publishes the data and the red
flags and says on the dataset page why the package is missing. The ``reason`` (and the log)
names the cause and the schema URL, without credentials or query, for the steward and `ogp run`'s
summary; the withheld note, which reaches the page, holds only the public sentence, the same
whatever the cause, so an intermittent network re-publishes nothing.

A derived file that *fails* never costs the family its publication: a configured schema folder
that is broken, a package invalid against the schema, or red flags that cannot be computed (an
unknown ``check:`` in red_flags.yaml) make the asset materialize anyway with ``status`` ``failed``
and ``reason`` (one sentence), write the withheld note with the public sentence
:data:`~pipelines.integrity.partition.NOT_PRODUCED` (the cause stays off the page), remove the
file of an earlier run, and fail the asset's non-blocking check (``ocds_package_valid``,
``red_flags_computed``, severity ERROR) so the UI shows it red; ``published_procurement`` then
publishes the data without that file. A fault of ours that is not about the file (no gated
table, an agency missing from the registry) still fails the step.

A project number the agency publishes that another agency publishes too
(:mod:`~pipelines.integrity.process_ids`) withholds the agency's whole package the same way
(``failed``, the check fails), but its note carries the one-line reason naming the project, both
agencies and their files: the steward of either agency can act on it from the dataset page.
"""

# No ``from __future__ import annotations``: Dagster inspects the context annotation at runtime.
import warnings
from functools import cache
from pathlib import Path

import dagster as dg
import jsonschema_rs

from pipelines.integrity.ocds_bids import STALE, STALE_TH, bids_quality, current_bids, read_bids
from pipelines.integrity.ocds_config import load_ocds_config
from pipelines.integrity.ocds_schema import (
    OcdsSchemaError,
    OcdsSchemaUnavailableError,
    load_schemas,
    schema_directory,
)
from pipelines.integrity.ocds_validate import package_validator
from pipelines.integrity.partition import (
    NOT_PRODUCED,
    Withheld,
    clear_withheld,
    clear_withheld_flags,
    export_partition,
    flag_partition,
    gated_table_path,
    withhold_flags,
    withhold_package,
)
from pipelines.integrity.process_ids import find_conflicts
from pipelines.integrity.procurement_table import read_procurement
from pipelines.integrity.red_flags import load_flag_specs
from pipelines.layout import PROCUREMENT, PROCUREMENT_OCDS, PROCUREMENT_RED_FLAGS, clean_key
from pipelines.settings import get_settings

CLEAN_PROCUREMENT = dg.AssetKey(clean_key(PROCUREMENT))
GROUP = "integrity"
# Enough issues to see the pattern; the rest are counted.
ISSUES_SHOWN = 20
WARNED_IDS = 20  # project ids shown per bids warning (metadata, log)


STATUS_PUBLISHED = "published"
STATUS_WITHHELD = "withheld"
STATUS_FAILED = "failed"
OCDS_CHECK = "ocds_package_valid"
FLAGS_CHECK = "red_flags_computed"
NO_ROWS = Withheld(
    reason="no procurement row passed the checks, and an OCDS package needs at least one release",
    reason_th="ไม่มีรายการจัดซื้อจัดจ้างที่ผ่านการตรวจสอบ และแพ็กเกจ OCDS ต้องมีอย่างน้อยหนึ่งรายการ",
)


@cache
def _validator_for(directory: Path) -> jsonschema_rs.Validator:
    # Reading the schema once per process and folder, not once per partition.
    return package_validator(load_schemas(directory))


def _validator() -> jsonschema_rs.Validator:
    """The package validator; :class:`OcdsSchemaUnavailableError` when the schema is offline
    (a failed download is remembered by ``ocds_schema`` for the process), another
    :class:`OcdsSchemaError` when a schema at hand is unusable."""
    return _validator_for(schema_directory())


def clear_validator_cache() -> None:
    _validator_for.cache_clear()


def _check(
    name: str, passed: bool, metadata: "dict[str, dg.RawMetadataValue]"
) -> dg.AssetCheckResult:
    reason = metadata.get("reason")
    return dg.AssetCheckResult(
        check_name=name,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=str(getattr(reason, "value", reason)) if reason is not None else None,
    )


def _withheld(agency_code: str, withheld: Withheld, reason: str) -> dg.MaterializeResult:
    """A normal outcome (offline, no rows): the check passes, saying what was not checked."""
    withhold_package(agency_code, get_settings().data_dir, withheld)
    metadata: dict[str, dg.RawMetadataValue] = {
        "status": dg.MetadataValue.text(STATUS_WITHHELD),
        "reason": dg.MetadataValue.text(reason),
    }
    return dg.MaterializeResult(
        metadata=metadata, check_results=[_check(OCDS_CHECK, True, metadata)]
    )


def _failed(
    context: dg.AssetExecutionContext,
    check: str,
    reason: str,
    extra: "dict[str, dg.RawMetadataValue] | None" = None,
) -> dg.MaterializeResult:
    """The derived file failed: the asset materializes (the family is still published without
    the file, whose note the caller wrote) and its check fails with the reason."""
    context.log.error(f"{context.asset_key.to_user_string()} of {context.partition_key}: {reason}")
    metadata: dict[str, dg.RawMetadataValue] = {
        **(extra or {}),
        "status": dg.MetadataValue.text(STATUS_FAILED),
        "reason": dg.MetadataValue.text(reason),
    }
    return dg.MaterializeResult(metadata=metadata, check_results=[_check(check, False, metadata)])


def _bids_warnings(
    context: dg.AssetExecutionContext, agency: str, data_dir: Path, bids_path: Path | None
) -> "dict[str, dg.RawMetadataValue]":
    """Data-quality warnings on the bids used (ocds_bids.bids_quality): bids of a project the
    procurement table lacks (kept out of the package) and bid rows not numbering the project's
    number_of_bidders (numberOfTenderers stays that number). Counts, and the first ids."""
    declared = load_ocds_config().bids
    bids = read_bids(bids_path, declared) if bids_path is not None else None
    quality = bids_quality(read_procurement(gated_table_path(data_dir, agency)), bids)
    for label, projects in (
        ("bids of project(s) not in the procurement table, left out", quality.orphans),
        ("project(s) whose bid rows differ from number_of_bidders", quality.count_mismatches),
    ):
        if projects:
            shown = ", ".join(projects[:WARNED_IDS])
            context.log.warning(f"{agency}: {len(projects)} {label}: {shown}")
    return {
        "orphan_bids": quality.orphan_rows,
        "orphan_bid_projects": dg.MetadataValue.json(quality.orphans[:WARNED_IDS]),
        "bid_count_mismatches": len(quality.count_mismatches),
        "bid_count_mismatch_projects": dg.MetadataValue.json(quality.count_mismatches[:WARNED_IDS]),
    }


def _require_gated_table(agency_code: str) -> None:
    path = gated_table_path(get_settings().data_dir, agency_code)
    if not path.is_file():
        raise dg.Failure(
            description=f"no validated procurement table for {agency_code} at {path}: "
            "materialize clean_procurement (and pass its checks) for this partition first."
        )


CHECK_DESCRIPTIONS = {
    OCDS_CHECK: "The OCDS package was produced and is valid against the OCDS schema "
    "/ แพ็กเกจ OCDS สร้างได้และถูกต้องตามสคีมา",
    FLAGS_CHECK: "The red flags were computed from red_flags.yaml / คำนวณสัญญาณเตือนความเสี่ยงได้",
}


def _check_spec(
    name: str, asset: str, partitions_def: dg.PartitionsDefinition
) -> dg.AssetCheckSpec:
    """A non-blocking check, partitioned like its asset: the UI shows each agency's result (an
    unpartitioned check would show only the latest partition's). Partitioned checks are a
    Dagster preview feature; its warning is not for the steward."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name,
            asset=asset,
            blocking=False,
            description=CHECK_DESCRIPTIONS[name],
            partitions_def=partitions_def,
        )


def build_integrity_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The two integrity assets, partitioned like ``clean_procurement``."""

    @dg.asset(
        name=PROCUREMENT_OCDS,
        deps=[CLEAN_PROCUREMENT],
        partitions_def=partitions_def,
        group_name=GROUP,
        kinds={"json"},
        description="OCDS 1.1 release package of the agency's procurement (bids per the bid "
        "extension), validated against the OCDS 1.1.5 schema merged with its extensions; written "
        "only when valid, withheld when a project number is also another agency's.",
        check_specs=[_check_spec(OCDS_CHECK, PROCUREMENT_OCDS, partitions_def)],
    )
    def procurement_ocds(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        agency = context.partition_key
        _require_gated_table(agency)
        data_dir = get_settings().data_dir
        conflict = find_conflicts(agency, data_dir)
        if conflict is not None:
            # The whole package is withheld: an ocid must name one process, nationally.
            withhold_package(agency, data_dir, Withheld(conflict.reason, conflict.reason_th))
            return _failed(context, OCDS_CHECK, conflict.reason)
        try:
            validator = _validator()
        except OcdsSchemaUnavailableError as offline:
            context.log.warning(f"OCDS package of {agency} withheld: {offline.reason}")
            # public: no URL, no cause (see the module's docstring)
            withheld = Withheld(reason=offline.what, reason_th=offline.what_th)
            return _withheld(agency, withheld, offline.reason)
        except OcdsSchemaError as error:
            withhold_package(agency, data_dir, NOT_PRODUCED)
            return _failed(context, OCDS_CHECK, f"the OCDS schema is unusable: {error}")
        bids = current_bids(data_dir, agency)
        if bids.stale:  # never a previous run's bids (ocds_bids.current_bids)
            withhold_package(agency, data_dir, Withheld(STALE, STALE_TH))
            return _failed(context, OCDS_CHECK, f"OCDS package of {agency}: {STALE}")
        outcome = export_partition(
            agency, data_dir, validator, with_bids=bids.publishable is not None
        )
        if outcome.releases == 0:
            return _withheld(agency, NO_ROWS, NO_ROWS.reason)
        metadata: dict[str, dg.RawMetadataValue] = {
            "releases": outcome.releases,
            "validation_errors": len(outcome.issues),
            **_bids_warnings(context, agency, data_dir, bids.publishable),
        }
        if outcome.issues:
            shown = "\n".join(
                f"| {i.path} | {i.validator} | {i.message} |" for i in outcome.issues[:ISSUES_SHOWN]
            )
            metadata["issues"] = dg.MetadataValue.md(
                "| path | keyword | message |\n|---|---|---|\n" + shown
            )
            withhold_package(agency, data_dir, NOT_PRODUCED)
            first = outcome.issues[0]
            reason = (
                f"the OCDS package of {agency} is invalid against the schema "
                f"({len(outcome.issues)} error(s), first at {first.path or '/'}: {first.message})"
            )
            return _failed(context, OCDS_CHECK, reason, metadata)
        if outcome.path is not None:
            metadata["path"] = dg.MetadataValue.path(str(outcome.path))
        clear_withheld(agency, data_dir)
        metadata["status"] = dg.MetadataValue.text(STATUS_PUBLISHED)
        return dg.MaterializeResult(
            metadata=metadata, check_results=[_check(OCDS_CHECK, True, metadata)]
        )

    @dg.asset(
        name=PROCUREMENT_RED_FLAGS,
        deps=[CLEAN_PROCUREMENT],
        partitions_def=partitions_def,
        group_name=GROUP,
        kinds={"duckdb", "csv"},
        description="Procurement red flags of the agency (Cardinal's R003, R018, R024, R035, "
        "R036, R038, R058 and Thailand's own TH- flags), per datasets/procurement/red_flags.yaml.",
        check_specs=[_check_spec(FLAGS_CHECK, PROCUREMENT_RED_FLAGS, partitions_def)],
    )
    def procurement_red_flags(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        agency = context.partition_key
        _require_gated_table(agency)
        data_dir = get_settings().data_dir
        bids = current_bids(data_dir, agency)
        if bids.stale:  # the bid flags would read a previous run's bids
            withhold_flags(agency, data_dir, Withheld(STALE, STALE_TH))
            return _failed(context, FLAGS_CHECK, f"red flags of {agency}: {STALE}")
        try:  # a bad definition file, or a flag whose query fails: ValueError naming it
            specs = load_flag_specs()
            outcome = flag_partition(agency, data_dir, specs, current=bids)
        except ValueError as error:
            withhold_flags(agency, data_dir, NOT_PRODUCED)
            return _failed(context, FLAGS_CHECK, f"the red flags cannot be computed: {error}")
        clear_withheld_flags(agency, data_dir)
        counts = outcome.summary["overall"]
        metadata: dict[str, dg.RawMetadataValue] = {
            "flags": counts["flags"],
            "flagged_projects": counts["projects"],
            **{f"flag_{spec.id}": counts["by_flag"].get(spec.id, 0) for spec in specs},
            "path": dg.MetadataValue.path(str(outcome.csv)),
            "status": dg.MetadataValue.text(STATUS_PUBLISHED),
        }
        return dg.MaterializeResult(
            metadata=metadata, check_results=[_check(FLAGS_CHECK, True, metadata)]
        )

    return [procurement_ocds, procurement_red_flags]

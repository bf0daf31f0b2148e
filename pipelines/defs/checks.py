"""Blocking asset checks ``schema``, ``suite`` and ``privacy`` on every ``clean_<family>``.

Per-partition checks are awkward as separate ``@asset_check`` functions (they would re-read
each partition), so the clean asset declares the specs and yields the results from its own
materialization — one run of the gate per partition:

    @dg.asset(key=clean_asset_key(spec.name), ..., check_specs=check_specs_for(spec.name))
    def clean_asset(context):
        partition = clean(spec, agency, data_dir)
        checks = validation_check_results(spec, agency, partition.files.parquet,
                                          cast_errors=partition.result.cast_errors,
                                          personal_data=partition.result.personal_data)
        return dg.MaterializeResult(metadata=..., check_results=checks)

Blocking checks stop downstream (publish) materializations of that partition when they fail;
the report link in the metadata shows why. Nothing here imports great_expectations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.contracts import DatasetSpec
from pipelines.layout import clean_key
from pipelines.validation.gate import CHECKS, ValidationResult

DESCRIPTIONS = {
    "schema": "Frictionless Table Schema: types, constraints, keys / โครงสร้างและชนิดข้อมูล",
    "suite": "Great Expectations business rules / กฎทางธุรกิจ",
    "privacy": "No unmasked personal data (PDPA) / ไม่มีข้อมูลส่วนบุคคล",
}


def clean_asset_key(family: str) -> dg.AssetKey:
    return dg.AssetKey(clean_key(family))


def check_specs_for(family: str) -> list[dg.AssetCheckSpec]:
    """The three blocking check specs to declare on ``clean_<family>``."""
    return [
        dg.AssetCheckSpec(
            name=name,
            asset=clean_asset_key(family),
            blocking=True,
            description=DESCRIPTIONS[name],
        )
        for name in CHECKS
    ]


def check_metadata(result: ValidationResult, name: str) -> dict[str, Any]:
    report = result.report
    metadata: dict[str, Any] = {"status": result.status, "rows": result.row_count}
    if name == "schema":
        metadata["errors_by_type"] = dg.MetadataValue.json(report["counts"]["errors_by_type"])
        metadata["invalid_rows"] = report["counts"]["invalid_rows"]
        metadata["engine"] = result.schema.engine
    elif name == "suite" and result.suite is not None:
        metadata["failed_errors"] = len(result.suite.failed_errors)
        metadata["failed_warnings"] = len(result.suite.failed_warnings)
        metadata["failed"] = dg.MetadataValue.json(
            [o.label for o in result.suite.outcomes if not o.success]
        )
    elif name == "privacy":
        metadata["findings_by_kind"] = dg.MetadataValue.json(result.privacy.counts_by_kind())
        metadata["findings_by_action"] = dg.MetadataValue.json(
            dict(Counter(finding.action for finding in result.privacy.findings))
        )
        metadata["dropped_columns"] = dg.MetadataValue.json(result.privacy.dropped_columns)
    if result.report_paths:
        json_path, html_path = result.report_paths
        metadata["report"] = dg.MetadataValue.path(str(html_path))
        metadata["report_json"] = dg.MetadataValue.path(str(json_path))
    return metadata


def check_results(result: ValidationResult) -> list[dg.AssetCheckResult]:
    """One result per check; failures are ERROR severity (blocking)."""
    return [
        dg.AssetCheckResult(
            check_name=name,
            passed=result.check_passed(name),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=check_metadata(result, name),
        )
        for name in CHECKS
    ]


def validation_check_results(
    spec: DatasetSpec,
    agency: str,
    clean_path: Path,
    *,
    cast_errors: Sequence[Mapping[str, Any]] = (),
    personal_data: Sequence[Mapping[str, Any]] = (),
) -> list[dg.AssetCheckResult]:
    """Run the gate on a clean partition and return its check results (report written).

    ``personal_data``: normalisation's findings in the text as received (every column, mapped
    or not, before casting); the gate turns them into blocking or informative findings."""
    from pipelines.validation.gate import validate_partition

    result = validate_partition(
        spec.name,
        agency,
        clean_path,
        spec,
        cast_errors=cast_errors,
        personal_data=personal_data,
    )
    return check_results(result)


__all__ = ["check_results", "check_specs_for", "clean_asset_key", "validation_check_results"]

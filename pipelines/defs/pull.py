"""Pull-stage assets, built from the dataset contracts by one factory.

For every family in ``datasets/``: ``raw_<family>`` (the source, landed with provenance) and
``clean_<family>`` (typed Parquet + CSV), partitioned by agency. Partitions come from the
agency registry at load time (:data:`agency_partitions`, reused by later stages). The
``agencies`` family itself is reference data: one unpartitioned asset each.

A broken file raises in its own partition only; every other agency's partition runs on. An
agency that has sent no file yet is *awaiting data*: ``raw_<family>`` records an observation
(``status=awaiting_data``) and no materialization, so that family's later steps are skipped
and the run still succeeds.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.contracts import DatasetSpec, load_agencies, load_specs
from pipelines.defs.checks import check_specs_for, clean_asset_key, validation_check_results
from pipelines.defs.locking import step_lock
from pipelines.files import replace_atomically
from pipelines.layout import UNPARTITIONED, report_json_path
from pipelines.layout import raw_key as raw_name
from pipelines.normalize.partition import clean
from pipelines.settings import get_settings
from pipelines.sources.partition import AwaitingData, land
from pipelines.validation.personal_text import mask_texts

GROUP = "pull"
AWAITING_DATA = "awaiting_data"  # raw_<family> observation status: no file received yet

agency_partitions = dg.StaticPartitionsDefinition(
    [agency.agency_code for agency in load_agencies()]
)


def raw_key(family: str) -> dg.AssetKey:
    return dg.AssetKey(raw_name(family))


def _agency(context: AssetExecutionContext, spec: DatasetSpec) -> str | None:
    return context.partition_key if spec.partitioned else None


def _data_dir() -> Path:
    return get_settings().data_dir


def raw_metadata(files: list[Any]) -> dict[str, Any]:
    return {
        "files": len(files),
        "new_files": sum(file.new for file in files),
        "bytes": sum(file.provenance.size for file in files),
        # a file name may itself be personal data: masked by the guard's detector
        "source": dg.MetadataValue.json(mask_texts([file.provenance.source for file in files])),
        "sha256": dg.MetadataValue.json([file.sha256 for file in files]),
    }


def awaiting_observation(
    context: AssetExecutionContext, spec: DatasetSpec, waiting: AwaitingData
) -> dg.AssetObservation:
    """The record of a partition whose agency has sent no file yet."""
    return dg.AssetObservation(
        asset_key=raw_key(spec.name),
        partition=context.partition_key if spec.partitioned else None,
        metadata={
            "status": AWAITING_DATA,
            "reason": f"no file received yet ({mask_texts([waiting.source])[0]})",
        },
    )


# Every family of a run is taken in and gated before any derived step runs: the OCDS export and
# the red flags read the gated bids of the same run, and Dagster cannot make a step wait for
# another that may be skipped (no bids file). Ready steps run highest priority first.
TAKE_IN_FIRST = {"dagster/priority": "1"}


def build_raw_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_key(spec.name),
        partitions_def=agency_partitions if spec.partitioned else None,
        group_name=GROUP,
        kinds={"file"},
        description=f"{spec.title.en} / {spec.title.th}: files as received, with provenance.",
        # no file yet: no output, and the family's downstream steps are skipped
        output_required=False,
        op_tags=TAKE_IN_FIRST,
    )
    def raw_asset(context: AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        try:
            with step_lock(context, spec.name):
                files = land(spec, _agency(context, spec), _data_dir())
        except AwaitingData as waiting:
            # nothing received yet: a normal state. No materialization, so the family's
            # downstream steps are skipped (not failed); the observation says why.
            context.log_event(awaiting_observation(context, spec, waiting))
            context.log.info(f"{spec.name}: {waiting.problem}")
            return
        yield dg.MaterializeResult(metadata=raw_metadata(files))

    return raw_asset


def build_clean_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=clean_asset_key(spec.name),
        deps=[raw_key(spec.name)],
        partitions_def=agency_partitions if spec.partitioned else None,
        group_name=GROUP,
        kinds={"parquet", "csv"},
        check_specs=check_specs_for(spec.name),
        op_tags=TAKE_IN_FIRST,
        description=f"{spec.title.en} / {spec.title.th}: typed clean table (Parquet + CSV), "
        "gated by blocking schema, suite and privacy checks.",
    )
    def clean_asset(context: AssetExecutionContext) -> dg.MaterializeResult:
        agency = _agency(context, spec)
        # the clean table and the gate's outputs (report, publishable table) are written together
        with step_lock(context, spec.name):
            try:
                partition = clean(spec, agency, _data_dir())
                checks = validation_check_results(
                    spec,
                    agency or UNPARTITIONED,
                    partition.files.parquet,
                    cast_errors=partition.result.cast_errors,
                    personal_data=partition.result.personal_data,
                )
            except Exception as error:
                if agency is not None:
                    _record_failure(spec.name, agency, error)
                raise
        summary = partition.result.metadata()
        return dg.MaterializeResult(
            metadata={
                "rows": summary["rows"],
                "bytes": partition.files.parquet.stat().st_size,
                "cast_errors": summary["cast_errors"],
                "normalizations": dg.MetadataValue.json(summary["normalizations"]),
                "missing_columns": dg.MetadataValue.json(summary["missing_columns"]),
                "unknown_columns": dg.MetadataValue.json(summary["unknown_columns"]),
                "path": dg.MetadataValue.path(str(partition.files.parquet)),
                "source": dg.MetadataValue.json(partition.result.sources),
            },
            check_results=checks,
        )

    return clean_asset


def _record_failure(family: str, agency: str, error: Exception) -> None:
    """A file was received but could not be taken in: the partition's gate report says so
    (status ``failed``, nothing publishable, the cause masked), replacing an older verdict, so
    the readiness report counts it against the agency instead of as awaiting data."""
    report = {
        "family": family,
        "agency": agency,
        "status": "failed",
        "valid": False,
        "publishable": False,
        "publishable_table": None,
        "reasons": mask_texts([str(error).splitlines()[0] if str(error) else type(error).__name__]),
        "counts": {"rows": 0, "published_rows": 0},
        "privacy": {"findings": []},
    }
    path = report_json_path(_data_dir(), family, agency)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def build_pull_assets(specs: dict[str, DatasetSpec] | None = None) -> list[dg.AssetsDefinition]:
    """``raw_<family>`` and ``clean_<family>`` for every contract."""
    specs = load_specs() if specs is None else specs
    return [
        build(spec) for spec in specs.values() for build in (build_raw_asset, build_clean_asset)
    ]


# Parsed once per process; the schedules and the code location reuse it.
SPECS: dict[str, DatasetSpec] = load_specs()
pull_assets: list[dg.AssetsDefinition] = build_pull_assets(SPECS)

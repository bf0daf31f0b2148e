"""Run the whole pipeline through Dagster on the local instance (``ogp run``, ``make demo``).

Runs are ordinary Dagster runs in ``$DAGSTER_HOME`` — the same ones ``make ui`` shows: the
reference job (agency registry, CKAN organizations), one ``agency_job`` run per agency
partition, then the readiness report. The summary is read from the runs' own events, so what
``ogp run`` prints is exactly what the Dagster UI says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from pipelines.dagster_home import ensure_dagster_home
from pipelines.defs.alerts import innermost, root_cause

BAD_INPUT_ERRORS = {"NormalizeError", "SourceError"}


@dataclass
class PartitionOutcome:
    """What happened to one family of one agency."""

    agency: str
    family: str
    status: str  # published | blocked | failed | skipped
    reasons: list[str] = field(default_factory=list)
    url: str | None = None


@dataclass
class RunSummary:
    run_ids: list[str] = field(default_factory=list)
    outcomes: list[PartitionOutcome] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)
    report_path: str | None = None
    report_url: str | None = None

    @property
    def ok(self) -> bool:
        """True when every run ended and nothing failed except what the checks blocked."""
        return not any(outcome.status == "failed" for outcome in self.outcomes)


def _family(name: str, prefix: str) -> str | None:
    """The family of an asset or step named ``<prefix><family>``."""
    return name.removeprefix(prefix) if name.startswith(prefix) else None


# Metadata keys the blocking checks (pipelines/defs/checks.py) fill with what went wrong.
REASON_KEYS = ("errors_by_type", "failed", "findings_by_kind")


def _check_reason(evaluation: dg.AssetCheckEvaluation) -> str:
    details = [
        str(evaluation.metadata[key].value)
        for key in REASON_KEYS
        if key in evaluation.metadata and evaluation.metadata[key].value
    ]
    return f"{evaluation.check_name}: {'; '.join(details)}" if details else evaluation.check_name


def _is_bad_input(error: SerializableErrorInfo | None) -> bool:
    """A step that failed on what an agency sent (unreadable, truncated, a source that
    answered with an error) blocks its partition; anything else is a failure of ours."""
    return error is not None and innermost(error).cls_name in BAD_INPUT_ERRORS


def agency_outcomes(agency: str, result: dg.ExecuteInProcessResult) -> list[PartitionOutcome]:
    """Per family: published (with its URL), blocked by which checks, or failed at which step."""
    published: dict[str, str | None] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization is None:
            continue
        family = _family(materialization.asset_key.to_user_string(), "published_")
        if family is not None:
            url = materialization.metadata.get("dataset_url")
            published[family] = str(url.value) if url is not None else None

    blocked: dict[str, list[str]] = {}
    quarantined: dict[str, list[str]] = {}
    for evaluation in result.get_asset_check_evaluations():
        family = _family(evaluation.asset_key.to_user_string(), "clean_")
        if family is None:
            continue
        if not evaluation.passed:
            blocked.setdefault(family, []).append(_check_reason(evaluation))
        status = evaluation.metadata.get("status")
        invalid = evaluation.metadata.get("invalid_rows")
        if status is not None and status.value == "quarantined" and invalid is not None:
            quarantined[family] = [f"quarantined {invalid.value} invalid row(s): see the report"]

    failed: dict[str, list[str]] = {}
    for event in result.get_step_failure_events():
        step = event.step_key or ""
        error = event.step_failure_data.error if event.step_failure_data else None
        for prefix in ("raw_", "clean_", "published_"):
            family = _family(step, prefix)
            if not family:
                continue
            reason = f"{step}: {root_cause(error)}"[:400]
            if _is_bad_input(error):
                blocked.setdefault(family, []).append(reason)
            else:
                failed.setdefault(family, []).append(reason)

    families = sorted(set(published) | set(blocked) | set(failed))
    outcomes = []
    for family in families:
        if family in published:
            outcomes.append(
                PartitionOutcome(
                    agency, family, "published", quarantined.get(family, []), published[family]
                )
            )
        elif family in blocked:
            outcomes.append(PartitionOutcome(agency, family, "blocked", blocked[family]))
        else:
            outcomes.append(PartitionOutcome(agency, family, "failed", failed[family]))
    return outcomes


def run_pipeline(
    agencies: Iterable[str] | None = None,
    on_progress: Callable[[str], None] = lambda _message: None,
) -> RunSummary:
    """Reference data, every agency partition, then the report — as Dagster runs."""
    ensure_dagster_home()
    from pipelines.definitions import defs  # import after DAGSTER_HOME is set

    instance = dg.DagsterInstance.get()
    summary = RunSummary()

    def execute(job_name: str, partition_key: str | None = None) -> dg.ExecuteInProcessResult:
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(
            instance=instance, partition_key=partition_key, raise_on_error=False
        )
        summary.run_ids.append(result.run_id)
        if not result.success:
            summary.failed_runs.append(f"{job_name}[{partition_key or '-'}] {result.run_id}")
        return result

    on_progress("reference data and CKAN organizations")
    execute("reference_job")
    from pipelines.defs.pull import agency_partitions

    for agency in agencies or agency_partitions.get_partition_keys():
        on_progress(f"agency {agency}")
        summary.outcomes.extend(agency_outcomes(agency, execute("agency_job", agency)))

    on_progress("readiness report")
    report = execute("readiness_job")
    for event in report.get_asset_materialization_events():
        materialization = event.materialization
        if materialization is None:
            continue
        path = materialization.metadata.get("path")
        url = materialization.metadata.get("html_url")
        summary.report_path = str(path.value) if path is not None else None
        summary.report_url = str(url.value) if url is not None else None
    return summary

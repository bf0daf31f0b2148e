"""Run the whole pipeline through Dagster on the local instance (``ogp run``, ``make demo``).

Runs are ordinary Dagster runs in ``$DAGSTER_HOME`` — the same ones ``make ui`` shows: the
reference job (agency registry, CKAN organizations), one ``agency_job`` run per agency
partition, then the readiness report. The summary is read from the runs' own events, so what
``ogp run`` prints is exactly what the Dagster UI says.

Each run is executed while holding its agency's run lock (``_catalog`` for the unpartitioned
jobs, see pipelines/locks.py), the same lock the daemon's run workers take: a second ``ogp run``
waits for the first (``--wait`` / ``OGP_LOCK_WAIT_S``) or reports the agency as busy and skips
it -- it never publishes beside it. Holding the lock, it first marks failed the agency's runs
left STARTED by a process that is gone (killed, crashed), so they no longer block the queue.
Every run records this process's pid and host as run tags for that check.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from pipelines.dagster_home import open_instance
from pipelines.defs.alerts import innermost, root_cause
from pipelines.liveness import fail_dead_runs, worker_tags
from pipelines.locks import CATALOG_SCOPE, LockBusyError, run_lock

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
    busy: list[str] = field(default_factory=list)  # runs not started: another run held the lock
    recovered_runs: list[str] = field(default_factory=list)  # dead runs this run marked failed
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
    wait_s: float | None = None,
) -> RunSummary:
    """Reference data, every agency partition, then the report — as Dagster runs.

    ``wait_s``: how long to wait for another run of the same agency (default
    ``OGP_LOCK_WAIT_S``); an agency still busy then is reported as skipped."""
    instance = open_instance()
    from pipelines.definitions import defs  # import after DAGSTER_HOME is set

    summary = RunSummary()

    def execute(
        job_name: str, partition_key: str | None = None
    ) -> dg.ExecuteInProcessResult | None:
        label = f"{job_name}[{partition_key or '-'}]"
        run_id = str(uuid.uuid4())
        try:
            with run_lock(
                partition_key or CATALOG_SCOPE,
                wait_s=wait_s,
                owner={"run": f"ogp run: {label} run {run_id}"},
                on_wait=on_progress,
            ):
                for dead in fail_dead_runs(instance, partition_key or CATALOG_SCOPE, "ogp run"):
                    summary.recovered_runs.append(
                        f"{dead.job_name}[{partition_key or '-'}] {dead.run_id}"
                    )
                result = defs.resolve_job_def(job_name).execute_in_process(
                    instance=instance,
                    partition_key=partition_key,
                    raise_on_error=False,
                    run_id=run_id,
                    tags=worker_tags(run_id),
                )
        except LockBusyError as busy:
            summary.busy.append(f"{label}: {busy}")
            return None
        summary.run_ids.append(result.run_id)
        if not result.success:
            summary.failed_runs.append(f"{label} {result.run_id}")
        return result

    on_progress("reference data and CKAN organizations")
    execute("reference_job")
    from pipelines.defs.pull import agency_partitions

    for agency in agencies or agency_partitions.get_partition_keys():
        on_progress(f"agency {agency}")
        result = execute("agency_job", agency)
        if result is None:
            reason = f"busy: another run of {agency} held its lock; not run, nothing published"
            summary.outcomes.append(PartitionOutcome(agency, "all", "skipped", [reason]))
        else:
            summary.outcomes.extend(agency_outcomes(agency, result))

    on_progress("readiness report")
    report = execute("readiness_job")
    if report is None:
        return summary
    for event in report.get_asset_materialization_events():
        materialization = event.materialization
        if materialization is None:
            continue
        path = materialization.metadata.get("path")
        url = materialization.metadata.get("html_url")
        summary.report_path = str(path.value) if path is not None else None
        summary.report_url = str(url.value) if url is not None else None
    return summary

"""Run the whole pipeline through Dagster on the local instance (``ogp run``, ``make demo``).

Runs are ordinary Dagster runs in ``$DAGSTER_HOME`` — the same ones ``make ui`` shows: the
reference job (agency registry, CKAN organizations), one ``agency_job`` run per agency
partition, then the readiness report. The summary is read from the runs' own events, so what
``ogp run`` prints is exactly what the Dagster UI says: one :class:`Outcome` for every (agency x
family) partition of the registry, every agency's OCDS package and red flags, the reference
data and the report, each with one :class:`Status`. A step that did not run says why (the
upstream step that failed, was blocked, or awaits data).

Each run is executed while holding its agency's run lock (``_catalog`` for the unpartitioned
jobs, see pipelines/locks.py), the same lock the daemon's run workers take: a second ``ogp run``
waits for the first (``--wait`` / ``OGP_LOCK_WAIT_S``) or reports the agency as busy and skips
it -- it never publishes beside it. Holding the lock, it first marks failed the agency's runs
left STARTED by a process that is gone (killed, crashed), so they no longer block the queue.
Every run records this process's pid and host as run tags for that check.

Dagster's event stream goes to the instance and to the run's log file (:mod:`pipelines.runlog`),
not to the terminal.
"""

from __future__ import annotations

import enum
import json
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.dagster_home import open_instance
from pipelines.defs.pull import AWAITING_DATA
from pipelines.liveness import fail_dead_runs, worker_tags
from pipelines.locks import CATALOG_SCOPE, LockBusyError, run_lock
from pipelines.runlog import (
    RUN_CONFIG,
    CheckResult,
    RunFacts,
    RunLog,
    StepEvent,
    facts_from_events,
    log_path,
    one_line,
)
from pipelines.settings import get_settings

CATALOG = "catalog"  # the scope of the steps outside the agency partitions
REFERENCE_STEPS = {"agency registry": "clean_agencies", "organizations": "ckan_organizations"}
REPORT_STEP = "ogp_readiness_report"
PREVIEW_MAP_SPECS = r"Function `Definitions\.map_(resolved_)?asset_specs` is currently in preview"
MAX_DETAIL = 400  # characters of a reason shown in the summary (the log file has it whole)
DERIVED_LABELS = {"procurement_ocds": "OCDS package", "procurement_red_flags": "red flags"}


class Status(enum.StrEnum):
    """One outcome per step; the order is the summary's (what needs attention first)."""

    FAILED = "failed"
    BUSY = "skipped-busy"
    BLOCKED = "blocked"
    WITHHELD = "withheld"
    AWAITING = "awaiting data"
    QUARANTINE = "published with quarantine"
    PUBLISHED = "published"


ORDER = list(Status)


@dataclass
class Outcome:
    """What happened to one step: a family of an agency, its OCDS package or red flags, the
    reference data or the report."""

    scope: str  # an agency code, or "catalog"
    step: str  # a family, "OCDS package", "red flags", "agency registry", "readiness report"
    status: Status
    detail: str = ""  # why, in one sentence
    url: str | None = None  # where on the portal
    report: str | None = None  # the validation report
    cause: str = ""  # of a failure or a withheld file: the reason the detail ends with


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # runs not started: another run held the lock
    recovered_runs: list[str] = field(default_factory=list)  # dead runs this run marked failed
    log_file: Path | None = None
    report_path: str | None = None

    @property
    def ok(self) -> bool:
        """Every step ran: blocked by checks, awaiting data and withheld are normal outcomes."""
        return not any(outcome.status is Status.FAILED for outcome in self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 every step ran, 1 a step failed, 75 (EX_TEMPFAIL) an agency was busy."""
        if not self.ok:
            return 1
        return EXIT_BUSY if self.busy else 0

    def write_json(self, path: Path) -> None:
        """The outcomes (in the summary's order) and exit code, for scripts and tests."""
        outcomes = [
            {**asdict(outcome), "status": str(outcome.status)} for outcome in self.ordered()
        ]
        document = {"exit_code": self.exit_code, "run_ids": self.run_ids, "outcomes": outcomes}
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")

    def ordered(self) -> list[Outcome]:
        """Failures first, then busy, blocked, withheld, awaiting; published last."""
        return sorted(self.outcomes, key=lambda outcome: ORDER.index(outcome.status))


EXIT_BUSY = 75


# --- from facts to statuses -----------------------------------------------------------------


@dataclass(frozen=True)
class State:
    status: Status  # PUBLISHED: the step materialized
    detail: str = ""
    report: str | None = None
    culprit: str | None = None  # the step that failed (for the steps it kept from running)
    cause: str = ""


def _sentence(check: CheckResult) -> str:
    meta = check.metadata
    if check.name == "privacy" and meta.get("findings_by_kind"):
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(meta["findings_by_kind"].items()))
        return f"privacy check: personal data found ({kinds})"
    if check.name == "schema" and meta.get("errors_by_type"):
        errors = meta["errors_by_type"]
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))
        return f"schema check: {sum(errors.values())} error(s) ({kinds})"
    if check.name == "suite" and meta.get("failed"):
        return f"suite check: business rule(s) failed: {'; '.join(map(str, meta['failed']))}"
    return f"{check.name} check failed"


def resolve(step: str, facts: RunFacts, upstream: Mapping[str, Sequence[str]]) -> State:
    """The state of one step of a run; a step that did not run takes its cause upstream."""
    blocking = [c for c in facts.checks if c.asset == step and not c.passed]
    if blocking:
        report = next((str(c.metadata["report"]) for c in blocking if "report" in c.metadata), None)
        return State(Status.BLOCKED, "; ".join(map(_sentence, blocking)), report)
    if step in facts.failed:
        failure = facts.failed[step]
        if failure.bad_input:
            return State(Status.BLOCKED, f"the file could not be taken in: {failure.cause}")
        return State(Status.FAILED, f"{step} failed: {failure.cause}", None, step, failure.cause)
    if step in facts.materialized:
        return State(Status.PUBLISHED)
    if facts.observed.get(step, {}).get("status") == AWAITING_DATA:
        return State(Status.AWAITING, str(facts.observed[step].get("reason", "")))
    parents = [resolve(parent, facts, upstream) for parent in upstream.get(step, ())]
    verb = "not published" if step.startswith("published_") else "not run"
    for parent in parents:
        if parent.status is Status.FAILED and parent.culprit:
            detail = f"{verb} because {parent.culprit} failed: {parent.cause}"
            return State(Status.FAILED, detail, None, parent.culprit, parent.cause)
    for wanted in (Status.FAILED, Status.BLOCKED, Status.AWAITING):
        for parent in parents:
            if parent.status is wanted:
                return parent
    cause = facts.run_error or "the run ended before it"
    return State(Status.FAILED, f"{step} did not run: {cause}", None, step, cause)


def _short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1].rstrip() + "…"


def _outcome(scope: str, label: str, state: State, url: Any = None) -> Outcome:
    """The row of a step; its portal URL only when it was published."""
    shown = str(url) if url and state.status is Status.PUBLISHED else None
    detail = _short(state.detail)
    cause = state.cause if state.status is Status.FAILED and detail.endswith(state.cause) else ""
    return Outcome(scope, label, state.status, detail, shown, state.report, cause)


def family_outcome(
    agency: str, family: str, facts: RunFacts, upstream: Mapping[str, Sequence[str]]
) -> Outcome:
    state = resolve(f"published_{family}", facts, upstream)
    if state.status is not Status.PUBLISHED:
        return _outcome(agency, family, state)
    url = facts.materialized[f"published_{family}"].get("dataset_url")
    for check in facts.checks:
        invalid = check.metadata.get("invalid_rows")
        if check.asset == f"clean_{family}" and check.metadata.get("status") == "quarantined":
            report = check.metadata.get("report")
            detail = f"{invalid} invalid row(s) left out, listed in the validation report"
            return Outcome(agency, family, Status.QUARANTINE, detail, url and str(url), report)
    return _outcome(agency, family, state, url)


def derived_outcome(
    agency: str, asset: str, family: str, facts: RunFacts, upstream: Mapping[str, Sequence[str]]
) -> Outcome:
    """The OCDS package or red flags: made (or withheld) here, published with the family."""
    label = DERIVED_LABELS.get(asset, asset)
    state = resolve(asset, facts, upstream)
    if state.status is not Status.PUBLISHED:
        return _outcome(agency, label, state)
    meta = facts.materialized[asset]
    if meta.get("status") == "withheld":
        reason = str(meta.get("reason") or "withheld")
        return Outcome(agency, label, Status.WITHHELD, _short(reason), cause=_short(reason))
    published = resolve(f"published_{family}", facts, upstream)
    url = facts.materialized.get(f"published_{family}", {}).get("dataset_url")
    return _outcome(agency, label, published, url)


def agency_outcomes(
    agency: str,
    facts: RunFacts,
    families: Sequence[str],
    derived: Mapping[str, Sequence[str]],
    upstream: Mapping[str, Sequence[str]],
) -> list[Outcome]:
    """Every family of the agency, then the derived assets (OCDS, red flags) of each."""
    outcomes = [family_outcome(agency, family, facts, upstream) for family in families]
    for family in families:
        outcomes += [
            derived_outcome(agency, asset, family, facts, upstream)
            for asset in derived.get(family, ())
        ]
    return outcomes


def catalog_outcomes(
    facts: RunFacts, upstream: Mapping[str, Sequence[str]], portal: str
) -> list[Outcome]:
    """The reference data: the agency registry and the CKAN organizations."""
    urls = {"organizations": f"{portal}/organization"}
    return [
        _outcome(CATALOG, label, resolve(step, facts, upstream), urls.get(label))
        for label, step in REFERENCE_STEPS.items()
    ]


def report_outcome(facts: RunFacts, upstream: Mapping[str, Sequence[str]]) -> Outcome:
    meta = facts.materialized.get(REPORT_STEP, {})
    url = meta.get("html_url") or meta.get("dataset_url")
    return _outcome(CATALOG, "readiness report", resolve(REPORT_STEP, facts, upstream), url)


# --- running --------------------------------------------------------------------------------


class Observer:
    """What the progress display is told; the default tells nobody."""

    def run_started(self, label: str, steps: int) -> None: ...

    def step(self, event: StepEvent) -> None: ...

    def run_finished(self, label: str, outcomes: Sequence[Outcome]) -> None: ...

    def message(self, text: str) -> None: ...


def run_pipeline(
    agencies: Iterable[str] | None = None,
    *,
    wait_s: float | None = None,
    observer: Observer | None = None,
    verbose: bool = False,
) -> RunSummary:
    """Reference data, every agency partition, then the report — as Dagster runs.

    ``wait_s``: how long to wait for another run of the same agency (default
    ``OGP_LOCK_WAIT_S``); an agency still busy then is reported as ``skipped-busy``."""
    observer = observer or Observer()
    settings = get_settings()
    instance = open_instance()
    with warnings.catch_warnings():
        # pipelines/defs/freshness.py maps the specs with Definitions.map_asset_specs, a Dagster
        # preview API that warns at every load: only that warning, only here
        warnings.filterwarnings("ignore", PREVIEW_MAP_SPECS, dg.PreviewWarning)
        from pipelines.definitions import PUBLISHED_FAMILIES, defs  # after DAGSTER_HOME is set
    from pipelines.defs.pull import SPECS, agency_partitions

    graph = defs.resolve_asset_graph()
    derived = {f: [d.asset for d in SPECS[f].derived_resources] for f in PUBLISHED_FAMILIES}
    log_file = log_path(settings.build_dir)
    summary = RunSummary(log_file=log_file)
    runlog = RunLog(log_file, on_step=observer.step, verbose=verbose)

    def execute(job_name: str, label: str, partition: str | None) -> RunFacts | None:
        """One run under its scope's lock; None when another run held it."""
        job = defs.resolve_job_def(job_name).with_logger_defs({"ogp_run": runlog.logger_def()})
        nodes = {node.name for node in job.graph.nodes}
        run_id = str(uuid.uuid4())
        scope = partition or CATALOG_SCOPE
        try:
            with run_lock(
                scope,
                wait_s=wait_s,
                owner={"run": f"ogp run: {job_name}[{partition or '-'}] run {run_id}"},
                on_wait=observer.message,
            ):
                for dead in fail_dead_runs(instance, scope, "ogp run"):
                    summary.recovered_runs.append(f"{dead.job_name}[{scope}] {dead.run_id}")
                observer.run_started(label, len(nodes))
                runlog.note(f"ogp run: {job_name}[{partition or '-'}] run {run_id}")
                try:
                    result = job.execute_in_process(
                        run_config=RUN_CONFIG,
                        instance=instance,
                        partition_key=partition,
                        raise_on_error=False,
                        run_id=run_id,
                        tags=worker_tags(run_id),
                    )
                except Exception as error:  # reported as this run's failure
                    runlog.note(f"{job_name} could not run: {error!r}")
                    return RunFacts(run_error=one_line(str(error) or repr(error)))
        except LockBusyError as busy:
            summary.busy.append(f"{job_name}[{scope}]: {busy}")
            observer.message(f"busy: {busy}")
            return None
        summary.run_ids.append(result.run_id)
        return facts_from_events(result.all_events)

    def upstream_in(job_name: str) -> dict[str, list[str]]:
        nodes = {node.name for node in defs.resolve_job_def(job_name).graph.nodes}
        return {
            name: [p.to_user_string() for p in graph.get(dg.AssetKey(name)).parent_keys]
            for name in nodes
        }

    def busy(scope: str, label: str) -> Outcome:
        detail = f"another run of {scope} held its lock; not run, nothing published"
        return Outcome(scope, label, Status.BUSY, detail)

    try:
        reference = execute("reference_job", "reference data", None)
        if reference is None:
            outcomes = [busy(CATALOG, label) for label in REFERENCE_STEPS]
        else:
            upstream = upstream_in("reference_job")
            outcomes = catalog_outcomes(reference, upstream, settings.ckan_url)
        summary.outcomes += outcomes
        observer.run_finished("reference data", outcomes)

        upstream = upstream_in("agency_job")
        for agency in agencies or agency_partitions.get_partition_keys():
            facts = execute("agency_job", agency, agency)
            if facts is None:
                outcomes = [busy(agency, "all steps")]
            else:
                outcomes = agency_outcomes(agency, facts, PUBLISHED_FAMILIES, derived, upstream)
            summary.outcomes += outcomes
            observer.run_finished(agency, outcomes)

        report = execute("readiness_job", "readiness report", None)
        if report is None:
            outcomes = [busy(CATALOG, "readiness report")]
        else:
            outcomes = [report_outcome(report, upstream_in("readiness_job"))]
            path = report.materialized.get(REPORT_STEP, {}).get("path")
            summary.report_path = str(path) if path else None
        summary.outcomes += outcomes
        observer.run_finished("readiness report", outcomes)
    finally:
        runlog.close()
    summary.write_json(log_file.with_suffix(".json"))
    return summary


__all__: Sequence[str] = [
    "Observer",
    "Outcome",
    "RunFacts",
    "RunSummary",
    "Status",
    "agency_outcomes",
    "facts_from_events",
    "run_pipeline",
]

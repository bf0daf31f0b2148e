"""The summary of ``ogp run``: one :class:`Outcome` (with one :class:`Status`) for every step,
resolved from a run's facts (:class:`pipelines.runlog.RunFacts`); a step that did not run takes
its cause upstream. :mod:`pipelines.runner` runs the jobs and collects these.

Every reason shown (the console, the JSON summary) is masked for personal data first
(:func:`masked`): a drop file named like a phone number must not be printed whole.
"""

from __future__ import annotations

import enum
import json
import signal
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipelines.defs.pull import AWAITING_DATA
from pipelines.layout import (
    CKAN_ORGANIZATIONS,
    PROCUREMENT_OCDS,
    PROCUREMENT_RED_FLAGS,
    PUBLISHED_PREFIX,
    READINESS_REPORT,
    clean_key,
    published_key,
    stage_of,
)
from pipelines.runlog import CheckResult, RunFacts

CATALOG = "catalog"  # the scope of the steps outside the agency partitions
REFERENCE_STEPS = {"agency registry": clean_key("agencies"), "organizations": CKAN_ORGANIZATIONS}
REPORT_STEP = READINESS_REPORT
MAX_DETAIL = 400  # characters of a reason shown in the summary (the log file has it whole)
DERIVED_LABELS = {PROCUREMENT_OCDS: "OCDS package", PROCUREMENT_RED_FLAGS: "red flags"}


class Status(enum.StrEnum):
    """One outcome per step; the order is the summary's (what needs attention first)."""

    FAILED = "failed"
    INTERRUPTED = "interrupted"  # Ctrl-C / SIGTERM: this step or run did not finish or start
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
    quarantined: int = 0  # invalid rows left out of what was published
    kept: list[str] = field(default_factory=list)  # on the portal, not in this run (stray)


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # runs not started: another run held the lock
    recovered_runs: list[str] = field(default_factory=list)  # dead runs this run marked failed
    log_file: Path | None = None
    report_path: str | None = None
    interrupted: int | None = None  # the signal (SIGINT, SIGTERM) that stopped ``ogp run``

    @property
    def ok(self) -> bool:
        """Every step ran: blocked by checks, awaiting data and withheld are normal outcomes."""
        return self.interrupted is None and not any(
            outcome.status in (Status.FAILED, Status.INTERRUPTED) for outcome in self.outcomes
        )

    @property
    def exit_code(self) -> int:
        """0 every step ran, 1 a step failed, 75 (EX_TEMPFAIL) an agency was busy; 128 + the
        signal when interrupted (130 Ctrl-C, 143 SIGTERM), as a shell reports it."""
        if self.interrupted is not None:
            return 128 + self.interrupted
        if not self.ok:
            return 1
        return EXIT_BUSY if self.busy else 0

    def write_json(self, path: Path) -> None:
        """The outcomes (in the summary's order) and exit code, for scripts and tests."""
        outcomes = [
            {**asdict(outcome), "status": str(outcome.status)} for outcome in self.ordered()
        ]
        document = {
            "exit_code": self.exit_code,
            "run_ids": self.run_ids,
            "interrupted": signal.Signals(self.interrupted).name if self.interrupted else None,
            "outcomes": outcomes,
        }
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")

    def ordered(self) -> list[Outcome]:
        """Failures first, then interrupted, busy, blocked, withheld, awaiting; published last."""
        return sorted(self.outcomes, key=lambda outcome: ORDER.index(outcome.status))


EXIT_BUSY = 75
INTERRUPTED_DETAIL = "not run: interrupted"


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
        if failure.interrupted:
            return State(Status.INTERRUPTED, f"{step} was stopped: {failure.cause}")
        return State(Status.FAILED, f"{step} failed: {failure.cause}", None, step, failure.cause)
    if step in facts.materialized:
        return State(Status.PUBLISHED)
    if facts.observed.get(step, {}).get("status") == AWAITING_DATA:
        return State(Status.AWAITING, str(facts.observed[step].get("reason", "")))
    parents = [resolve(parent, facts, upstream) for parent in upstream.get(step, ())]
    verb = "not published" if stage_of(step) == PUBLISHED_PREFIX else "not run"
    for parent in parents:
        if parent.status is Status.FAILED and parent.culprit:
            detail = f"{verb} because {parent.culprit} failed: {parent.cause}"
            return State(Status.FAILED, detail, None, parent.culprit, parent.cause)
    if any(parent.status is Status.INTERRUPTED for parent in parents):
        return State(Status.INTERRUPTED, f"{verb}: interrupted")
    for wanted in (Status.FAILED, Status.BLOCKED, Status.AWAITING):
        for parent in parents:
            if parent.status is wanted:
                return parent
    if facts.interrupted:
        return State(Status.INTERRUPTED, INTERRUPTED_DETAIL)
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


def kept_resources(receipt: Any) -> list[str]:
    """Resources left on the portal that this run no longer publishes (a fiscal year's file
    gone from the drops): the publish plan's stray resources, from the receipt."""
    if not isinstance(receipt, Mapping):
        return []
    datasets = receipt.get("datasets") or []
    return [str(name) for d in datasets for name in (d.get("stray_resources") or [])]


def family_outcome(
    agency: str, family: str, facts: RunFacts, upstream: Mapping[str, Sequence[str]]
) -> Outcome:
    state = resolve(published_key(family), facts, upstream)
    if state.status is not Status.PUBLISHED:
        return _outcome(agency, family, state)
    meta = facts.materialized[published_key(family)]
    url = meta.get("dataset_url")
    kept = kept_resources(meta.get("receipt_json"))
    for check in facts.checks:
        invalid = check.metadata.get("invalid_rows")
        if check.asset == clean_key(family) and check.metadata.get("status") == "quarantined":
            report = check.metadata.get("report")
            detail = f"{invalid} invalid row(s) left out, listed in the validation report"
            rows = int(str(invalid)) if str(invalid).isdigit() else 0
            return Outcome(
                agency,
                family,
                Status.QUARANTINE,
                detail,
                url and str(url),
                report,
                quarantined=rows,
                kept=kept,
            )
    return replace(_outcome(agency, family, state, url), kept=kept)


def derived_outcome(
    agency: str, asset: str, family: str, facts: RunFacts, upstream: Mapping[str, Sequence[str]]
) -> Outcome:
    """The OCDS package or red flags: made (or withheld) here, published with the family."""
    label = DERIVED_LABELS.get(asset, asset)
    meta = facts.materialized.get(asset, {})
    if meta.get("status") == "failed":  # made nothing; its (non-blocking) check failed too
        reason = _short(str(meta.get("reason") or "failed"))
        detail = _short(f"{asset} failed: {reason}")
        return Outcome(agency, label, Status.FAILED, detail, cause=reason)
    state = resolve(asset, facts, upstream)
    if state.status is not Status.PUBLISHED:
        return _outcome(agency, label, state)
    if meta.get("status") == "withheld":
        reason = str(meta.get("reason") or "withheld")
        return Outcome(agency, label, Status.WITHHELD, _short(reason), cause=_short(reason))
    published = resolve(published_key(family), facts, upstream)
    url = facts.materialized.get(published_key(family), {}).get("dataset_url")
    from pipelines.integrity.ocds_bids import bids_warning  # the OCDS step's bids warnings

    outcome = _outcome(agency, label, published, url)
    warning = bids_warning(meta) if published.status is Status.PUBLISHED else ""
    return replace(outcome, detail=_short(warning)) if warning else outcome


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


def interrupted_outcome(scope: str, label: str) -> Outcome:
    """A run ``ogp run`` did not start because it was interrupted."""
    return Outcome(scope, label, Status.INTERRUPTED, INTERRUPTED_DETAIL)


def masked(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes with personal data in their reasons masked (a drop file named like a phone
    number), with the raw stage's masker."""
    from pipelines.validation.personal_text import mask_texts

    texts = mask_texts([text for o in outcomes for text in (o.detail, o.cause)])
    return [
        replace(outcome, detail=texts[2 * n], cause=texts[2 * n + 1])
        for n, outcome in enumerate(outcomes)
    ]


def mask(text: str) -> str:
    """One text with personal data masked (:func:`masked`)."""
    from pipelines.validation.personal_text import mask_texts

    return mask_texts([text])[0]

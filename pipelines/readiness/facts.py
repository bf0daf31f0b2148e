"""What the readiness readers collect and the computation counts: plain, frozen facts.

The portal reader (:mod:`pipelines.readiness.portal_reader`) fills a :class:`PortalSnapshot`,
the local reader (:mod:`pipelines.readiness.local_reader`) a :class:`LocalOutputs`; the pure
computation (:mod:`pipelines.readiness.indicators`) turns both into figures.

Accepted validation report shapes (:func:`summarize_validation_report`): the gate's
``report.json`` (``{"valid": bool, "publishable": bool, "privacy": {"findings": [...]}, ...}``,
written by ``pipelines.validation``), ``{"summary": {"valid": bool}}`` or a bare
``{"publishable": bool}``; privacy findings as ``privacy.findings`` (a list),
``privacy.count`` or ``summary.privacy_findings``; the gate's ``status``
(passed/quarantined/blocked, else derived from ``publishable``/``valid``), ``checks.privacy``
and each finding's ``action`` (mask/drop/block) when present.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from fnmatch import fnmatch
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure, counted_share, figure, register_prefix
from pipelines.readiness.timeliness import ContentKind, DueAt, is_timely, period_is_timely
from pipelines.thai import ce_to_be


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- what the portal shows ----------------------------------------------------------------


class PortalResource(_Fact):
    id: str
    name: str
    format: str
    url: str
    page_url: str
    datastore_active: bool
    description: str = ""


class PortalDataset(_Fact):
    name: str
    title: str
    organization: str
    url: str
    licence_open: bool
    metadata_modified: datetime
    update_frequency_unit: str | None = None
    update_frequency_interval: str | None = None
    resources: list[PortalResource]


class PortalOrganization(_Fact):
    """An agency of the registry: its organization on the portal, or (``on_portal`` False) an
    agency with no organization there yet, kept so that it counts as awaiting data; its ``url``
    is then the portal's organization list (where it is absent), never a page that does not
    exist. ``title_en``: the registry's English name, when known."""

    name: str
    title: str
    url: str
    on_portal: bool = True
    title_en: str | None = None


# failed: a file was received but could not be taken in (unreadable, or the gate itself failed)
GateStatus = Literal["passed", "quarantined", "blocked", "failed"]


class ValidationSummary(_Fact):
    """The gate's verdict on one received partition. ``status`` blocked or failed: nothing of
    this file was published; ``privacy_blocked``: blocked because of personal data;
    ``masked_values``: personal-data values the gate masked (published masked, unless blocked)."""

    valid: bool
    privacy_findings: int
    evidence: str
    status: GateStatus | None = None
    privacy_blocked: bool = False
    masked_values: int = 0

    @property
    def blocked(self) -> bool:
        """Nothing of the received file was published: refused by the gate, or failed
        (without a status: not valid)."""
        return self.status in ("blocked", "failed") or (self.status is None and not self.valid)


class PortalSnapshot(_Fact):
    url: str
    organizations: list[PortalOrganization]
    datasets: list[PortalDataset]
    validation: dict[str, ValidationSummary]  # by dataset name
    # organizations on the portal outside the agency registry, ignored (none read: empty)
    outside_registry: list[str] = []

    @property
    def without_organization(self) -> list[PortalOrganization]:
        """Agencies of the registry with no organization on the portal."""
        return [o for o in self.organizations if not o.on_portal]


# --- what the pipeline wrote locally ------------------------------------------------------


class RedFlagSummary(_Fact):
    """One agency's red-flag rate block (the integrity stage's ``red_flags.json`` ``rate``):
    ``flagged_projects`` over ``projects`` (every row that passed the schema), the rows
    published and the flagged projects a business rule kept from publication. The figures are
    :mod:`pipelines.readiness.red_flag_rate`'s alone."""

    projects: int
    flagged_projects: int
    evidence: str
    published_rows: int
    flagged_not_published: list[str] = []
    not_computable: list[str] = []  # flags the integrity stage could not compute
    # why, by flag id (red_flags.json's not_computable_reason: no bids, too few processes, ...)
    not_computable_reasons: dict[str, str] = {}
    stale_th: str | None = None  # why the rate is not of the current file or flag set
    stale_en: str | None = None


class Freshness(_Fact):
    """The newest record of what the gate let through for one partition (None: nothing
    publishable, or no dated record), the contract's update frequency and how old the newest
    record may be (None: the frequency is not assessed, e.g. as_needed). ``future``: records
    dated after the report date, ignored for ``newest``. A family dated by a period (``kind``
    fiscal_year/calendar_year) also has its newest ``period`` (year, CE), when its data is
    ``due`` (start/end of the period) and the ``grace_days``: it is timely only when that
    period is the one now due (:func:`pipelines.readiness.timeliness.due_period`)."""

    newest: date | None
    field: str
    frequency: str
    allowed_days: int | None
    future: int = 0
    kind: ContentKind = "date"
    period: int | None = None
    due: DueAt | None = None
    grace_days: int | None = None


class LocalOutputs(_Fact):
    validation: dict[str, ValidationSummary]  # by "<family>/<agency>"
    red_flags: dict[str, RedFlagSummary]  # by agency
    freshness: dict[str, Freshness] = {}  # by "<family>/<agency>"


# --- one family of one agency ---------------------------------------------------------------


class AgencyFamily(_Fact):
    """One family of one agency: what the portal shows, the latest gate verdict (the local
    gate's, else the report published beside the data), the newest published record, and the
    portal page that shows it (never a local path)."""

    family: str
    dataset: PortalDataset | None
    verdict: ValidationSummary | None
    freshness: Freshness | None
    evidence: str

    @property
    def received(self) -> bool:
        """A file came in (judged by the gate, or published): awaiting data otherwise."""
        return self.dataset is not None or self.verdict is not None

    @property
    def blocked(self) -> bool:
        return self.verdict is not None and self.verdict.blocked


def partition(
    family: str,
    org: PortalOrganization,
    dataset: PortalDataset | None,
    snapshot: PortalSnapshot,
    local: LocalOutputs,
) -> AgencyFamily:
    key = f"{family}/{org.name}"
    published = snapshot.validation.get(dataset.name) if dataset is not None else None
    # The local gate's verdict is the latest (a refused file leaves the older report online);
    # the evidence is the portal's page all the same.
    verdict = local.validation.get(key) or published
    return AgencyFamily(
        family=family,
        dataset=dataset,
        verdict=verdict,
        freshness=local.freshness.get(key),
        evidence=published.evidence
        if published is not None
        else dataset.url
        if dataset is not None
        else org.url,
    )


def other_partitions(
    org: PortalOrganization,
    snapshot: PortalSnapshot,
    local: LocalOutputs,
    scored: Sequence[str],
    name_pattern: str,
) -> list[AgencyFamily]:
    """Every family outside ``scored`` the gate judged for ``org`` (asset declarations, bids,
    forum meetings...): a file blocked for personal data there is still a partition blocked."""
    datasets = {d.name: d for d in snapshot.datasets if d.organization == org.name}
    keys = sorted(k.split("/", 1) for k in local.validation if "/" in k)
    return [
        partition(
            family,
            org,
            datasets.get(name_pattern.format(agency=org.name, family=family)),
            snapshot,
            local,
        )
        for family, agency in keys
        if agency == org.name and family not in scored
    ]


def timely(partition: AgencyFamily, as_of: datetime) -> bool | None:
    """By content: the newest record the gate let through against the contract's frequency
    plus grace. A blocked partition published nothing new: not timely. None: unknown."""
    if partition.blocked:
        return False
    fresh = partition.freshness
    if fresh is None or fresh.newest is None or fresh.allowed_days is None:
        return None
    if fresh.kind != "date":
        if fresh.period is None or fresh.due is None or fresh.grace_days is None:
            return None
        return period_is_timely(fresh.period, fresh.kind, fresh.due, as_of.date(), fresh.grace_days)
    return is_timely(fresh.newest, as_of.date(), fresh.allowed_days)


def future_noted(fig: Figure, received: Iterable[AgencyFamily]) -> Figure:
    """Says how many records dated after the report date were ignored for the newest record."""
    future = sum(p.freshness.future for p in received if p.freshness is not None)
    if not future:
        return fig
    th = f"ไม่นับระเบียนที่ลงวันที่หลังวันที่รายงาน {future} รายการ"
    en = f"{future} records dated after the report date ignored"
    return fig.with_note(th, en)


def serves_api(partition: AgencyFamily, tables: Iterable[PortalResource]) -> bool:
    """Every data table (of ``tables``, the agency's tabular data resources) of a received, not
    blocked partition is in the DataStore (the API)."""
    if partition.blocked or partition.dataset is None:
        return False
    ids = {r.id for r in tables}
    tables = [r for r in partition.dataset.resources if r.id in ids]
    return bool(tables) and all(r.datastore_active for r in tables)


# --- shared rules -------------------------------------------------------------------------


def name_matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether a resource name matches one of the methodology's patterns (case-insensitive)."""
    return any(fnmatch(name.lower(), pattern.lower()) for pattern in patterns)


def has_fiscal_year(dataset: PortalDataset, non_data: Iterable[str], fiscal_year: int) -> bool:
    """Whether a data resource's name or description carries the fiscal year, CE or BE (e.g.
    "procurement-2025.csv", "ปีงบประมาณ 2568"); ``non_data``: patterns of resources that
    describe data rather than hold it."""
    year = re.compile(rf"(?<!\d)({fiscal_year}|{ce_to_be(fiscal_year)})(?!\d)")
    return any(
        year.search(f"{res.name} {res.description}")
        for res in dataset.resources
        if not name_matches(res.name, non_data)
    )


def _section(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    section = document.get(key)
    return section if isinstance(section, Mapping) else {}


def summarize_validation_report(document: Mapping[str, Any], evidence: str) -> ValidationSummary:
    """Pass/fail and privacy-finding count from a validation report (shapes: module doc)."""
    summary = _section(document, "summary")
    verdicts = (document.get("valid"), summary.get("valid"), document.get("publishable"))
    valid = next((v for v in verdicts if isinstance(v, bool)), None)
    if valid is None:
        raise ValueError(
            f"{evidence}: validation report has no boolean 'valid' (or 'publishable') field"
        )
    privacy = _section(document, "privacy")
    findings_list = privacy.get("findings")
    actions: list[object] = []
    if isinstance(findings_list, list):
        findings = len(findings_list)
        actions = [f.get("action") for f in findings_list if isinstance(f, Mapping)]
    else:
        findings = int(privacy.get("count", summary.get("privacy_findings", 0)))
    status = _gate_status(document, valid)
    checks = _section(document, "checks")
    privacy_blocked = status == "blocked" and (checks.get("privacy") is False or "block" in actions)
    return ValidationSummary(
        valid=valid,
        privacy_findings=findings,
        evidence=evidence,
        status=status,
        privacy_blocked=privacy_blocked,
        masked_values=actions.count("mask"),
    )


def _gate_status(document: Mapping[str, Any], valid: bool) -> GateStatus:
    """The gate's status; older shapes without one: published when publishable (or valid)."""
    status = document.get("status")
    if status in ("passed", "quarantined", "blocked", "failed"):
        return status
    publishable = document.get("publishable")
    published = publishable if isinstance(publishable, bool) else valid
    if not published:
        return "blocked"
    return "passed" if valid else "quarantined"


register_prefix("validation_pass_rate_", "อัตราการผ่านการตรวจสอบข้อมูล", "Validation pass rate")


def family_figures(
    family: str, parts: Sequence[tuple[str, AgencyFamily]], fallback: list[str]
) -> dict[str, Figure]:
    """Portal-wide figures of one family over ``parts`` (each agency's organization page and
    partition). *Awaiting data*: no file received (neither published nor failed); *blocked*: the
    gate refused the latest file received (an older version may still be online); the pass rate
    of the family alone over the partitions received (C1.1 is about procurement's)."""
    awaiting = [url for url, p in parts if not p.received]
    blocked = [url for url, p in parts if p.blocked]
    sent = [p for _, p in parts if p.received]
    rate = f"validation_pass_rate_{family}"
    return {
        f"agencies_awaiting_{family}": figure(
            f"agencies_awaiting_{family}", len(awaiting), "count", awaiting or fallback
        ),
        f"agencies_blocked_{family}": figure(
            f"agencies_blocked_{family}", len(blocked), "count", blocked or fallback
        ),
        rate: pass_rate(rate, sent, [p.evidence for p in sent] or fallback),
    }


def pass_rate(key: str, received: Sequence[AgencyFamily], evidence: list[str]) -> Figure:
    """Partitions the gate let through / partitions received: passed whole, or *partial*
    (published with quarantined rows, named in the note); blocked or failed (nothing published)
    counts 0, and a partition without a validation report too (provisional)."""
    fig = counted_share(
        key,
        [None if p.verdict is None else not p.verdict.blocked for p in received],
        evidence,
        unknown_th="ไม่มีรายงานผลการตรวจสอบ",
        unknown_en="no validation report",
    )
    partial = sum(p.verdict is not None and p.verdict.status == "quarantined" for p in received)
    if not partial:
        return fig
    th = f"เผยแพร่บางส่วน (มีแถวที่ถูกกักไว้) {partial} ชุด"
    en = f"{partial} published with quarantined rows (partial)"
    return fig.with_note(th, en)

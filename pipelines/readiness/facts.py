"""What the readiness readers collect and the computation counts: plain, frozen facts.

The portal reader (:mod:`pipelines.readiness.portal_reader`) fills a :class:`PortalSnapshot`,
the local reader (:mod:`pipelines.readiness.local_reader`) a :class:`LocalOutputs`; the pure
computation (:mod:`pipelines.readiness.indicators`) turns both into figures.

Accepted validation report shapes (:func:`summarize_validation_report`): the gate's
``report.json`` (``{"valid": bool, "publishable": bool, "privacy": {"findings": [...]}, ...}``,
written by ``pipelines.validation``), ``{"summary": {"valid": bool}}`` or a bare
``{"publishable": bool}``; privacy findings as ``privacy.findings`` (a list),
``privacy.count`` or ``summary.privacy_findings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from fnmatch import fnmatch
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    name: str
    title: str
    url: str


class ValidationSummary(_Fact):
    valid: bool
    privacy_findings: int
    evidence: str


class PortalSnapshot(_Fact):
    url: str
    organizations: list[PortalOrganization]
    datasets: list[PortalDataset]
    validation: dict[str, ValidationSummary]  # by dataset name


# --- what the pipeline wrote locally ------------------------------------------------------


class RedFlagSummary(_Fact):
    projects: int
    flagged_projects: int
    evidence: str


class LocalOutputs(_Fact):
    validation: dict[str, ValidationSummary]  # by "<family>/<agency>"
    red_flags: dict[str, RedFlagSummary]  # by agency


# --- shared rules -------------------------------------------------------------------------


def name_matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether a resource name matches one of the methodology's patterns (case-insensitive)."""
    return any(fnmatch(name.lower(), pattern.lower()) for pattern in patterns)


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
    if isinstance(findings_list, list):
        findings = len(findings_list)
    else:
        findings = int(privacy.get("count", summary.get("privacy_findings", 0)))
    return ValidationSummary(valid=valid, privacy_findings=findings, evidence=evidence)

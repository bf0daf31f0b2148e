"""Readiness indicators, per agency and portal-wide: pure computation, no I/O.

The readers collect the facts — :mod:`pipelines.readiness.portal_reader` (what the public sees)
and :mod:`pipelines.readiness.local_reader` (the gate's and the integrity stage's outputs) —
and :func:`compute_indicators` turns them into :class:`Figure` values, each with its evidence.
One builder (:func:`_shared_figures`) computes the figures a scorecard and the portal-wide view
have in common, over one agency's facts or over all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.facts import (
    LocalOutputs,
    PortalDataset,
    PortalOrganization,
    PortalResource,
    PortalSnapshot,
    RedFlagSummary,
    ValidationSummary,
    name_matches,
)
from pipelines.readiness.figures import Figure, figure
from pipelines.readiness.methodology import Inputs, Methodology, PortalRules
from pipelines.thai import ce_to_be


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class AgencyScorecard(_Result):
    agency: str
    title: str
    url: str
    figures: dict[str, Figure]
    oit_items: dict[str, Figure]  # by OIT code: 1 = satisfied, 0 = missing


class IndicatorSet(_Result):
    fiscal_year: int
    agencies: list[AgencyScorecard]
    overall: dict[str, Figure]


class _AgencyFacts(_Result):
    """One agency's datasets, resolved to family, with the facts the figures count."""

    organization: PortalOrganization
    by_family: dict[str, PortalDataset]
    current: dict[str, PortalDataset]  # families with publications for the fiscal year
    gated: set[str]  # families whose files the local gate judged (a file was received)
    validation: list[ValidationSummary]
    timely: list[bool]
    stars: list[tuple[PortalResource, int]]
    tabular: list[PortalResource]
    red_flags: RedFlagSummary | None


def compute_indicators(
    snapshot: PortalSnapshot,
    local: LocalOutputs,
    methodology: Methodology,
    fiscal_year: int,
    as_of: datetime,
) -> IndicatorSet:
    """Per-agency scorecards and portal-wide figures (pure: no I/O)."""
    facts = [
        _agency_facts(org, snapshot, local, methodology, fiscal_year, as_of)
        for org in snapshot.organizations
    ]
    scorecards = [_scorecard(f, methodology) for f in facts]
    overall = _overall(snapshot, facts, scorecards, methodology)
    return IndicatorSet(fiscal_year=fiscal_year, agencies=scorecards, overall=overall)


def _agency_facts(
    org: PortalOrganization,
    snapshot: PortalSnapshot,
    local: LocalOutputs,
    methodology: Methodology,
    fiscal_year: int,
    as_of: datetime,
) -> _AgencyFacts:
    rules = methodology.portal
    names = {
        rules.dataset_name_pattern.format(agency=org.name, family=family): family
        for family in rules.families
    }
    by_family = {
        names[d.name]: d
        for d in snapshot.datasets
        if d.organization == org.name and d.name in names
    }
    # The report published beside the data wins; the gate's local report otherwise.
    validation = [
        summary
        for family, dataset in by_family.items()
        if (
            summary := snapshot.validation.get(dataset.name)
            or local.validation.get(f"{family}/{org.name}")
        )
        is not None
    ]
    data_resources = [
        (dataset, res)
        for dataset in by_family.values()
        for res in dataset.resources
        if not name_matches(res.name, rules.non_data_resource_patterns)
    ]
    tabular = {fmt.upper() for fmt in rules.tabular_formats}
    return _AgencyFacts(
        organization=org,
        by_family=by_family,
        current={
            family: d for family, d in by_family.items() if _has_fiscal_year(d, rules, fiscal_year)
        },
        gated={family for family in rules.families if f"{family}/{org.name}" in local.validation},
        validation=validation,
        timely=[_is_timely(d, family, rules, as_of) for family, d in by_family.items()],
        stars=[(res, _stars(res, dataset, methodology)) for dataset, res in data_resources],
        tabular=[res for _, res in data_resources if res.format in tabular],
        red_flags=local.red_flags.get(org.name),
    )


def _is_timely(dataset: PortalDataset, family: str, rules: PortalRules, as_of: datetime) -> bool:
    unit_days = rules.frequency_unit_days.get(dataset.update_frequency_unit or "")
    interval = dataset.update_frequency_interval
    if unit_days is not None:
        period = unit_days * (int(interval) if interval and interval.isdigit() else 1)
    else:
        period = rules.family_update_days[family]
    age_days = (as_of - dataset.metadata_modified).total_seconds() / 86400
    return age_days <= period + rules.grace_days


def _stars(resource: PortalResource, dataset: PortalDataset, methodology: Methodology) -> int:
    openness = methodology.openness
    if not dataset.licence_open:
        return openness.closed_licence_stars
    return openness.format_stars.get(resource.format, openness.unknown_format_stars)


def _has_fiscal_year(dataset: PortalDataset, rules: PortalRules, fiscal_year: int) -> bool:
    # Resource names carry the year, CE or BE (e.g. "procurement-2025.csv", "ปีงบประมาณ 2568").
    year = re.compile(rf"(?<!\d)({fiscal_year}|{ce_to_be(fiscal_year)})(?!\d)")
    return any(
        year.search(f"{res.name} {res.description}")
        for res in dataset.resources
        if not name_matches(res.name, rules.non_data_resource_patterns)
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _shared_figures(
    facts: Sequence[_AgencyFacts],
    oit_items: Sequence[Figure],
    methodology: Methodology,
    fallback: list[str],
) -> dict[str, Figure]:
    """The figures of a scorecard (one agency's facts) and of the portal (every agency's):
    computed here once. ``fallback``: the evidence of a figure with nothing to count."""
    validation = [v for f in facts for v in f.validation]
    timely = [t for f in facts for t in f.timely]
    stars = [s for f in facts for s in f.stars]
    tabular = [r for f in facts for r in f.tabular]
    red_flags = [f.red_flags for f in facts if f.red_flags is not None]
    mean_stars = sum(s for _, s in stars) / len(stars) if stars else None
    star_evidence = [r.page_url for r, _ in stars] or fallback
    validation_evidence = [v.evidence for v in validation] or fallback
    return {
        "oit_coverage": figure(
            "oit_coverage",
            _share(sum(int(i.value or 0) for i in oit_items), len(oit_items)),
            "share",
            [url for i in oit_items for url in i.evidence] or fallback,
        ),
        "timeliness": figure(
            "timeliness",
            _share(sum(timely), len(timely)),
            "share",
            [d.url for f in facts for d in f.by_family.values()] or fallback,
        ),
        "validation_pass_rate": figure(
            "validation_pass_rate",
            _share(sum(v.valid for v in validation), len(validation)),
            "share",
            validation_evidence,
        ),
        "openness_stars_mean": figure("openness_stars_mean", mean_stars, "stars", star_evidence),
        "openness_share": figure(
            "openness_share",
            None if mean_stars is None else mean_stars / methodology.openness.max_stars,
            "share",
            star_evidence,
        ),
        "datastore_share": figure(
            "datastore_share",
            _share(sum(r.datastore_active for r in tabular), len(tabular)),
            "share",
            [r.page_url for r in tabular] or fallback,
        ),
        "privacy_incidents_blocked": figure(
            "privacy_incidents_blocked",
            sum(v.privacy_findings for v in validation),
            "count",
            validation_evidence,
        ),
        "red_flag_rate": figure(
            "red_flag_rate",
            _share(sum(s.flagged_projects for s in red_flags), sum(s.projects for s in red_flags)),
            "share",
            [s.evidence for s in red_flags] or fallback,
        ),
    }


def _oit_items(facts: _AgencyFacts, methodology: Methodology) -> dict[str, Figure]:
    items = {}
    for item in methodology.oit.items:
        dataset = facts.by_family.get(item.family)
        items[item.code] = Figure(
            key=f"oit_{item.code}",
            label_th=f"{item.code} {item.name_th}",
            label_en=f"{item.code} {item.name_en}",
            value=int(item.family in facts.current),
            unit="bool",
            evidence=[dataset.url] if dataset is not None else [facts.organization.url],
        )
    return items


def _scorecard(facts: _AgencyFacts, methodology: Methodology) -> AgencyScorecard:
    org = facts.organization
    oit_items = _oit_items(facts, methodology)
    figures = _shared_figures([facts], list(oit_items.values()), methodology, [org.url])
    figures["score"] = _composite(figures, methodology)
    return AgencyScorecard(
        agency=org.name, title=org.title, url=org.url, figures=figures, oit_items=oit_items
    )


def _composite(figures: Mapping[str, Figure], methodology: Methodology) -> Figure:
    """Weighted sum of the scorecard shares; a missing figure counts as 0 (not published)."""
    weights = methodology.scorecard_weights
    value = sum(weight * float(figures[key].value or 0) for key, weight in weights.items())
    evidence = [url for key in weights for url in figures[key].evidence]
    return figure("score", round(value, 4), "share", evidence)


def _overall(
    snapshot: PortalSnapshot,
    facts: list[_AgencyFacts],
    scorecards: list[AgencyScorecard],
    methodology: Methodology,
) -> dict[str, Figure]:
    portal_orgs = [f"{snapshot.url}/organization"]
    items = [f for card in scorecards for f in card.oit_items.values()]
    red_flags = [f.red_flags for f in facts if f.red_flags is not None]
    overall = {
        "agencies_total": figure(
            "agencies_total", len(snapshot.organizations), "count", portal_orgs
        ),
        **_shared_figures(facts, items, methodology, portal_orgs),
        "agencies_with_red_flags": figure(
            "agencies_with_red_flags",
            len(red_flags),
            "count",
            [s.evidence for s in red_flags] or portal_orgs,
        ),
    }
    for family in methodology.portal.families:
        publishing = [f.current[family] for f in facts if family in f.current]
        key = f"agencies_publishing_{family}"
        overall[key] = figure(
            key, len(publishing), "count", [d.url for d in publishing] or portal_orgs
        )
        overall.update(_coverage(family, facts, portal_orgs))
    return overall


def _coverage(family: str, facts: list[_AgencyFacts], fallback: list[str]) -> dict[str, Figure]:
    """Agencies with nothing on the portal for the family: *awaiting data* when no file was
    received (a normal state, neither published nor failed), *blocked* when the gate refused
    what was received."""
    unpublished = [f for f in facts if family not in f.by_family]
    awaiting = [f.organization.url for f in unpublished if family not in f.gated]
    blocked = [f.organization.url for f in unpublished if family in f.gated]
    return {
        f"agencies_awaiting_{family}": figure(
            f"agencies_awaiting_{family}", len(awaiting), "count", awaiting or fallback
        ),
        f"agencies_blocked_{family}": figure(
            f"agencies_blocked_{family}", len(blocked), "count", blocked or fallback
        ),
    }


def input_figures(inputs: Inputs) -> dict[str, Figure]:
    """Figures that come from the inputs file rather than the portal (context for the values)."""
    ati = inputs.eligibility["access_to_information"]
    latest_year = max(inputs.cpi.scores)
    met = [entry for entry in inputs.cocreation.values() if entry.value is True]
    known = [entry for entry in inputs.cocreation.values() if entry.value is not None]
    return {
        "ati_law": figure(
            "ati_law",
            ati.value if isinstance(ati.value, str) else None,
            "text",
            [ati.source.url],
            verified=ati.verified,
            note=ati.note,
        ),
        "cpi_latest": figure(
            "cpi_latest",
            inputs.cpi.scores[latest_year],
            "score",
            [inputs.cpi.source.url],
            verified=inputs.cpi.verified,
            note=f"{latest_year}",
        ),
        "cocreation_standards_met": figure(
            "cocreation_standards_met",
            len(met) if known else None,
            "count",
            [entry.source.url for entry in inputs.cocreation.values()],
            verified=all(entry.verified for entry in inputs.cocreation.values()),
            note=f"of {len(inputs.cocreation)}",
        ),
    }

"""Readiness indicators, per agency and portal-wide: pure computation, no I/O.

The readers collect the facts — :mod:`pipelines.readiness.portal_reader` (what the public sees)
and :mod:`pipelines.readiness.local_reader` (the gate's and the integrity stage's outputs) —
and :func:`compute_indicators` turns them into :class:`Figure` values, each with its evidence.
One builder (:func:`_shared_figures`) computes the figures a scorecard and the portal-wide view
have in common, over one agency's facts or over all of them.

Denominators are the partitions *received* (published, or judged by the gate); a blocked or
failed one counts against its agency, one awaiting data is in none (counted apart). Shares carry
n/N and a status; timeliness is by content (:mod:`pipelines.readiness.timeliness`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from pipelines.layout import PROCUREMENT
from pipelines.readiness.cocreation_national import NATIONAL
from pipelines.readiness.facts import (
    AgencyFamily,
    LocalOutputs,
    PortalDataset,
    PortalOrganization,
    PortalResource,
    PortalSnapshot,
    family_figures,
    future_noted,
    has_fiscal_year,
    name_matches,
    other_partitions,
    partition,
    pass_rate,
    serves_api,
    timely,
)
from pipelines.readiness.figures import (
    Figure,
    YearLag,
    composite_score,
    counted_share,
    figure,
    share,
)
from pipelines.readiness.methodology import Inputs, Methodology
from pipelines.readiness.oit_items import oit_item_figures
from pipelines.readiness.red_flag_rate import AGENCIES as AGENCIES_WITH_RED_FLAGS
from pipelines.readiness.red_flag_rate import OVERALL as RED_FLAG_RATE
from pipelines.readiness.red_flag_rate import PER_AGENCY, rate_figures
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
    partitions: dict[str, AgencyFamily]  # every family of the methodology
    timely: dict[str, bool | None]  # per received, assessed family (None: newest unknown)
    stars: list[tuple[PortalResource, int]]
    tabular: list[PortalResource]
    api: list[bool]  # per received partition: every data table in the DataStore
    others: list[AgencyFamily] = []  # judged by the gate, outside the scored families

    @property
    def received(self) -> list[AgencyFamily]:
        return [p for p in self.partitions.values() if p.received]


def compute_indicators(
    snapshot: PortalSnapshot,
    local: LocalOutputs,
    methodology: Methodology,
    fiscal_year: int,
    as_of: datetime,
    national_cocreation: Figure | None = None,
) -> IndicatorSet:
    """Per-agency scorecards and portal-wide figures (pure: no I/O). ``national_cocreation``:
    :mod:`pipelines.readiness.cocreation_national`'s figure; without it, unknown."""
    facts = [
        _agency_facts(org, snapshot, local, methodology, fiscal_year, as_of)
        for org in snapshot.organizations
    ]
    # the red-flag rate is red_flag_rate's (its one owner), over the same local facts
    verdicts = {
        o.name: v
        for o in snapshot.organizations
        if (v := local.validation.get(f"{PROCUREMENT}/{o.name}"))
    }
    flags = rate_figures(snapshot, local.red_flags, verdicts)
    # the assessed fiscal year against the report date's: a figure of an older year says so
    year = YearLag.at(fiscal_year, as_of.date())
    scorecards = [
        _scorecard(f, methodology, year, flags[PER_AGENCY + f.organization.name]) for f in facts
    ]
    overall = _overall(snapshot, facts, scorecards, methodology, year)
    overall |= {key: flags[key] for key in (RED_FLAG_RATE, AGENCIES_WITH_RED_FLAGS)}
    overall[NATIONAL] = national_cocreation or figure(
        NATIONAL, None, "count", [f"{snapshot.url}/organization"],
        note_th="ไม่ได้ประเมินเวทีระดับชาติ", note_en="the national forum was not assessed",
    )  # fmt: skip
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
    partitions = {
        family: partition(family, org, by_family.get(family), snapshot, local)
        for family in rules.families
    }
    data_resources = [
        (dataset, res)
        for dataset in by_family.values()
        for res in dataset.resources
        if not name_matches(res.name, rules.non_data_resource_patterns)
    ]
    formats = {fmt.upper() for fmt in rules.tabular_formats}
    tabular = [
        res
        for _, res in data_resources
        if res.format in formats and not name_matches(res.name, rules.derived_resource_patterns)
    ]
    return _AgencyFacts(
        organization=org,
        by_family=by_family,
        current={
            family: d
            for family, d in by_family.items()
            if has_fiscal_year(d, rules.non_data_resource_patterns, fiscal_year)
        },
        partitions=partitions,
        timely={
            family: timely(p, as_of)
            for family, p in partitions.items()
            if p.received and (p.freshness is None or p.freshness.allowed_days is not None)
        },
        stars=[(res, _stars(res, dataset, methodology)) for dataset, res in data_resources],
        tabular=tabular,
        api=[serves_api(p, tabular) for p in partitions.values() if p.received],
        others=other_partitions(org, snapshot, local, rules.families, rules.dataset_name_pattern),
    )


def _stars(resource: PortalResource, dataset: PortalDataset, methodology: Methodology) -> int:
    openness = methodology.openness
    if not dataset.licence_open:
        return openness.closed_licence_stars
    return openness.format_stars.get(resource.format, openness.unknown_format_stars)


def _shared_figures(
    facts: Sequence[_AgencyFacts],
    oit_items: Sequence[Figure],
    methodology: Methodology,
    fallback: list[str],
) -> dict[str, Figure]:
    """The figures of a scorecard (one agency's facts) and of the portal (every agency's):
    computed here once. ``fallback``: the evidence of a figure with nothing to count. Partitions
    awaiting data are counted apart (``partitions_awaiting``), neither passed nor failed."""
    received = [p for f in facts for p in f.received]
    awaiting = [p for f in facts for p in f.partitions.values() if not p.received]
    verdicts = [p.verdict for p in received if p.verdict is not None]
    stars = [s for f in facts for s in f.stars]
    mean_stars = sum(s for _, s in stars) / len(stars) if stars else None
    star_evidence = [r.page_url for r, _ in stars] or fallback
    received_evidence = [p.evidence for p in received] or fallback
    # personal data: over every partition the gate judged, the unscored families included
    judged = received + [p for f in facts for p in f.others if p.received]
    privacy_blocked = [p for p in judged if p.verdict is not None and p.verdict.privacy_blocked]
    blocked_evidence = [p.evidence for p in privacy_blocked] or fallback
    oit_met = sum(int(i.value or 0) for i in oit_items)
    oit_shaky = [i for i in oit_items if i.status == "provisional"]
    return {
        "oit_coverage": share(
            "oit_coverage",
            oit_met,
            len(oit_items),
            [url for i in oit_items for url in i.evidence] or fallback,
            status="provisional" if oit_shaky and oit_items else None,
            note_th=f"เบื้องต้น {len(oit_shaky)} จาก {len(oit_items)} ข้อ" if oit_shaky else None,
            note_en=f"{len(oit_shaky)} of {len(oit_items)} items provisional"
            if oit_shaky
            else None,
        ),
        "timeliness": future_noted(
            counted_share(
                "timeliness",
                [t for f in facts for t in f.timely.values()],
                [p.dataset.url if p.dataset else p.evidence for p in received] or fallback,
                unknown_th="ไม่ทราบวันที่ของระเบียนล่าสุด",
                unknown_en="newest record unknown",
            ),
            received,
        ),
        "validation_pass_rate": pass_rate("validation_pass_rate", received, received_evidence),
        "openness_stars_mean": figure("openness_stars_mean", mean_stars, "stars", star_evidence),
        "openness_share": figure(
            "openness_share",
            None if mean_stars is None else mean_stars / methodology.openness.max_stars,
            "share",
            star_evidence,
        ),
        "datastore_share": share(
            "datastore_share",
            sum(a for f in facts for a in f.api),
            len(received),
            [r.page_url for f in facts for r in f.tabular] + received_evidence,
        ),
        "partitions_received": figure(
            "partitions_received", len(received), "count", received_evidence
        ),
        "partitions_awaiting": figure(
            "partitions_awaiting",
            len(awaiting),
            "count",
            [p.evidence for p in awaiting] or fallback,
        ),
        "partitions_blocked_personal_data": figure(
            "partitions_blocked_personal_data",
            len(privacy_blocked),
            "count",
            blocked_evidence,
            numerator=len(privacy_blocked),
            denominator=len(judged),
        ),
        "values_masked_before_publication": figure(
            "values_masked_before_publication",
            sum(v.masked_values for v in verdicts if not v.blocked) if verdicts else None,
            "count",
            [p.evidence for p in received if p.verdict and not p.blocked] or fallback,
        ),
        # Kept for the report's table until it shows the two figures above: the same count.
        "privacy_incidents_blocked": figure(
            "privacy_incidents_blocked",
            len(privacy_blocked),
            "count",
            blocked_evidence,
            numerator=len(privacy_blocked),
            denominator=len(judged),
            note_th="ชุดข้อมูลที่ถูกระงับเพราะพบข้อมูลส่วนบุคคล",
            note_en="partitions blocked for personal data",
        ),
    }


def _scorecard(
    facts: _AgencyFacts, methodology: Methodology, year: YearLag, red_flag_rate: Figure
) -> AgencyScorecard:
    org = facts.organization
    oit_items = oit_item_figures(
        methodology.oit,
        ce_to_be(year.assessed),
        facts.by_family,
        {
            family: family in facts.current and not p.blocked
            for family, p in facts.partitions.items()
        },
        facts.organization.url,
    )
    oit_items = {code: year.noted(item) for code, item in oit_items.items()}
    figures = _shared_figures([facts], list(oit_items.values()), methodology, [org.url])
    figures["oit_coverage"] = year.noted(figures["oit_coverage"])
    awaiting = len(facts.partitions) - len(facts.received)
    figures[RED_FLAG_RATE] = red_flag_rate
    figures["score"] = composite_score(figures, methodology.scorecard_weights, awaiting)
    return AgencyScorecard(
        agency=org.name, title=org.title, url=org.url, figures=figures, oit_items=oit_items
    )


def _overall(
    snapshot: PortalSnapshot,
    facts: list[_AgencyFacts],
    scorecards: list[AgencyScorecard],
    methodology: Methodology,
    year: YearLag,
) -> dict[str, Figure]:
    portal_orgs = [f"{snapshot.url}/organization"]
    n = len(snapshot.outside_registry)
    items = [f for card in scorecards for f in card.oit_items.values()]
    absent = snapshot.without_organization
    th = [f"ไม่นับองค์กร {n} แห่งบนพอร์ทัลที่ไม่อยู่ในทะเบียนหน่วยงาน"] * bool(n)
    en = [f"{n} organizations on the portal outside the agency registry ignored"] * bool(n)
    th += [f"รวม {len(absent)} หน่วยงานที่ยังไม่มีองค์กรบนพอร์ทัล (รอข้อมูล)"] * bool(absent)
    en += [f"{len(absent)} with no organization on the portal (awaiting data)"] * bool(absent)
    overall = {
        "agencies_total": figure(
            "agencies_total",
            len(snapshot.organizations),
            "count",
            portal_orgs,
            note_th="; ".join(th) or None,
            note_en="; ".join(en) or None,
        ),
        # named: a registry agency the portal has no organization for awaits every family
        "agencies_without_organization": figure(
            "agencies_without_organization",
            len(absent),
            "count",
            portal_orgs,
            note_th=", ".join(o.title for o in absent) or None,
            note_en=", ".join(o.title_en or o.name for o in absent) or None,
        ),
        **_shared_figures(facts, items, methodology, portal_orgs),
    }
    overall["oit_coverage"] = year.noted(overall["oit_coverage"])
    for family in methodology.portal.families:
        # the latest file received was not refused (an older version online is not publishing)
        publishing = [
            f.current[family]
            for f in facts
            if family in f.current and not f.partitions[family].blocked
        ]
        key = f"agencies_publishing_{family}"
        overall[key] = year.noted(
            figure(key, len(publishing), "count", [d.url for d in publishing] or portal_orgs)
        )
        parts = [(f.organization.url, f.partitions[family]) for f in facts]
        overall.update(family_figures(family, parts, portal_orgs))
        # timeliness of one family (commitments about one family read this one)
        received = [f.partitions[family] for f in facts if family in f.timely]
        overall[f"timeliness_{family}"] = future_noted(
            counted_share(
                f"timeliness_{family}",
                [f.timely[family] for f in facts if family in f.timely],
                [p.dataset.url if p.dataset else p.evidence for p in received] or portal_orgs,
                unknown_th="ไม่ทราบวันที่ของระเบียนล่าสุด",
                unknown_en="newest record unknown",
            ),
            received,
        )
    return overall


def input_figures(inputs: Inputs) -> dict[str, Figure]:
    """Figures that come from the inputs file rather than the portal (context for the values)."""
    ati = inputs.eligibility["access_to_information"]
    latest_year = max(inputs.cpi.scores)
    return {
        "ati_law": figure(
            "ati_law",
            ati.value if isinstance(ati.value, str) else None,
            "text",
            [ati.source.url],
            verified=ati.verified,
            note_th=ati.note_th,
            note_en=ati.note_en,
        ),
        "cpi_latest": figure(
            "cpi_latest",
            inputs.cpi.scores[latest_year],
            "score",
            [inputs.cpi.source.url],
            verified=inputs.cpi.verified,
            note_th=f"ค.ศ. {latest_year}",
            note_en=f"{latest_year}",
        ),
    }

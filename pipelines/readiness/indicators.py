"""Readiness indicators, per agency and portal-wide, from what the public sees.

Two readers collect the facts — :func:`read_portal` (the CKAN API: organizations, datasets,
resources, licences, and the validation reports published beside the data) and
:func:`read_local_outputs` (validation reports and red-flag summaries on disk) — and the pure
:func:`compute_indicators` turns them into :class:`Figure` values, each with its evidence.

Accepted validation report shapes: ``{"valid": bool, ...}`` (frictionless-style),
``{"summary": {"valid": bool}}`` or the publish gate's ``{"publishable": bool}``; privacy
findings as ``privacy.findings`` (a list), ``privacy.count`` or ``summary.privacy_findings``.
Red flags: a summary JSON ``{"projects": int, "flagged_projects": int}`` or ``red_flags.csv``
with a ``project_id`` column, as ``pipelines.integrity`` writes it (projects counted from the
clean table).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import requests
from ckanapi import RemoteCKAN
from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure, FigureValue
from pipelines.readiness.methodology import Inputs, Methodology, PortalRules

PAGE_SIZE = 1000  # CKAN's default ckan.search.rows_max
PROCUREMENT = "procurement"


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


class RedFlagSummary(_Fact):
    projects: int
    flagged_projects: int
    evidence: str


class LocalOutputs(_Fact):
    validation: dict[str, ValidationSummary]  # by "<family>/<agency>"
    red_flags: dict[str, RedFlagSummary]  # by agency


# --- reading the portal -------------------------------------------------------------------


def read_portal(
    ckan: RemoteCKAN,
    rules: PortalRules,
    exclude_organizations: Iterable[str] = (),
    timeout_s: float = 60.0,
    max_workers: int = 4,
) -> PortalSnapshot:
    """Read organizations, public datasets and published validation reports through the API.

    ``exclude_organizations``: organizations that are not agencies (e.g. the one publishing
    this report); their datasets are left out too."""
    base = ckan.address.rstrip("/")
    open_ids = {lic["id"] for lic in ckan.action.license_list() if _licence_is_open(lic)}
    skip = set(exclude_organizations)
    packages = [
        package
        for package in _pages(
            lambda offset: ckan.action.package_search(
                q="*:*", rows=PAGE_SIZE, start=offset, sort="name asc"
            )["results"]
        )
        if package.get("organization") and package["organization"]["name"] not in skip
    ]
    # Names only: CKAN caps all_fields listings at 25 a page; titles come with the datasets.
    titles = {p["organization"]["name"]: p["organization"].get("title") for p in packages}
    names = _pages(
        lambda offset: ckan.action.organization_list(limit=PAGE_SIZE, offset=offset, sort="name")
    )
    organizations = [
        PortalOrganization(
            name=name, title=titles.get(name) or name, url=f"{base}/organization/{name}"
        )
        for name in names
        if name not in skip
    ]
    datasets = [_dataset(base, package, open_ids) for package in packages]
    reports = [(d.name, r) for d in datasets if (r := _report_resource(d, rules)) is not None]
    # One GET per published report: fetched concurrently, they dominate the run time at scale.
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        summaries = pool.map(lambda item: _fetch_summary(item[1], timeout_s), reports)
        validation = {name: summary for (name, _), summary in zip(reports, summaries, strict=True)}
    return PortalSnapshot(
        url=base, organizations=organizations, datasets=datasets, validation=validation
    )


def _licence_is_open(licence: Mapping[str, Any]) -> bool:
    # CKAN's own License.isopen(): conformant with the Open Definition or the OSD.
    return "approved" in (licence.get("od_conformance"), licence.get("osd_conformance"))


def _pages(fetch: Callable[[int], list[Any]]) -> Iterator[Any]:
    # Until an empty page: servers cap page sizes silently, so a short page proves nothing.
    offset = 0
    while page := fetch(offset):
        yield from page
        offset += len(page)


def _dataset(base: str, package: Mapping[str, Any], open_ids: set[str]) -> PortalDataset:
    url = f"{base}/dataset/{package['name']}"
    return PortalDataset(
        name=package["name"],
        title=package.get("title") or package["name"],
        organization=package["organization"]["name"],
        url=url,
        licence_open=package.get("license_id") in open_ids,
        metadata_modified=_utc(package["metadata_modified"]),
        update_frequency_unit=package.get("update_frequency_unit") or None,
        update_frequency_interval=package.get("update_frequency_interval") or None,
        resources=[
            PortalResource(
                id=res["id"],
                name=res.get("name") or "",
                format=(res.get("format") or "").upper(),
                url=res.get("url") or "",
                page_url=f"{url}/resource/{res['id']}",
                datastore_active=bool(res.get("datastore_active")),
                description=res.get("description") or "",
            )
            for res in package.get("resources", [])
        ],
    )


def _utc(timestamp: str) -> datetime:
    # CKAN stores naive UTC timestamps.
    parsed = datetime.fromisoformat(timestamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _report_resource(dataset: PortalDataset, rules: PortalRules) -> PortalResource | None:
    return next(
        (r for r in dataset.resources if _matches(r.name, rules.validation_report_patterns)), None
    )


def _fetch_summary(report: PortalResource, timeout_s: float) -> ValidationSummary:
    response = requests.get(report.url, timeout=timeout_s)
    response.raise_for_status()
    return summarize_validation_report(response.json(), report.page_url)


def _matches(name: str, patterns: Iterable[str]) -> bool:
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


# --- reading local outputs ----------------------------------------------------------------


def read_local_outputs(data_dir: Path, repo_root: Path | None = None) -> LocalOutputs:
    """Validation reports (``validation/<family>/<agency>/report.json``) and red-flag summaries
    (``integrity/procurement/<agency>/``) under ``data_dir``; missing folders are fine."""
    root = repo_root or data_dir.parent

    def shown(path: Path) -> str:
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

    validation = {}
    for path in sorted(data_dir.glob("validation/*/*/report.json")):
        family, agency = path.parent.parent.name, path.parent.name
        document = json.loads(path.read_text(encoding="utf-8"))
        validation[f"{family}/{agency}"] = summarize_validation_report(document, shown(path))
    red_flags = {}
    for folder in sorted(p for p in data_dir.glob(f"integrity/{PROCUREMENT}/*") if p.is_dir()):
        summary = _red_flag_summary(folder, data_dir, shown)
        if summary is not None:
            red_flags[folder.name] = summary
    return LocalOutputs(validation=validation, red_flags=red_flags)


def _red_flag_summary(
    folder: Path, data_dir: Path, shown: Callable[[Path], str]
) -> RedFlagSummary | None:
    summary_file = folder / "summary.json"
    if summary_file.is_file():
        document = json.loads(summary_file.read_text(encoding="utf-8"))
        return RedFlagSummary(
            projects=int(document["projects"]),
            flagged_projects=int(document["flagged_projects"]),
            evidence=shown(summary_file),
        )
    flags_file = folder / "red_flags.csv"
    projects = _clean_row_count(data_dir / "clean" / PROCUREMENT / folder.name)
    if not flags_file.is_file() or projects is None:
        return None
    with flags_file.open(encoding="utf-8", newline="") as handle:
        flagged = {row["project_id"] for row in csv.DictReader(handle)}
    return RedFlagSummary(
        projects=projects, flagged_projects=len(flagged), evidence=shown(flags_file)
    )


def _clean_row_count(folder: Path) -> int | None:
    parquet, csv_file = folder / f"{PROCUREMENT}.parquet", folder / f"{PROCUREMENT}.csv"
    if parquet.is_file():
        return int(pq.ParquetFile(parquet).metadata.num_rows)  # from the footer, no data read
    if csv_file.is_file():
        with csv_file.open(encoding="utf-8", newline="") as handle:
            return sum(1 for _ in csv.DictReader(handle))
    return None


# --- computing indicators -----------------------------------------------------------------

LABELS: dict[str, tuple[str, str]] = {
    "oit_coverage": ("ความครบถ้วนของการเผยแพร่ตาม OIT", "Required publications present (OIT)"),
    "timeliness": ("ความทันเวลาของการปรับปรุงข้อมูล", "Timeliness of updates"),
    "validation_pass_rate": ("อัตราการผ่านการตรวจสอบข้อมูล", "Validation pass rate"),
    "openness_stars_mean": ("ระดับความเปิดเผยเฉลี่ย (ดาว)", "Mean openness (stars)"),
    "openness_share": ("ระดับความเปิดเผยเทียบกับสูงสุด", "Openness (share of maximum stars)"),
    "datastore_share": ("สัดส่วนข้อมูลตารางที่เรียกผ่าน API ได้", "Tables available through the API"),
    "privacy_incidents_blocked": ("ข้อมูลส่วนบุคคลที่ถูกสกัดกั้น", "Personal-data incidents blocked"),
    "red_flag_rate": ("อัตราโครงการที่มีสัญญาณเตือน", "Procurement red-flag rate"),
    "agencies_with_red_flags": ("หน่วยงานที่มีผลวิเคราะห์สัญญาณเตือน", "Agencies with red-flag analysis"),
    "agencies_total": ("จำนวนหน่วยงานบนพอร์ทัล", "Agencies on the portal"),
    "score": ("คะแนนรวมของหน่วยงาน", "Agency score"),
    "ati_law": ("กฎหมายว่าด้วยการเข้าถึงข้อมูลข่าวสาร", "Access-to-information law"),
    "cpi_latest": ("ดัชนีการรับรู้การทุจริต (CPI) ล่าสุด", "Corruption Perceptions Index, latest"),
    "cocreation_standards_met": ("มาตรฐานการมีส่วนร่วมและการร่วมสร้างที่ผ่าน", "Co-creation standards met"),
}


def label(key: str) -> tuple[str, str]:
    if key.startswith("agencies_publishing_"):
        family = key.removeprefix("agencies_publishing_")
        return f"หน่วยงานที่เผยแพร่ข้อมูล {family}", f"Agencies publishing {family}"
    return LABELS[key]


def figure(
    key: str,
    value: FigureValue,
    unit: str,
    evidence: Iterable[str],
    *,
    verified: bool = True,
    note: str | None = None,
) -> Figure:
    th, en = label(key)
    return Figure(
        key=key,
        label_th=th,
        label_en=en,
        value=value,
        unit=unit,
        evidence=list(dict.fromkeys(evidence)),
        verified=verified,
        note=note,
    )


class AgencyScorecard(_Fact):
    agency: str
    title: str
    url: str
    figures: dict[str, Figure]
    oit_items: dict[str, Figure]  # by OIT code: 1 = satisfied, 0 = missing


class IndicatorSet(_Fact):
    fiscal_year: int
    agencies: list[AgencyScorecard]
    overall: dict[str, Figure]


class _AgencyFacts(_Fact):
    """One agency's datasets, resolved to family, with the facts the figures count."""

    organization: PortalOrganization
    by_family: dict[str, PortalDataset]
    validation: list[ValidationSummary]
    timely: list[tuple[PortalDataset, bool]]
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
        _agency_facts(org, snapshot, local, methodology, as_of) for org in snapshot.organizations
    ]
    scorecards = [_scorecard(f, methodology, fiscal_year) for f in facts]
    overall = _overall(snapshot, facts, scorecards, methodology, fiscal_year)
    return IndicatorSet(fiscal_year=fiscal_year, agencies=scorecards, overall=overall)


def _agency_facts(
    org: PortalOrganization,
    snapshot: PortalSnapshot,
    local: LocalOutputs,
    methodology: Methodology,
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
        if not _matches(res.name, rules.non_data_resource_patterns)
    ]
    tabular = {fmt.upper() for fmt in rules.tabular_formats}
    return _AgencyFacts(
        organization=org,
        by_family=by_family,
        validation=validation,
        timely=[(d, _is_timely(d, family, rules, as_of)) for family, d in by_family.items()],
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
    year = re.compile(rf"(?<!\d)({fiscal_year}|{fiscal_year + 543})(?!\d)")
    return any(
        year.search(f"{res.name} {res.description}")
        for res in dataset.resources
        if not _matches(res.name, rules.non_data_resource_patterns)
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _scorecard(facts: _AgencyFacts, methodology: Methodology, fiscal_year: int) -> AgencyScorecard:
    org = facts.organization
    fallback = [org.url]
    oit_items = {}
    for item in methodology.oit.items:
        dataset = facts.by_family.get(item.family)
        present = dataset is not None and _has_fiscal_year(dataset, methodology.portal, fiscal_year)
        oit_items[item.code] = Figure(
            key=f"oit_{item.code}",
            label_th=f"{item.code} {item.name_th}",
            label_en=f"{item.code} {item.name_en}",
            value=int(present),
            unit="bool",
            evidence=[dataset.url] if dataset is not None else fallback,
        )
    all_urls = [d.url for d in facts.by_family.values()] or fallback
    figures = {
        "oit_coverage": figure(
            "oit_coverage",
            _share(sum(int(f.value or 0) for f in oit_items.values()), len(oit_items)),
            "share",
            [u for f in oit_items.values() for u in f.evidence],
        ),
        "timeliness": figure(
            "timeliness",
            _share(sum(t for _, t in facts.timely), len(facts.timely)),
            "share",
            all_urls,
        ),
        "validation_pass_rate": figure(
            "validation_pass_rate",
            _share(sum(v.valid for v in facts.validation), len(facts.validation)),
            "share",
            [v.evidence for v in facts.validation] or fallback,
        ),
        **_openness_figures(facts.stars, methodology, fallback),
        "datastore_share": figure(
            "datastore_share",
            _share(sum(r.datastore_active for r in facts.tabular), len(facts.tabular)),
            "share",
            [r.page_url for r in facts.tabular] or fallback,
        ),
        "privacy_incidents_blocked": figure(
            "privacy_incidents_blocked",
            sum(v.privacy_findings for v in facts.validation),
            "count",
            [v.evidence for v in facts.validation] or fallback,
        ),
        "red_flag_rate": _red_flag_figure([facts.red_flags] if facts.red_flags else [], fallback),
    }
    figures["score"] = _composite(figures, methodology)
    return AgencyScorecard(
        agency=org.name, title=org.title, url=org.url, figures=figures, oit_items=oit_items
    )


def _openness_figures(
    stars: list[tuple[PortalResource, int]], methodology: Methodology, fallback: list[str]
) -> dict[str, Figure]:
    mean = sum(s for _, s in stars) / len(stars) if stars else None
    evidence = [r.page_url for r, _ in stars] or fallback
    share = None if mean is None else mean / methodology.openness.max_stars
    return {
        "openness_stars_mean": figure("openness_stars_mean", mean, "stars", evidence),
        "openness_share": figure("openness_share", share, "share", evidence),
    }


def _red_flag_figure(summaries: list[RedFlagSummary], fallback: list[str]) -> Figure:
    projects = sum(s.projects for s in summaries)
    flagged = sum(s.flagged_projects for s in summaries)
    evidence = [s.evidence for s in summaries] or fallback
    return figure("red_flag_rate", _share(flagged, projects), "share", evidence)


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
    fiscal_year: int,
) -> dict[str, Figure]:
    portal_orgs = [f"{snapshot.url}/organization"]
    items = [f for card in scorecards for f in card.oit_items.values()]
    timely = [t for f in facts for _, t in f.timely]
    validation = [v for f in facts for v in f.validation]
    tabular = [r for f in facts for r in f.tabular]
    red_flags = [f.red_flags for f in facts if f.red_flags is not None]
    overall = {
        "agencies_total": figure(
            "agencies_total", len(snapshot.organizations), "count", portal_orgs
        ),
        "oit_coverage": figure(
            "oit_coverage",
            _share(sum(int(f.value or 0) for f in items), len(items)),
            "share",
            [u for f in items for u in f.evidence] or portal_orgs,
        ),
        "timeliness": figure(
            "timeliness",
            _share(sum(timely), len(timely)),
            "share",
            [d.url for f in facts for d in f.by_family.values()] or portal_orgs,
        ),
        "validation_pass_rate": figure(
            "validation_pass_rate",
            _share(sum(v.valid for v in validation), len(validation)),
            "share",
            [v.evidence for v in validation] or portal_orgs,
        ),
        **_openness_figures([s for f in facts for s in f.stars], methodology, portal_orgs),
        "datastore_share": figure(
            "datastore_share",
            _share(sum(r.datastore_active for r in tabular), len(tabular)),
            "share",
            [r.page_url for r in tabular] or portal_orgs,
        ),
        "privacy_incidents_blocked": figure(
            "privacy_incidents_blocked",
            sum(v.privacy_findings for v in validation),
            "count",
            [v.evidence for v in validation] or portal_orgs,
        ),
        "red_flag_rate": _red_flag_figure(red_flags, portal_orgs),
        "agencies_with_red_flags": figure(
            "agencies_with_red_flags",
            len(red_flags),
            "count",
            [s.evidence for s in red_flags] or portal_orgs,
        ),
    }
    for family in methodology.portal.families:
        publishing = [
            f.by_family[family]
            for f in facts
            if family in f.by_family
            and _has_fiscal_year(f.by_family[family], methodology.portal, fiscal_year)
        ]
        key = f"agencies_publishing_{family}"
        overall[key] = figure(
            key, len(publishing), "count", [d.url for d in publishing] or portal_orgs
        )
    return overall


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

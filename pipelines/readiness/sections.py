"""The report's sections beyond the scorecards: each turns one readiness module's results into a
:class:`FigureSection` (portal-wide figures, and per-agency rows where the module has them).
Pure: the reading is done by :mod:`pipelines.readiness.run`.

Sections, and the module each one shows:

* ``metadata_quality`` — :mod:`metadata_quality` (data.europa.eu MQA points and each indicator's
  n/N) and :mod:`thai_gdc` (datasets with every field data.go.th requires).
* ``licensing``, ``cocreation``, ``asset_disclosure`` — :mod:`licensing`, :mod:`cocreation`,
  :mod:`disclosure` (issue 15 item 5): :func:`figure_section` shows any mapping of figures those
  modules return, so plugging one in is one call in ``run.sections``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pipelines.readiness.cocreation import WORDS, StandardResult
from pipelines.readiness.facts import PortalOrganization
from pipelines.readiness.figures import Figure
from pipelines.readiness.indicators import IndicatorSet
from pipelines.readiness.metadata_quality import MQA_POINTS, PortalMqa, mqa_figures
from pipelines.readiness.mqa_rules import MqaRules
from pipelines.readiness.present import register_maximum
from pipelines.readiness.report import AgencyFigures, CheckRow, FigureSection
from pipelines.readiness.thai_gdc import CatalogCheck, thai_gdc_figures

METADATA = (
    "metadata_quality",
    "คุณภาพเมทาดาตา (MQA ของ data.europa.eu) และความพร้อมสำหรับ data.go.th",
    "Metadata quality (data.europa.eu MQA) and readiness for data.go.th",
)


def _agency_rows(
    organizations: Iterable[PortalOrganization], rows: Mapping[str, dict[str, Figure]]
) -> list[AgencyFigures]:
    """Rows for the agencies on the portal that have figures, in the portal's order; an
    agency the module saw but the portal lists no longer keeps its name as title."""
    known = {o.name: o for o in organizations}
    ordered = [o.name for o in organizations if o.name in rows]
    ordered += sorted(set(rows) - set(ordered))
    return [
        AgencyFigures(
            agency=name,
            title=known[name].title if name in known else name,
            url=known[name].url if name in known else next(iter(rows[name].values())).evidence[0],
            figures=rows[name],
        )
        for name in ordered
    ]


def metadata_section(
    mqa: PortalMqa,
    catalog: CatalogCheck,
    rules: MqaRules,
    organizations: Iterable[PortalOrganization],
) -> FigureSection:
    """Portal-wide MQA points with the per-indicator breakdown and the data.go.th check; per
    agency its MQA points and its datasets ready for data.go.th (n/N)."""
    register_maximum(MQA_POINTS, rules.max_points)  # shown as points of 405
    figures = [
        *mqa_figures(mqa.portal, rules).values(),
        *thai_gdc_figures(catalog.portal, rules.thai_gdc).values(),
    ]
    rows: dict[str, dict[str, Figure]] = {}
    for org in sorted(set(mqa.agencies) | set(catalog.agencies)):
        row: dict[str, Figure] = {}
        if org in mqa.agencies:
            row[MQA_POINTS] = mqa_figures(mqa.agencies[org], rules)[MQA_POINTS]
        if org in catalog.agencies:
            row.update(thai_gdc_figures(catalog.agencies[org], rules.thai_gdc))
        rows[org] = row
    key, th, en = METADATA
    return FigureSection(
        key=key,
        name_th=th,
        name_en=en,
        figures=figures,
        agencies=_agency_rows(organizations, rows),
    )


def split_by_agency(
    figures: Mapping[str, Figure], agencies: Iterable[str]
) -> tuple[list[Figure], dict[str, dict[str, Figure]]]:
    """Portal-wide figures, and per agency its figures by base key
    (``licensing_on_time_<agency>`` -> ``licensing_on_time``); the longest agency name wins."""
    names = sorted(agencies, key=len, reverse=True)
    overall: list[Figure] = []
    rows: dict[str, dict[str, Figure]] = {}
    for key, f in figures.items():
        agency = next((a for a in names if key.endswith(f"_{a}")), None)
        if agency is None:
            overall.append(f)
        else:
            rows.setdefault(agency, {})[key.removesuffix(f"_{agency}")] = f
    return overall, rows


def module_section(
    key: str,
    name: tuple[str, str],
    figures: Mapping[str, Figure],
    organizations: Sequence[PortalOrganization],
    note: tuple[str, str] | None = None,
) -> FigureSection:
    """A section from a module's figures keyed ``<base>`` (portal) and ``<base>_<agency>``."""
    overall, rows = split_by_agency(figures, [o.name for o in organizations])
    return figure_section(key, name, overall, rows, organizations, note)


def with_figures(indicators: IndicatorSet, figures: Mapping[str, Figure], key: str) -> IndicatorSet:
    """``indicators`` with ``key`` replaced by a module's own figure, portal-wide and per agency
    (e.g. the red-flag rate over every row received, from :mod:`red_flag_rate`)."""
    overall, rows = split_by_agency(figures, [a.agency for a in indicators.agencies])
    portal = next((f for f in overall if f.key == key), None)
    cards = [
        card.model_copy(update={"figures": {**card.figures, key: rows[card.agency][key]}})
        if key in rows.get(card.agency, {})
        else card
        for card in indicators.agencies
    ]
    updated = {**indicators.overall, key: portal} if portal is not None else indicators.overall
    return indicators.model_copy(update={"agencies": cards, "overall": updated})


def figure_section(
    key: str,
    name: tuple[str, str],
    figures: Mapping[str, Figure] | Iterable[Figure],
    per_agency: Mapping[str, Mapping[str, Figure]] | None = None,
    organizations: Iterable[PortalOrganization] = (),
    note: tuple[str, str] | None = None,
) -> FigureSection:
    """A section from any module's figures (a mapping by key or a list), with optional
    per-agency figures (agency name -> figures by key)."""
    shown = list(figures.values()) if isinstance(figures, Mapping) else list(figures)
    rows = {agency: dict(f) for agency, f in (per_agency or {}).items()}
    return FigureSection(
        key=key,
        name_th=name[0],
        name_en=name[1],
        figures=shown,
        agencies=_agency_rows(organizations, rows),
        note_th=note[0] if note else None,
        note_en=note[1] if note else None,
    )


COCREATION = (
    "cocreation",
    "มาตรฐานการมีส่วนร่วมและการร่วมสร้างของ OGP (2565)",
    "OGP Participation and Co-Creation Standards (2022)",
)


def cocreation_section(
    figures: Mapping[str, Figure],
    results: Mapping[str, Sequence[StandardResult]],
    organizations: Sequence[PortalOrganization],
    forums: Iterable[str],
) -> FigureSection:
    """Per agency the standards met (n of 5) and the requirements met of those assessed; the
    checklist of every minimum requirement for the agencies in ``forums`` (those publishing
    forum meetings: the others' checklist is "not assessed" but for the repository)."""
    with_forum = set(forums)
    section = module_section(COCREATION[0], COCREATION[1:], figures, organizations)
    titles = {o.name: o.title for o in organizations}
    checks = [
        CheckRow(
            subject=titles.get(agency, agency),
            subject_code=agency,
            group_th=standard.name.th,
            group_en=standard.name.en,
            item_th=requirement.text.th,
            item_en=requirement.text.en,
            verdict=requirement.verdict,
            verdict_th=WORDS[requirement.verdict][0],
            verdict_en=WORDS[requirement.verdict][1],
            detail_th=requirement.detail.th,
            detail_en=requirement.detail.en,
            evidence=requirement.evidence,
        )
        for agency, standards in results.items()
        if agency in with_forum
        for standard in standards
        for requirement in standard.requirements
    ]
    return section.model_copy(update={"checks": checks})

"""Build the readiness report end to end: read the portal (as the public sees it) and the local
gate and integrity outputs, score, write ``build/report/`` and publish to the portal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from pipelines.contracts import load_agencies
from pipelines.publish.ckan import CKANPublisher, default_receipts_dir
from pipelines.publish.client import client_from_settings
from pipelines.readiness import history
from pipelines.readiness.cocreation import (
    COLUMNS,
    FAMILY,
    StandardResult,
    cocreation_figures,
    load_standards,
)
from pipelines.readiness.cocreation_national import NATIONAL, national_figures
from pipelines.readiness.dcat_reader import PortalMetadata, read_portal_metadata
from pipelines.readiness.disclosure import asset_disclosure_evidence, disclosure_figures
from pipelines.readiness.facts import PortalSnapshot
from pipelines.readiness.figures import Figure
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.licensing import licensing_figures
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.metadata_quality import score_portal
from pipelines.readiness.methodology import OgpConfig, load_config
from pipelines.readiness.mqa_rules import load_mqa_rules
from pipelines.readiness.portal_reader import read_portal
from pipelines.readiness.publish import PublishedReport, publish_report
from pipelines.readiness.published import published_rows
from pipelines.readiness.report import (
    FigureSection,
    Report,
    ReportPaths,
    build_report,
    write_report,
)
from pipelines.readiness.sections import (
    cocreation_section,
    metadata_section,
    module_section,
)
from pipelines.readiness.thai_gdc import check_packages
from pipelines.settings import Settings, get_settings

USER_AGENT = "ogp-pipeline-readiness/1"


class ReportRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    report: Report
    paths: ReportPaths
    published: PublishedReport | None


def run_report(
    settings: Settings | None = None, *, publish: bool = True, now: datetime | None = None
) -> ReportRun:
    settings = settings or get_settings()
    # The report is as of a day, not an instant: re-running it the same day over an unchanged
    # portal gives the same bytes, so publishing it again uploads nothing.
    generated_at = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    config = load_config(settings.datasets_dir / "ogp")
    # the registry's (Thai, English) names by agency code
    registry = {a.agency_code: (a.name_th, a.name_en) for a in load_agencies(settings.datasets_dir)}
    publication = config.inputs.publication
    # Read anonymously: the report counts what the public can see, not what the token can.
    public = client_from_settings(settings, user_agent=USER_AGENT)
    try:
        snapshot = read_portal(
            public,
            config.methodology.portal,
            exclude_organizations=[publication.organization],
            max_workers=settings.ckan_max_workers,
            # only the agencies of the registry count; other organizations are ignored (a
            # note); one without an organization on the portal counts as awaiting data
            agencies=registry,
        )
        metadata = read_portal_metadata(
            public,
            organizations=[o.name for o in snapshot.organizations if o.on_portal],
            exclude_organizations=[publication.organization],
            max_workers=settings.ckan_max_workers,
        )
    finally:
        public.close()
    local = read_local_outputs(
        settings.data_dir, settings.data_dir.parent, as_of=generated_at.date()
    )
    # the red-flag rate (red_flag_rate's, over every row received, quarantined rows included)
    # comes with the indicators, computed once
    # the co-creation standards per agency and for the national forum, whose figure goes with
    # the OGP values (civic participation)
    cocreation, results = cocreation_figures(
        snapshot, settings.data_dir, settings.datasets_dir / "ogp", generated_at.date()
    )
    cocreation |= national_cocreation(settings, config, snapshot, results)
    indicators = compute_indicators(
        snapshot,
        local,
        config.methodology,
        config.inputs.assessment.fiscal_year,
        generated_at,
        national_cocreation=cocreation[NATIONAL],
    )
    extra = sections(settings, config, snapshot, metadata, (cocreation, results))
    asset_pages = asset_disclosure_evidence(snapshot, settings.data_dir)
    out_dir = settings.build_dir / "report"
    earlier = history.latest_before(out_dir / "history", generated_at)
    previous = (earlier[0].name, earlier[1]) if earlier else None
    report = build_report(
        config,
        indicators,
        snapshot.url,
        generated_at,
        previous,
        extra,
        eligibility_evidence={"asset_disclosure": asset_pages},
        agency_names=registry,
    )
    paths = write_report(report, out_dir)
    published = None
    if publish:
        if settings.ckan_api_token() is None:
            raise RuntimeError("no CKAN API token: set OGP_CKAN_TOKEN or bring up the local portal")
        publisher = CKANPublisher(url=settings.ckan_url)
        published = publish_report(
            paths, publisher, publication, receipts_dir=default_receipts_dir(settings)
        )
    return ReportRun(report=report, paths=paths, published=published)


def sections(
    settings: Settings,
    config: OgpConfig,
    snapshot: PortalSnapshot,
    metadata: PortalMetadata,
    cocreation: tuple[Mapping[str, Figure], Mapping[str, Sequence[StandardResult]]],
) -> list[FigureSection]:
    """The report's sections beyond the scorecards, each from its module (see
    :mod:`pipelines.readiness.sections`): what was published, as the public sees it, and the
    gate's outputs for the rows behind it (never a clean table). ``cocreation``: the figures
    and per-agency results of the co-creation standards, national figures included."""
    data_dir, ogp_dir = settings.data_dir, settings.datasets_dir / "ogp"
    organizations = snapshot.organizations
    rules = load_mqa_rules(ogp_dir)
    pattern = config.methodology.portal.dataset_name_pattern
    forum_datasets = {pattern.format(agency=o.name, family="forum_meetings") for o in organizations}
    return [
        module_section(
            "licensing",
            LICENSING,
            licensing_figures(snapshot, data_dir),
            organizations,
        ),
        cocreation_section(
            *cocreation,
            organizations,
            forums=[d.organization for d in snapshot.datasets if d.name in forum_datasets],
        ),
        module_section(
            "asset_disclosure",
            ASSET_DISCLOSURE,
            disclosure_figures(snapshot, data_dir),
            organizations,
        ),
        metadata_section(
            score_portal(rules, metadata.records, snapshot.url),
            check_packages(metadata.packages, rules.thai_gdc, snapshot.url),
            rules,
            organizations,
        ),
    ]


def national_cocreation(
    settings: Settings,
    config: OgpConfig,
    snapshot: PortalSnapshot,
    results: Mapping[str, Sequence[StandardResult]],
) -> dict[str, Figure]:
    """The five standards for the national forum (its host: ``inputs.yaml`` national_forum)."""
    standards = load_standards(settings.datasets_dir / "ogp")
    forums = published_rows(snapshot, settings.data_dir, FAMILY, COLUMNS)
    host = config.inputs.national_forum
    return national_figures(standards, host, snapshot, forums, results)


LICENSING = (
    "การพิจารณาอนุญาตภายในระยะเวลาตาม พ.ร.บ. การอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ พ.ศ. 2558",
    "Licence decisions within the deadlines of the Licensing Facilitation Act B.E. 2558 (2015)",
)
ASSET_DISCLOSURE = (
    "การเปิดเผยบัญชีแสดงรายการทรัพย์สินและหนี้สิน",
    "Asset declarations published",
)

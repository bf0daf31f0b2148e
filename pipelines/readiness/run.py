"""Build the readiness report end to end: read the portal (as the public sees it) and the local
gate and integrity outputs, score, write ``build/report/`` and publish to the portal."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from pipelines.publish.ckan import CKANPublisher, default_receipts_dir
from pipelines.publish.client import client_from_settings
from pipelines.readiness import history
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import load_config
from pipelines.readiness.portal_reader import read_portal
from pipelines.readiness.publish import PublishedReport, publish_report
from pipelines.readiness.report import Report, ReportPaths, build_report, write_report
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
    publication = config.inputs.publication
    # Read anonymously: the report counts what the public can see, not what the token can.
    public = client_from_settings(settings, user_agent=USER_AGENT)
    try:
        snapshot = read_portal(
            public,
            config.methodology.portal,
            exclude_organizations=[publication.organization],
            max_workers=settings.ckan_max_workers,
        )
    finally:
        public.close()
    local = read_local_outputs(settings.data_dir, settings.data_dir.parent)
    indicators = compute_indicators(
        snapshot, local, config.methodology, config.inputs.assessment.fiscal_year, generated_at
    )
    out_dir = settings.build_dir / "report"
    earlier = history.latest_before(out_dir / "history", generated_at)
    previous = (earlier[0].name, earlier[1]) if earlier else None
    report = build_report(config, indicators, snapshot.url, generated_at, previous)
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

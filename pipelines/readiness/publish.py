"""Publish the report files to the portal as one dataset (``ogp-readiness-report``), through
the pipeline's own CKAN publisher: same idempotence (a resource is uploaded only when its
sha256 changed, in place, same id), retries and receipts as every other dataset."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.model import DatasetMetadata, OrganizationSpec, PublishRequest, ResourceFile
from pipelines.publish.plan import CatalogScope
from pipelines.readiness.methodology import Publication
from pipelines.readiness.report import ReportPaths

FAMILY = "ogp-readiness"  # the publisher's scope: nothing else lives under this family
TITLE_TH, TITLE_EN = "รายงานความพร้อมเข้าร่วม OGP", "OGP readiness report"
NOTES_TH = "รายงานความพร้อมด้านค่านิยมและพันธกิจ OGP คำนวณจากข้อมูลที่เผยแพร่บนพอร์ทัลนี้"
NOTES_EN = (
    "OGP values-and-commitments readiness report, computed from the data published on this portal."
)
_FORMATS = {
    ".html": ("HTML", "text/html"),
    ".json": ("JSON", "application/json"),
    ".md": ("Markdown", "text/markdown"),
}


class PublishedResource(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    page_url: str
    download_url: str
    uploaded: bool


class PublishedReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    dataset_url: str
    resources: list[PublishedResource]

    def resource(self, suffix: str) -> PublishedResource:
        return next(r for r in self.resources if r.name.endswith(suffix))


def report_request(paths: ReportPaths, publication: Publication) -> PublishRequest:
    title_th, _, title_en = publication.organization_title.partition(" / ")
    files = (paths.html, paths.json_path, paths.markdown)
    return PublishRequest(
        organization=OrganizationSpec(
            name=publication.organization, title_th=title_th, title_en=title_en or title_th
        ),
        dataset=DatasetMetadata(
            name=publication.dataset_name,
            owner_org=publication.organization,
            family=FAMILY,
            title_th=TITLE_TH,
            title_en=TITLE_EN,
            notes_th=NOTES_TH,
            notes_en=NOTES_EN,
            license_id=publication.license_id,
            tags=("OGP", "open-government"),
        ),
        resources=tuple(
            ResourceFile(
                name=path.name,
                content=path.read_bytes(),
                format=_FORMATS[path.suffix][0],
                mimetype=_FORMATS[path.suffix][1],
                description=f"{TITLE_TH} / {TITLE_EN} ({_FORMATS[path.suffix][0]})",
            )
            for path in files
        ),
    )


def publish_report(
    paths: ReportPaths,
    publisher: CKANPublisher,
    publication: Publication,
    receipts_dir: Path | None = None,
) -> PublishedReport:
    """Create or update the report dataset; upload HTML, JSON and Markdown when changed."""
    request = report_request(paths, publication)
    scope = CatalogScope(frozenset({publication.organization}), frozenset({FAMILY}))
    receipt = publisher.publish([request], scope=scope, receipts_dir=receipts_dir)
    dataset = receipt.datasets[0]
    base = f"{publisher.site_url()}/dataset/{publication.dataset_name}"
    return PublishedReport(
        dataset_url=base,
        resources=[
            PublishedResource(
                name=resource.name,
                page_url=f"{base}/resource/{resource.id}",
                download_url=resource.url or "",
                uploaded=resource.bytes_uploaded > 0,
            )
            for resource in dataset.resources
        ],
    )

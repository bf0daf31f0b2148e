"""Publish the report files to the portal as one dataset (``ogp-readiness-report``).

Idempotent: the dataset and organization are created once; a resource is uploaded only when
its SHA-256 differs from the ``content_hash`` stored on the resource, so re-running with
unchanged files changes nothing. (The general publisher lives in ``pipelines/publish``; this
one stays minimal on purpose.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ckanapi import NotFound, RemoteCKAN
from pydantic import BaseModel, ConfigDict

from pipelines.hashing import file_sha256
from pipelines.readiness.methodology import Publication
from pipelines.readiness.report import ReportPaths

TITLE = "รายงานความพร้อมเข้าร่วม OGP / OGP readiness report"
NOTES = (
    "รายงานความพร้อมด้านค่านิยมและพันธกิจ OGP คำนวณจากข้อมูลที่เผยแพร่บนพอร์ทัลนี้\n\n"
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


def publish_report(
    paths: ReportPaths, ckan: RemoteCKAN, publication: Publication
) -> PublishedReport:
    """Create or update the report dataset; upload HTML, JSON and Markdown when changed."""
    _ensure_organization(ckan, publication)
    package = _ensure_dataset(ckan, publication)
    existing = {r["name"]: r for r in package.get("resources", [])}
    base = f"{ckan.address.rstrip('/')}/dataset/{publication.dataset_name}"
    published = []
    for path in (paths.html, paths.json_path, paths.markdown):
        resource, uploaded = _put_resource(ckan, package["id"], path, existing.get(path.name))
        published.append(
            PublishedResource(
                name=path.name,
                page_url=f"{base}/resource/{resource['id']}",
                download_url=resource["url"],
                uploaded=uploaded,
            )
        )
    return PublishedReport(dataset_url=base, resources=published)


def _ensure_organization(ckan: RemoteCKAN, publication: Publication) -> None:
    try:
        ckan.action.organization_show(id=publication.organization)
    except NotFound:
        ckan.action.organization_create(
            name=publication.organization, title=publication.organization_title
        )


def _ensure_dataset(ckan: RemoteCKAN, publication: Publication) -> dict[str, Any]:
    wanted = {"title": TITLE, "notes": NOTES, "license_id": publication.license_id}
    try:
        package: dict[str, Any] = ckan.action.package_show(id=publication.dataset_name)
    except NotFound:
        created: dict[str, Any] = ckan.action.package_create(
            name=publication.dataset_name, owner_org=publication.organization, **wanted
        )
        return created
    if any(package.get(key) != value for key, value in wanted.items()):
        package = ckan.action.package_patch(id=package["id"], **wanted)
    return package


def _put_resource(
    ckan: RemoteCKAN, package_id: str, path: Path, current: dict[str, Any] | None
) -> tuple[dict[str, Any], bool]:
    digest = file_sha256(path)
    if current is not None and current.get("content_hash") == digest:
        return current, False
    fmt, mimetype = _FORMATS[path.suffix]
    fields = {"name": path.name, "format": fmt, "mimetype": mimetype, "content_hash": digest}
    with path.open("rb") as upload:
        if current is None:
            resource = ckan.action.resource_create(package_id=package_id, upload=upload, **fields)
        else:
            resource = ckan.action.resource_patch(id=current["id"], upload=upload, **fields)
    return resource, True

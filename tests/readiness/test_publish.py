"""Publishing the report to the real local portal: created once, re-uploaded only on change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests

from pipelines.publish.ckan import CKANPublisher
from pipelines.readiness.methodology import OgpConfig, Publication
from pipelines.readiness.publish import publish_report
from pipelines.readiness.report import build_report, write_report

from .conftest import AS_OF, PORTAL
from .test_report import indicators

pytestmark = pytest.mark.portal


def test_publish_is_idempotent(
    config: OgpConfig,
    ckan: ckanapi.RemoteCKAN,
    ckan_portal: Any,
    run_id: str,
    created: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    publisher = CKANPublisher(url=ckan_portal.url)  # the token: OGP_CKAN_TOKEN or the token file
    paths = write_report(build_report(config, indicators(config), PORTAL, AS_OF), tmp_path)
    publication = Publication(
        dataset_name=f"ogp-readiness-report-{run_id}",
        organization=f"ogp-coord-{run_id}",
        organization_title="ทดสอบ / test",
        license_id="cc-by",
    )
    created.extend(
        [("dataset", publication.dataset_name), ("organization", publication.organization)]
    )
    first = publish_report(paths, publisher, publication, receipts_dir=tmp_path)
    assert [r.uploaded for r in first.resources] == [True, True, True]

    second = publish_report(paths, publisher, publication, receipts_dir=tmp_path)
    assert [r.uploaded for r in second.resources] == [False, False, False]
    assert [r.page_url for r in second.resources] == [r.page_url for r in first.resources]

    paths.markdown.write_text("# changed / เปลี่ยนแล้ว\n", encoding="utf-8")
    third = publish_report(paths, publisher, publication, receipts_dir=tmp_path)
    assert [r.uploaded for r in third.resources] == [False, False, True]
    assert third.resource(".md").page_url == first.resource(".md").page_url  # updated in place

    package = ckan.action.package_show(id=publication.dataset_name)
    assert sorted(r["format"] for r in package["resources"]) == ["HTML", "JSON", "Markdown"]
    md = next(r for r in package["resources"] if r["name"].endswith(".md"))
    assert (
        md["content_hash"]
        != next(r for r in package["resources"] if r["name"].endswith(".json"))["content_hash"]
    )
    # what the public downloads is what was written
    body = requests.get(md["url"], timeout=30).content.decode("utf-8")
    assert body == "# changed / เปลี่ยนแล้ว\n"

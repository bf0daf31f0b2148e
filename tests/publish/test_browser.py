"""What the public sees: a published dataset page and its DataStore preview, in real Chromium."""

from __future__ import annotations

import pytest

from pipelines.publish.ckan import CKANPublisher
from pipelines.settings import REPO_ROOT

pytestmark = [pytest.mark.portal, pytest.mark.browser]

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"


def test_dataset_page_and_datatables_preview_show_the_thai_data(
    ckan_portal, make_request, unique_agency, tmp_path, browser
) -> None:
    request = make_request(unique_agency)
    CKANPublisher(url=ckan_portal.url).publish([request], receipts_dir=tmp_path)
    package = ckan_portal.api().action.package_show(id=request.dataset.name)
    csv_resource = package["resources"][0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="th-TH")
    try:
        page.goto(f"{ckan_portal.url}/dataset/{request.dataset.name}")
        assert request.dataset.title_th in page.inner_text("body")
        assert "procurement-fy2024.csv" in page.inner_text("body")
        page.screenshot(path=str(SCREENSHOTS / "publish-dataset.png"), full_page=True)

        page.goto(f"{ckan_portal.url}/dataset/{request.dataset.name}/resource/{csv_resource['id']}")
        preview = page.frame_locator("iframe").first
        # The datatables view fetches rows from datastore_search; Thai cells must arrive.
        preview.locator("table tbody tr").first.wait_for(timeout=30_000)
        cells = preview.locator("table tbody").inner_text()
        assert "จัดซื้อวัสดุ 1" in cells
        # Exact values from the DataStore: no apostrophe as in the CSV download.
        assert "\t=HYPERLINK(" in cells
        assert "\t-บริษัท ทดสอบ จำกัด" in cells
        # Column headings are the data dictionary's bilingual labels.
        header = preview.locator("table thead").first.inner_text().replace("\xa0", " ")
        assert "เลขที่โครงการ / Project number" in header
        page.screenshot(path=str(SCREENSHOTS / "publish-preview.png"), full_page=True)
    finally:
        page.close()
    assert (SCREENSHOTS / "publish-preview.png").stat().st_size > 10_000

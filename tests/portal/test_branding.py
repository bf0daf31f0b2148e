"""The portal looks like a government open-data portal, in real Chromium: Thai by default with
English at /en/, its own title, introduction and About page, agencies and recently updated
datasets on the home page, and none of CKAN's placeholders. Screenshots: build/screenshots/."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
from playwright.sync_api import Browser, Page

from pipelines.contracts import load_specs
from pipelines.settings import REPO_ROOT

pytestmark = [pytest.mark.portal, pytest.mark.browser]

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
TITLE_TH = "พอร์ทัลข้อมูลเปิดภาครัฐ OGP"
TITLE_EN = "OGP Open Government Data Portal"
# CKAN 2.12's stock home page and its placeholder image (templates/home/snippets/promoted.html)
PLACEHOLDER_TEXTS = ("Welcome to CKAN", "nice introductory paragraph", "This is a featured section")
# a contract's update_frequency as the About page says it, in Thai and in English
FREQUENCY_WORDS = {
    "daily": ("รายวัน", "Daily"),
    "monthly": ("รายเดือน", "Monthly"),
    "annually": ("รายปี", "Yearly"),
}


def generated_csv() -> bytes:
    """A small procurement-like CSV, made here (deterministic), uploaded as the resource."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["project_id", "project_name", "budget"])
    for i in range(1, 6):
        writer.writerow([f"6701000000{i}", f"จัดซื้อวัสดุสำนักงาน {i}", f"{i * 12500}.00"])
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def agency(ckan: ckanapi.RemoteCKAN, run_id: str, created: list[tuple[str, str]]) -> dict[str, str]:
    """An organization and a dataset of this test's own (purged at the end of the session)."""
    org, name = f"brand-{run_id}", f"brand-{run_id}-procurement"
    created.extend([("organization", org), ("dataset", name)])
    ckan.action.organization_create(
        name=org, title="กรมทดสอบหน้าเว็บ / Department of Page Tests", description="ทดสอบ"
    )
    ckan.action.package_create(
        name=name,
        title="ข้อมูลการจัดซื้อจัดจ้างภาครัฐ (ทดสอบหน้าเว็บ)",
        title_en="Public procurement projects (page test)",
        owner_org=org,
        notes="รายการโครงการจัดซื้อจัดจ้างสำหรับทดสอบหน้าเว็บ",
        license_id="cc-by",
        tags=[{"name": "procurement"}],
    )
    ckan.action.resource_create(
        package_id=name,
        name="procurement-fy2024.csv",
        format="CSV",
        upload=("procurement-fy2024.csv", io.BytesIO(generated_csv())),
    )
    return {"org": org, "dataset": name}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield page
    page.close()


class Visit:
    """One page load: its requests and JavaScript errors, kept for the assertions."""

    def __init__(self, page: Page, url: str) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        response = page.goto(url, wait_until="networkidle")
        assert response is not None, url
        assert response.ok, url
        self.page = page
        self.text = page.inner_text("body")
        self.images: list[str] = page.eval_on_selector_all("img", "els => els.map(e => e.src)")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 20_000  # a rendered page, not a blank one

    def assert_no_placeholders(self) -> None:
        html = self.page.content()
        for text in PLACEHOLDER_TEXTS:
            assert text not in html, text
        assert not [src for src in self.images if "placeholder" in src], self.images
        assert not [url for url in self.requests if "/images/placeholder" in url]
        assert self.errors == []


def test_home_page_is_thai_with_agencies_and_recent_datasets(
    ckan_portal: Any, ckan: ckanapi.RemoteCKAN, agency: dict[str, str], page: Page
) -> None:
    # the most recently changed dataset right now, so the home page must list it
    ckan.action.package_patch(id=agency["dataset"], notes="รายการโครงการ (ปรับปรุง)")
    home = Visit(page, ckan_portal.url + "/")
    home.screenshot("portal-home.png")
    home.assert_no_placeholders()

    assert page.get_attribute("html", "lang") == "th"
    assert page.inner_text(".ogp-site-title") == TITLE_TH
    assert page.title().endswith(TITLE_TH)
    assert TITLE_EN not in home.text
    assert "ข้อมูลเปิดของหน่วยงานภาครัฐ" in page.inner_text(".ogp-intro")

    # agencies: the registry's agencies that exist on the portal come first, in its order
    listed = page.eval_on_selector_all(
        ".ogp-agency-list a", "els => els.map(e => e.getAttribute('href'))"
    )
    listed_names = [href.rstrip("/").rsplit("/", 1)[-1] for href in listed]
    registry = [
        row["agency_code"]
        for row in csv.DictReader((REPO_ROOT / "datasets/agencies/agencies.csv").open())
    ]
    on_portal = set(ckan.action.organization_list())
    expected_first = [code for code in registry if code in on_portal]
    assert listed_names, "the home page lists no agency"
    assert listed_names[: len(expected_first)] == expected_first
    assert set(listed_names) <= on_portal

    recent = page.eval_on_selector_all(
        ".ogp-recent-list a", "els => els.map(e => e.getAttribute('href'))"
    )
    assert any(href.endswith(f"/dataset/{agency['dataset']}") for href in recent), recent
    assert "ข้อมูลการจัดซื้อจัดจ้างภาครัฐ (ทดสอบหน้าเว็บ)" in page.inner_text(".ogp-recent")

    # English is one click away and at /en/
    english_link = page.locator(".ogp-lang a[lang=en]")
    assert english_link.get_attribute("href") in ("/en/", "/en")


def test_english_home_page_at_en(ckan_portal: Any, agency: dict[str, str], page: Page) -> None:
    home = Visit(page, ckan_portal.url + "/en/")
    home.screenshot("portal-home-en.png")
    home.assert_no_placeholders()
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text(".ogp-site-title") == TITLE_EN
    assert page.title().endswith(TITLE_EN)
    assert TITLE_TH not in home.text
    assert "Recently updated datasets" in home.text
    assert "Agencies" in home.text
    # datasets are listed under their English title where they have one
    assert "Public procurement projects (page test)" in home.text


@pytest.mark.parametrize("lang", ["th", "en"])
def test_about_page_says_what_by_whom_licence_and_frequency(
    ckan_portal: Any, page: Page, lang: str
) -> None:
    prefix = "/en" if lang == "en" else ""
    about = Visit(page, f"{ckan_portal.url}{prefix}/about")
    about.screenshot(f"portal-about-{lang}.png")
    about.assert_no_placeholders()
    text = about.text
    rows = page.eval_on_selector_all(
        ".ogp-about-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))",
    )
    by_title = {row[0]: row for row in rows}
    specs = {name: spec for name, spec in load_specs().items() if spec.partitioned}
    assert {"decisions", "procurement", "budget"} <= set(specs)
    for name, spec in specs.items():
        title = spec.title.th if lang == "th" else spec.title.en
        assert title in by_title, (name, list(by_title))
        words = FREQUENCY_WORDS[spec.ckan.update_frequency]
        assert by_title[title][-1].startswith(words[0] if lang == "th" else words[1]), name
        assert spec.ckan.license_id == "cc-by"  # the page names this licence for every dataset
    assert "cc-by" in text
    assert "Creative Commons Attribution" in text
    procurement = specs["procurement"].title
    assert "OCDS" in by_title[procurement.th if lang == "th" else procurement.en][1]
    report = "รายงานความพร้อมตามแนวทาง OGP" if lang == "th" else "OGP readiness report"
    assert report in by_title
    assert "ogp-pipeline" in text
    # honest about what this portal is: the demo's files are generated, not official figures
    assert ("ไม่ใช่ตัวเลขทางการ" if lang == "th" else "not the agencies' official figures") in text


def test_dataset_and_organization_pages(
    ckan_portal: Any, agency: dict[str, str], page: Page
) -> None:
    dataset = Visit(page, f"{ckan_portal.url}/dataset/{agency['dataset']}")
    dataset.screenshot("portal-dataset.png")
    dataset.assert_no_placeholders()
    assert page.get_attribute("html", "lang") == "th"
    assert "ข้อมูลการจัดซื้อจัดจ้างภาครัฐ (ทดสอบหน้าเว็บ)" in dataset.text
    assert "procurement-fy2024.csv" in dataset.text
    assert page.inner_text(".ogp-site-title") == TITLE_TH
    assert page.locator("#organization-info .ogp-agency-badge").inner_text() == "BRAND"

    org = Visit(page, f"{ckan_portal.url}/organization/{agency['org']}")
    org.screenshot("portal-organization.png")
    org.assert_no_placeholders()
    assert "กรมทดสอบหน้าเว็บ" in org.text
    assert "ข้อมูลการจัดซื้อจัดจ้างภาครัฐ (ทดสอบหน้าเว็บ)" in org.text

    agencies = Visit(page, f"{ckan_portal.url}/organization/?q={agency['org']}")
    agencies.screenshot("portal-organizations.png")
    agencies.assert_no_placeholders()
    assert "กรมทดสอบหน้าเว็บ" in agencies.text

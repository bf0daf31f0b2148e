"""The portal looks like a government open-data portal, in real Chromium: Thai by default with
English at /en/, its own title, introduction and About page, agencies and recently updated
datasets on the home page, and none of CKAN's placeholders. Screenshots: build/screenshots/."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
from playwright.sync_api import Browser, Page

from pipelines.contracts import load_specs
from pipelines.settings import REPO_ROOT
from pipelines.thai import format_date

pytestmark = [pytest.mark.portal, pytest.mark.browser]

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
TITLE_TH = "พอร์ทัลข้อมูลเปิดภาครัฐ OGP"
TITLE_EN = "OGP Open Government Data Portal"
# CKAN 2.12's stock home page and its placeholder image (templates/home/snippets/promoted.html)
PLACEHOLDER_TEXTS = ("Welcome to CKAN", "nice introductory paragraph", "This is a featured section")
# a contract's update_frequency as the About page says it, in Thai and in English
# this test's own agency and dataset, in both languages (the English ones are what /en/ shows)
ORG_TH, ORG_EN = "กรมทดสอบหน้าเว็บ", "Department of Page Tests"
DATASET_TH = "ข้อมูลการจัดซื้อจัดจ้างภาครัฐ (ทดสอบหน้าเว็บ)"
DATASET_EN = "Public procurement projects (page test)"
NOTES_EN = "Procurement projects **made for the page test**, see [the About page](/en/about)."
# what the navigation calls CKAN's organizations, and what the pages must not call them
AGENCIES = {"th": "หน่วยงาน", "en": "Agencies"}
ORGANIZATION_WORDS = re.compile(r"องค์กร|organi[sz]ation", re.IGNORECASE)
FREQUENCY_WORDS = {
    "daily": ("รายวัน", "Daily"),
    "monthly": ("รายเดือน", "Monthly"),
    "quarterly": ("รายไตรมาส", "Quarterly"),
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
    # the English name in extras, as the publisher stores it (pipelines/publish/metadata.py)
    ckan.action.organization_create(
        name=org, title=ORG_TH, description="ทดสอบ", extras=[{"key": "title_en", "value": ORG_EN}]
    )
    ckan.action.package_create(
        name=name,
        title=DATASET_TH,
        title_en=DATASET_EN,
        owner_org=org,
        notes="รายการโครงการจัดซื้อจัดจ้างสำหรับทดสอบหน้าเว็บ",
        notes_en=NOTES_EN,
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


# --- one language per page (issue 12 review) ---------------------------------------------------


def prefix(lang: str) -> str:
    return "/en" if lang == "en" else ""


def breadcrumb(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".breadcrumb li").all_inner_texts()]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_dataset_page_title_and_description_in_the_page_language(
    ckan_portal: Any, agency: dict[str, str], page: Page, lang: str
) -> None:
    shown, other = (DATASET_EN, DATASET_TH) if lang == "en" else (DATASET_TH, DATASET_EN)
    dataset = Visit(page, f"{ckan_portal.url}{prefix(lang)}/dataset/{agency['dataset']}")
    dataset.screenshot(f"portal-dataset-{lang}.png")
    dataset.assert_no_placeholders()
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("article h1").strip() == shown
    assert page.title().startswith(shown), page.title()
    assert other not in page.title()
    assert page.inner_text("#package-info .heading").strip() == shown
    # breadcrumb: home, agencies, the agency (English name at /en/), the dataset
    crumbs = breadcrumb(page)
    assert crumbs[1:3] == [AGENCIES[lang], ORG_EN if lang == "en" else ORG_TH], crumbs
    assert shown.startswith(crumbs[3].rstrip(".")), crumbs
    assert page.inner_text("#organization-info .heading").strip() == crumbs[2]
    # the English description is Markdown, rendered wherever it is shown (never raw **)
    assert "**" not in dataset.text
    english_row = page.locator("tr", has_text="Description (English)").locator("td strong")
    assert english_row.inner_text() == "made for the page test"
    notes = page.inner_text(".notes")
    if lang == "en":
        assert page.inner_text(".notes strong") == "made for the page test"
        assert "รายการโครงการ" not in notes
    else:
        assert "รายการโครงการ" in notes
        assert "page test" not in notes


AGENCY_PAGES = ["/organization/", "/organization/{org}", "/organization/about/{org}"]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("path", [*AGENCY_PAGES, "/dataset/{dataset}", "/dataset/?q={dataset}"])
def test_agencies_are_called_agencies_everywhere(
    ckan_portal: Any, agency: dict[str, str], page: Page, lang: str, path: str
) -> None:
    url = ckan_portal.url + prefix(lang) + path.format(**agency)
    visit = Visit(page, url)
    assert page.get_attribute("html", "lang") == lang
    # navigation, and the headings/breadcrumbs CKAN calls "Organizations" / "องค์กร"
    assert AGENCIES[lang] in page.inner_text("header nav")
    assert ORGANIZATION_WORDS.findall(visit.text) == [], url
    assert ORGANIZATION_WORDS.findall(page.title()) == [], page.title()
    if path in AGENCY_PAGES or ("{dataset}" in path and "?" not in path):
        assert breadcrumb(page)[1] == AGENCIES[lang], breadcrumb(page)
    if path == "/organization/":
        assert page.title().startswith(AGENCIES[lang])
    if path != "/organization/" and "?" not in path:
        # the agency's name in the page's language; the other one only labelled as such
        shown, other = (ORG_EN, ORG_TH) if lang == "en" else (ORG_TH, ORG_EN)
        assert shown in visit.text
        details = page.locator(".ogp-agency-details")
        labelled = details.inner_text() if details.count() else ""
        assert other not in visit.text.replace(labelled, ""), url
    if path == "/dataset/?q={dataset}":
        facet = page.locator(
            "section.module-narrow", has=page.locator(f"a[href*='organization={agency['org']}']")
        )
        assert facet.locator("h2").inner_text().strip() == AGENCIES[lang]


def test_counts_of_one_are_singular(ckan_portal: Any, agency: dict[str, str], page: Page) -> None:
    """ "1 datasets" nowhere: the agency list and the search count say "1 dataset"."""
    one_datasets = re.compile(r"(?<!\d)1 (datasets|agencies)\b")
    assert one_datasets.findall(Visit(page, ckan_portal.url + "/en/").text) == []
    assert re.search(r"\d+ datasets?\b", page.inner_text(".ogp-stats"))
    agencies = Visit(page, f"{ckan_portal.url}/en/organization/?q={agency['org']}")
    assert "1 agency found" in agencies.text
    assert page.inner_text(".media-item .count").strip() == "1 dataset"
    assert one_datasets.findall(agencies.text) == []
    found = Visit(page, f"{ckan_portal.url}/en/dataset/?q={agency['dataset']}")
    assert "1 dataset found" in found.text
    assert one_datasets.findall(found.text) == []
    # on Thai pages the counts are Thai (CKAN's plural forms would show English here)
    Visit(page, f"{ckan_portal.url}/organization/?q={agency['org']}")
    assert page.inner_text(".media-item .count").strip() == "1 ชุดข้อมูล"
    thai_found = Visit(page, f"{ckan_portal.url}/dataset/?q={agency['dataset']}").text
    assert "พบชุดข้อมูล 1 รายการ" in thai_found
    assert "found" not in thai_found


def fetch(url: str, token: str | None = None) -> tuple[int, str]:
    """A page as anonymous (or, with a token, as the sysadmin), without a browser."""
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.mark.parametrize("lang", ["th", "en"])
def test_anonymous_organization_page_has_no_members_tab(
    ckan_portal: Any, agency: dict[str, str], page: Page, lang: str
) -> None:
    members = f"/organization/members/{agency['org']}"
    # why it is hidden: the page refuses anonymous visitors
    assert fetch(ckan_portal.url + members)[0] == 403
    org_url = f"{ckan_portal.url}{prefix(lang)}/organization/{agency['org']}"
    org = Visit(page, org_url)
    links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href') || '')")
    assert [href for href in links if "/members/" in href] == []
    assert re.search("Members|สมาชิก", org.text) is None
    assert any(href.endswith(f"/organization/about/{agency['org']}") for href in links)
    # the control: the sysadmin, who may open it, still gets the tab
    assert members in fetch(org_url, ckan_portal.token)[1]


def bangkok_day(timestamp: str) -> dt.date:
    """A CKAN timestamp (UTC, no zone) as the portal shows it (ckan.display_timezone)."""
    utc = dt.datetime.fromisoformat(timestamp).replace(tzinfo=dt.UTC)
    return utc.astimezone(zoneinfo.ZoneInfo("Asia/Bangkok")).date()


def test_thai_pages_show_buddhist_era_dates(
    ckan_portal: Any, ckan: ckanapi.RemoteCKAN, agency: dict[str, str], page: Page
) -> None:
    package = ckan.action.package_show(id=agency["dataset"])
    resource = package["resources"][0]
    resource_url = f"/dataset/{agency['dataset']}/resource/{resource['id']}"
    created = bangkok_day(resource["created"])
    thai = Visit(page, ckan_portal.url + resource_url)
    thai.screenshot("portal-resource.png")
    row = page.locator("tr", has=page.locator("th", has_text="สร้างเมื่อ")).inner_text()
    assert format_date(created, "full_be_era") in row, row  # 30 พฤศจิกายน พ.ศ. 2569
    assert DATASET_TH in page.inner_text(".prose.notes")  # no description: the dataset's
    assert "ค.ศ." not in thai.text
    for label in ("ข้อมูลปรับปรุงล่าสุด", "คำอธิบายข้อมูลปรับปรุงล่าสุด", "ข้ามไปยังเนื้อหาหลัก"):
        assert label in page.content(), label
    for untranslated in ("Data last updated", "Metadata last updated", "Skip to main content"):
        assert untranslated not in page.content(), untranslated
    english = Visit(page, ckan_portal.url + "/en" + resource_url)
    assert f"{created:%B} {created.day}, {created.year}" in english.text
    assert "พ.ศ." not in page.inner_text("table")
    assert "made for the page test" in page.inner_text(".prose.notes")
    # the home page's recently updated datasets, Thai: Buddhist Era as well. Whichever datasets
    # they are: tests running in parallel change datasets all the time, so this test's own may
    # have left the list by the time the page is drawn (one purged since is skipped).
    Visit(page, ckan_portal.url + "/")
    checked = 0
    for item in page.locator(".ogp-recent-list li").all():
        href = item.locator("a").first.get_attribute("href") or ""
        try:
            shown = ckan.action.package_show(id=href.rstrip("/").rsplit("/", 1)[-1])
        except ckanapi.NotFound:
            continue
        entry = item.inner_text()
        assert format_date(bangkok_day(shown["metadata_modified"]), "full_be_era") in entry, entry
        checked += 1
    assert checked, "the home page lists no recently updated dataset"


@pytest.mark.parametrize("lang", ["th", "en"])
def test_not_found_page_in_the_page_language(ckan_portal: Any, page: Page, lang: str) -> None:
    response = page.goto(f"{ckan_portal.url}{prefix(lang)}/dataset/no-such-dataset-ogp-i12")
    assert response is not None
    assert response.status == 404
    text = page.inner_text("#error-content")
    assert text.startswith("404 " + ("Not found" if lang == "en" else "ไม่พบหน้าที่ต้องการ")), text
    if lang == "th":
        assert re.search(r"[A-Za-z]{4,}", text) is None, text

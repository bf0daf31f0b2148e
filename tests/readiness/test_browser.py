"""The published HTML report in a real browser (Debian Chromium), loaded from the portal:
no console errors, Thai rendered with a Thai font, the scorecard sorts; screenshot in build/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page

from pipelines.publish.ckan import CKANPublisher
from pipelines.readiness.methodology import OgpConfig, Publication
from pipelines.readiness.publish import publish_report
from pipelines.readiness.report import build_report, write_report

from .conftest import AS_OF, PORTAL, REPO_ROOT
from .html_scan import scan
from .test_html_scan import REGISTRY, sections
from .test_report import HOSTILE, indicators

pytestmark = [pytest.mark.portal, pytest.mark.browser]

THAI_FONTS = {
    "Sarabun",
    "Loma",
    "Garuda",
    "TlwgTypist",
    "Kinnari",
    "Norasi",
    "Waree",
    "Umpush",
    "Purisa",
    "Sawasdee",
    "Laksaman",
    "Tlwg Typo",
    "TlwgMono",
}
SCREENSHOT = REPO_ROOT / "build" / "readiness-report.png"
SECTIONS = {  # one screenshot per part a reviewer reads first
    "eligibility": REPO_ROOT / "build" / "readiness-report-eligibility.png",
    "agencies": REPO_ROOT / "build" / "readiness-report-agencies.png",
    "context": REPO_ROOT / "build" / "readiness-report-context.png",
    "section-licensing": REPO_ROOT / "build" / "readiness-report-section.png",
    "actions": REPO_ROOT / "build" / "readiness-report-actions.png",
}
CHART = REPO_ROOT / "build" / "readiness-report-eligibility-chart.png"


@pytest.fixture(scope="module")
def report_url(
    config: OgpConfig,
    ckan_portal: Any,
    run_id: str,
    created: list[tuple[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    report = build_report(
        config,
        indicators(config, title=HOSTILE),
        PORTAL,
        AS_OF,
        sections=sections(),
        # agencies by their registry names; dga's portal title (hostile) stays in the page's
        # sort keys and its JSON
        agency_names=REGISTRY,
    )
    paths = write_report(report, tmp_path_factory.mktemp("report"))
    publication = Publication(
        dataset_name=f"ogp-readiness-browser-{run_id}",
        organization=f"ogp-coord-{run_id}",
        organization_title="ทดสอบ / test",
        license_id="cc-by",
    )
    # purged at the end of the session (the organization may be test_publish's too: once)
    created.extend(
        [("dataset", publication.dataset_name), ("organization", publication.organization)]
    )
    publisher = CKANPublisher(url=ckan_portal.url)  # the token: OGP_CKAN_TOKEN or the token file
    receipts = tmp_path_factory.mktemp("receipts")
    published = publish_report(paths, publisher, publication, receipts_dir=receipts)
    return published.resource(".html").download_url


def test_report_renders_from_the_portal(
    browser: Browser, report_url: str, config: OgpConfig
) -> None:
    page: Page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    response = page.goto(report_url, wait_until="load")
    assert response is not None
    assert response.ok
    assert response.url.startswith(report_url.split("/dataset/")[0])  # served by the portal
    page.wait_for_timeout(300)
    assert problems == []
    assert requests == [report_url]  # self-contained: the page itself and nothing else
    assert dialogs == []  # the hostile agency name did not run

    heading = page.locator("h1")
    assert "รายงานความพร้อม" in heading.inner_text()
    assert page.locator("#scorecards tbody tr").count() == 2
    assert page.locator("svg").count() == 3

    # Thai text is drawn with a Thai font, not a fallback box: ask the renderer which
    # platform fonts it used for the heading, and compare Thai glyph widths with tofu.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    used = {
        f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    }
    assert used & THAI_FONTS, f"Thai heading rendered with {used}"
    widths = page.evaluate("""() => {
        const ctx = document.createElement("canvas").getContext("2d");
        ctx.font = getComputedStyle(document.body).font;
        return ["ก", "ม", "ฟ", "\\u0E7F"].map(c => ctx.measureText(c.repeat(10)).width);
    }""")
    assert len(set(widths[:3])) > 1  # distinct Thai glyphs, not identical boxes
    assert widths[0] != widths[3]  # and unlike the unassigned code point's box

    # the scorecard sorts on click (score ascending, then descending)
    header = page.locator("#scorecards th").nth(1)
    header.click()
    ascending = page.locator("#scorecards tbody tr td:nth-child(2)").evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.sort))"
    )
    header.click()
    descending = page.locator("#scorecards tbody tr td:nth-child(2)").evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.sort))"
    )
    assert ascending == sorted(ascending)
    assert descending == sorted(ascending, reverse=True)
    assert ascending != descending

    # the page as the browser laid it out: every visible word in Thai and English, no raw key,
    # no percentage without its n/N (the same scan as the rendered HTML, on the served page)
    served = page.content()
    assert scan(served).problems == []  # no allowance for names: titles cited, agencies named
    # the CPI axis starts at zero: its lowest tick label is 0
    ticks = page.locator("#context svg text").evaluate_all("els => els.map(e => e.textContent)")
    assert "0" in ticks
    # the eligibility chart: citizen engagement (not entered in the shipped inputs) is an
    # empty bar with its words, on the criterion's 0..4 scale
    chart = page.locator("#eligibility .charts svg")
    texts = chart.locator("text").evaluate_all("els => els.map(e => e.textContent)")
    assert "ยังไม่ได้กรอก / not entered" in texts
    assert [t for t in texts if t.isdigit()] == ["0", "1", "2", "3", "4"]
    # bars resting on unverified inputs are named in the legend (review 4 L3)
    assert "ยังไม่ยืนยัน / unverified" in texts
    empty = chart.locator('path[aria-label*="criterion: การมีส่วนร่วมของพลเมือง / Citizen Engagement"]')
    assert str(empty.get_attribute("aria-label", timeout=2000)).startswith("คะแนน / Points: 0;")
    box = empty.bounding_box()
    assert box is None or box["width"] == 0  # nothing drawn
    CHART.unlink(missing_ok=True)
    page.locator("#eligibility .charts").screenshot(path=str(CHART))
    assert CHART.stat().st_size > 5_000

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
    for section, path in SECTIONS.items():
        path.unlink(missing_ok=True)
        page.locator(f"#{section}").screenshot(path=str(path))
        assert path.stat().st_size > 5_000
    page.close()

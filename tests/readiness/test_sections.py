"""Sections: a module's figures split into portal-wide and per-agency rows, shown with n/N and
column labels without the agency; the scorecards take a module's own red-flag rate."""

from __future__ import annotations

import pytest

import pipelines.readiness.licensing  # noqa: F401 - registers the licensing labels
from pipelines.readiness import present
from pipelines.readiness.figures import share
from pipelines.readiness.metadata_quality import MQA_POINTS, score_portal
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.mqa_rules import load_mqa_rules
from pipelines.readiness.report import CheckRow, FigureSection, build_report, render_html
from pipelines.readiness.sections import (
    metadata_section,
    module_section,
    split_by_agency,
    with_figures,
)
from pipelines.readiness.thai_gdc import check_packages

from .conftest import AS_OF, PORTAL, REPO_ROOT, organization
from .html_scan import scan, source_titles
from .test_report import indicators

EVIDENCE = [f"{PORTAL}/dataset/x-decisions"]


def test_keys_split_by_the_longest_agency_name() -> None:
    figures = {
        "licensing_on_time": share("licensing_on_time", 3, 5, EVIDENCE),
        "licensing_on_time_cgd": share("licensing_on_time_cgd", 1, 2, EVIDENCE),
        "licensing_on_time_rd-x-cgd": share("licensing_on_time_rd-x-cgd", 2, 3, EVIDENCE),
    }
    overall, rows = split_by_agency(figures, ["cgd", "rd-x-cgd"])
    assert [f.ratio for f in overall] == ["3/5"]
    assert rows["cgd"]["licensing_on_time"].ratio == "1/2"
    assert rows["rd-x-cgd"]["licensing_on_time"].ratio == "2/3"
    assert set(rows) == {"cgd", "rd-x-cgd"}


def test_a_module_section_in_the_report(config: OgpConfig) -> None:
    orgs = [organization("dga", "กรมตัวอย่าง"), organization("cgd", "กรมบัญชีกลาง")]
    figures = {
        "licensing_on_time": share("licensing_on_time", 3, 5, EVIDENCE),
        "licensing_on_time_dga": share("licensing_on_time_dga", 1, 2, EVIDENCE),
        "licensing_on_time_cgd": share("licensing_on_time_cgd", 2, 3, EVIDENCE),
    }
    section = module_section("licensing", ("การอนุญาต", "Licensing"), figures, orgs)
    assert [a.agency for a in section.agencies] == ["dga", "cgd"]  # the portal's order
    assert [a.title for a in section.agencies] == ["กรมตัวอย่าง", "กรมบัญชีกลาง"]
    assert section.agency_columns == ["licensing_on_time"]
    html = render_html(build_report(config, indicators(config), PORTAL, AS_OF, sections=[section]))
    part = html.split('id="section-licensing"')[1].split("</section>")[0]
    assert "60.0% (3/5)" in part
    assert "50.0% (1/2)" in part
    assert "66.7% (2/3)" in part
    assert ", agency" not in part  # the column is the figure, not "…, agency"
    assert scan(html, source_titles(config.model_dump())).problems == []


def test_the_scorecards_take_a_modules_own_figure(config: OgpConfig) -> None:
    base = indicators(config)
    flagged = {
        "red_flag_rate": share("red_flag_rate", 1, 24, EVIDENCE),
        "red_flag_rate_dga": share("red_flag_rate_dga", 1, 19, EVIDENCE),
    }
    updated = with_figures(base, flagged, "red_flag_rate")
    cards = {a.agency: a.figures["red_flag_rate"] for a in updated.agencies}
    assert cards["dga"].ratio == "1/19"
    # an agency the module has nothing for keeps what the indicators computed
    before = {a.agency: a.figures["red_flag_rate"] for a in base.agencies}
    assert cards["cgd"] == before["cgd"]
    assert updated.overall["red_flag_rate"].ratio == "1/24"


def check(agency: str, title: str, item: str, verdict: str) -> CheckRow:
    words = {"met": ("ผ่าน", "met"), "not_met": ("ไม่ผ่าน", "not met")}[verdict]
    return CheckRow(
        subject=title,
        subject_code=agency,
        group_th="พื้นที่สำหรับการหารือ",
        group_en="Space for dialogue",
        item_th=f"ข้อ {item}",
        item_en=f"item {item}",
        verdict=verdict,
        verdict_th=words[0],
        verdict_en=words[1],
        detail_th="",
        detail_en="",
        evidence=EVIDENCE,
    )


def test_the_checklist_is_folded_by_agency_every_row_kept(config: OgpConfig) -> None:
    rows = [
        check("cgd", "กรมบัญชีกลาง", "1a", "met"),
        check("cgd", "กรมบัญชีกลาง", "1b", "not_met"),
        check("dga", "กรมตัวอย่าง", "1a", "not_met"),
    ]
    section = FigureSection(
        key="cocreation", name_th="ร่วมสร้าง", name_en="Co-creation", figures=[], checks=rows
    )
    registry = {"cgd": ("กรมบัญชีกลาง", "Comptroller General"), "dga": ("กรมตัวอย่าง", "Example")}
    html = render_html(
        build_report(
            config, indicators(config), PORTAL, AS_OF, sections=[section], agency_names=registry
        )
    )
    part = html.split('id="section-cocreation"')[1].split("</section>")[0]
    assert part.count('<details class="checks">') == 2  # one per agency, in their order
    folds = part.split('<details class="checks">')[1:]
    summaries = [f.split("<summary>")[1].split("</summary>")[0] for f in folds]
    assert "Comptroller General" in summaries[0]
    assert summaries[0].endswith("requirements met</span> 1 / 2")
    assert summaries[1].endswith("requirements met</span> 0 / 1")
    assert part.count("<tr><td>") == 3  # every requirement row is there
    assert scan(html).problems == []


def test_the_metadata_section_shows_mqa_points_of_their_maximum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The known gap of review 4: "191.2" without "/ 405"."""
    monkeypatch.setattr(present, "MAXIMA", {})
    rules = load_mqa_rules(REPO_ROOT / "datasets" / "ogp")
    assert present.maximum_of(MQA_POINTS) is None
    metadata_section(
        score_portal(rules, [], PORTAL), check_packages([], rules.thai_gdc, PORTAL), rules, []
    )
    assert present.maximum_of(MQA_POINTS) == 405
    assert present.amount(191.2, "points", maximum=present.maximum_of(MQA_POINTS)) == (
        "191.2 / 405"
    )

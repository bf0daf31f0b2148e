"""The report: evidence on every figure, escaping of hostile strings, history and trends."""

from __future__ import annotations

import json
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from pipelines.readiness.actions import Action
from pipelines.readiness.charts import UnsafeSvgError, safe_svg
from pipelines.readiness.facts import ValidationSummary
from pipelines.readiness.indicators import IndicatorSet, compute_indicators
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.present import Names
from pipelines.readiness.report import (
    AgencyFigures,
    ContextFact,
    FigureSection,
    Report,
    build_report,
    render_html,
    render_markdown,
    scorecard_columns,
    to_json,
    write_report,
)

from .conftest import AS_OF, PORTAL, dataset, no_local, organization, snapshot
from .html_scan import scan, source_titles
from .test_eligibility import (
    AD_FULL,
    FT_FULL,
    build,
    confirm_rules,
    document,
    entered,
    four,
    not_entered,
)

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)></script><!--'
FIGURE_KEYS = {"value", "points", "total", "completion", "status", "met", "outcome", "actual"}


def indicators(config: OgpConfig, title: str = "กรมตัวอย่าง") -> IndicatorSet:
    snap = snapshot(
        [organization("dga", title), organization("cgd", "กรมบัญชีกลาง")],
        [
            dataset(
                "dga",
                "procurement",
                [("procurement-2025.csv", "CSV", True), ("validation-report.json", "JSON", False)],
            ),
            dataset("cgd", "budget", [("budget-2568.csv", "CSV", False)]),
        ],
        {
            "dga-procurement": ValidationSummary(
                valid=True, privacy_findings=1, evidence=f"{PORTAL}/dataset/dga-procurement"
            )
        },
    )
    return compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)


@pytest.fixture
def report(config: OgpConfig) -> Report:
    return build_report(config, indicators(config), PORTAL, AS_OF)


def walk(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    """Every object in the JSON that states a figure (has a value-like key)."""
    found = []
    if isinstance(node, dict):
        if FIGURE_KEYS & node.keys():
            found.append((path, node))
        for key, child in node.items():
            found += walk(child, f"{path}.{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += walk(child, f"{path}[{i}]")
    return found


def test_every_figure_in_the_json_has_evidence(report: Report) -> None:
    document = to_json(report)
    figures = walk(document)
    paths = {path for path, _ in figures}
    # the walk really reaches every part of the report
    assert {
        "$.eligibility",
        "$.eligibility.criteria[3]",
        "$.values_check.indicators[1]",
        "$.eligibility_figures[0]",
        "$.ogp_values[0].figures[0]",
        "$.commitments[0]",
        "$.commitments[0].milestones[0].conditions[0]",
        "$.agencies[1].figures.score",
        "$.agencies[1].oit_items.budget_spending_plan",
        "$.overall.cpi_latest",
        "$.cpi[7]",
    } <= paths
    missing = [path for path, node in figures if not node.get("evidence")]
    assert missing == []
    for _, node in figures:
        assert all(isinstance(e, str) and e for e in node["evidence"])
    assert document["methodology_version"] == report.methodology_version


def test_unverified_inputs_stay_marked(report: Report) -> None:
    criteria = {c.key: c for c in report.eligibility.criteria}
    assert criteria["fiscal_transparency"].state == "unverified"
    assert criteria["citizen_engagement"].state == "not_entered"
    assert not report.values_check.threshold_verified
    html = render_html(report)
    unverified = '<span lang="th">ยังไม่ยืนยัน</span> / <span lang="en">unverified</span>'
    assert html.count(unverified) >= 4  # three criteria and the Values Check threshold
    assert '<span lang="en">not entered</span>' in html


def badge(html: str, outcome: str) -> bool:
    return f'<span class="badge {outcome}">' in html


def eligibility_part(html: str) -> str:
    """The eligibility headline and criteria table (not the figures beside them)."""
    section = html.split('<section id="eligibility">')[1].split("</section>")[0]
    return section.split("</tbody></table>")[0]


def test_shipped_inputs_are_provisional_out_of_16(report: Report) -> None:
    # the EIU index covers Thailand: our missing input stays in the denominator (16, not 12)
    assert (report.eligibility.outcome, report.eligibility.total) == ("provisional", 12)
    assert report.eligibility.available == 16
    html = eligibility_part(render_html(report))
    assert badge(html, "provisional")
    assert not badge(html, "pass")
    assert ">12 / 16</a>" in html
    # the list of what to confirm, each item in both languages
    section = render_html(report).split('<section id="eligibility">')[1].split("</section>")[0]
    assert report.eligibility.to_confirm
    names = Names(report.agency_names, report.source_titles)  # titles cited as <cite lang>
    for item in report.eligibility.to_confirm:
        assert f'<span lang="en">{names.en(item.what_en)}</span>' in section
        assert f'<span lang="th">{names.th(item.what_th)}</span>' in section
    headline = render_markdown(report).split("\n## ")[1].splitlines()[0]
    assert "provisional" in headline
    assert "12 / 16" in headline


def test_three_verified_and_the_fourth_not_entered_renders_provisional_12_of_16(
    config: OgpConfig, tmp_path: Path
) -> None:
    edited = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            not_entered("eiu"),
        ),
    )
    html = eligibility_part(render_html(build_report(edited, indicators(config), PORTAL, AS_OF)))
    assert badge(html, "provisional")
    assert not badge(html, "pass")
    assert ">12 / 16</a>" in html
    assert html.count('<span class="badge verified">') == 3
    assert html.count('<span class="badge not_entered">') == 1


def test_all_four_verified_renders_pass_16_of_16(config: OgpConfig, tmp_path: Path) -> None:
    edited = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            entered(8.2, "eiu"),
        ),
    )
    html = eligibility_part(render_html(build_report(edited, indicators(config), PORTAL, AS_OF)))
    assert badge(html, "pass")
    assert not badge(html, "provisional")
    assert ">16 / 16</a>" in html
    assert html.count('<span class="badge verified">') == 4


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: dict[str, str] = {}
        self._script_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script_id = dict(attrs).get("id") or "inline"

    def handle_data(self, data: str) -> None:
        if self._script_id:
            self.script_text[self._script_id] = self.script_text.get(self._script_id, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_id = None


def test_hostile_strings_are_escaped(config: OgpConfig) -> None:
    first = config.commitments.commitments[0].model_copy(
        update={"title_en": HOSTILE, "description_en": HOSTILE}
    )
    register = config.commitments.model_copy(
        update={"commitments": [first, *config.commitments.commitments[1:]]}
    )
    hostile_config = config.model_copy(update={"commitments": register})
    report = build_report(hostile_config, indicators(config, title=HOSTILE), PORTAL, AS_OF)
    html = render_html(report)

    parser = Elements()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert len(scripts) == 2  # the embedded data and the table sorter, nothing injected
    assert not [tag for tag, _ in parser.tags if tag == "img"]
    assert not [attrs for _, attrs in parser.tags if any(k.startswith("on") for k in attrs)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the JSON in the page survives intact and never closes its <script> early
    embedded = parser.script_text["report-data"]
    assert "</script" not in embedded.lower()
    data = json.loads(embedded)
    assert data["commitments"][0]["title_en"] == HOSTILE
    assert HOSTILE in [a["title"] for a in data["agencies"]]

    markdown = render_markdown(report)
    assert "<script>" not in markdown
    assert "&lt;script&gt;" in markdown


def test_pipes_do_not_break_markdown_tables(config: OgpConfig) -> None:
    report = build_report(config, indicators(config, title="A | B"), PORTAL, AS_OF)
    row = next(line for line in render_markdown(report).splitlines() if "A \\| B" in line)
    columns = 1 + len(scorecard_columns(report))  # the agency, then its figures
    assert columns >= 9
    assert row.count("|") - row.count("\\|") == columns + 1


@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"/></svg>',
    ],
)
def test_active_svg_is_refused(svg: str) -> None:
    with pytest.raises(UnsafeSvgError):
        safe_svg(svg)


def test_html_is_self_contained(report: Report) -> None:
    html = render_html(report)
    parser = Elements()
    parser.feed(html)
    external = [
        attrs
        for tag, attrs in parser.tags
        if (tag == "script" and attrs.get("src"))
        or (tag == "link" and not str(attrs.get("href", "")).startswith("data:"))
        or (tag == "img" and str(attrs.get("src", "")).startswith("http"))
    ]
    assert external == []
    assert "@import" not in html
    assert "fonts.googleapis" not in html
    assert html.count("<svg") == 3  # eligibility, agencies, CPI


def test_history_and_trends(config: OgpConfig, tmp_path: Path) -> None:
    first = build_report(config, indicators(config), PORTAL, AS_OF)
    paths = write_report(first, tmp_path)
    assert paths.history.parent == tmp_path / "history"
    later = AS_OF + timedelta(days=1)
    grown = snapshot(
        [organization("dga"), organization("cgd")],
        [
            dataset("dga", "procurement", [("procurement-2025.csv", "CSV", True)]),
            dataset("cgd", "procurement", [("procurement-2025.csv", "CSV", True)]),
        ],
    )
    second_indicators = compute_indicators(grown, no_local(), config.methodology, 2025, later)
    previous = json.loads(paths.history.read_text(encoding="utf-8"))
    second = build_report(config, second_indicators, PORTAL, later, (paths.history.name, previous))
    trends = {t.key: t for t in second.trends}
    assert trends["agencies_publishing_procurement"].previous == 1
    assert trends["agencies_publishing_procurement"].value == 2
    assert trends["agencies_publishing_procurement"].delta == 1
    assert paths.history.name in trends["oit_coverage"].evidence
    second_paths = write_report(second, tmp_path)
    assert sorted(p.name for p in (tmp_path / "history").iterdir()) == sorted(
        [paths.history.name, second_paths.history.name]
    )


def test_a_criterion_its_index_does_not_cover_renders_x_of_12_with_the_reason(
    config: OgpConfig, tmp_path: Path
) -> None:
    def gap(methodology: dict[str, Any]) -> None:
        confirm_rules(methodology)
        methodology["eligibility"]["criteria"][0]["not_covered"] = [
            {
                "country": "Thailand",
                "reason_th": "การสำรวจงบประมาณแบบเปิดไม่ได้ประเมินประเทศนี้",
                "reason_en": "The Open Budget Survey does not assess this country",
                "source": document("obs-country-list"),
                "verified": True,
            }
        ]

    edited = build(
        tmp_path,
        four(
            not_entered("obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            entered(8.2, "eiu"),
        ),
        methodology=gap,
    )
    report = build_report(edited, indicators(config), PORTAL, AS_OF)
    html = eligibility_part(render_html(report))
    assert badge(html, "pass")  # 12 of 12, every counted input verified
    assert ">12 / 12</a>" in html
    assert '<span class="badge not_covered">' in html
    assert "The Open Budget Survey does not assess this country" in html
    assert "การสำรวจงบประมาณแบบเปิดไม่ได้ประเมินประเทศนี้" in html
    assert scan(render_html(report), source_titles(edited.model_dump())).problems == []


def actions_part(html: str) -> str:
    return html.split('<section id="actions">')[1].split("</section>")[0]


def test_every_next_step_is_shown_grouped_by_kind(report: Report) -> None:
    """The shipped inputs: three criteria to verify and citizen engagement to enter (4), the
    Values Check's two indicators and its threshold (3), each agency's data late by content
    (2), the national forum's host, the OIT mapping and the co-creation inputs (3), the two
    agencies' missing OIT items (2), and every other figure still unknown or provisional (11):
    none dropped (a list cut at two per kind lost "Enter Citizen Engagement" and the third
    Values Check step; review 4 found blocked and late data, the national forum and the OIT
    mapping missing from the list)."""
    steps = [(a.priority, a.kind, a.subject) for a in report.actions]
    kinds = ["verify"] * 4 + ["values"] * 3 + ["late"] * 2
    kinds += ["national", "mapping", "cocreation", "agency", "agency"] + ["figures"] * 11
    assert [kind for _, kind, _ in steps] == kinds
    assert [n for n, _, _ in steps] == list(range(1, 26))
    assert steps[7:9] == [(8, "late", "cgd"), (9, "late", "dga")]
    assert steps[12:14] == [(13, "agency", "cgd"), (14, "agency", "dga")]  # weaker first
    assert report.actions[3].text_en.startswith("Enter and verify Citizen Engagement from ")
    assert report.actions[6].text_en.startswith("Confirm the Values Check pass rule")
    html = actions_part(render_html(report))
    names = Names(report.agency_names, report.source_titles)
    for action in report.actions:
        assert f'<small lang="en">{names.en(action.text_en)}</small>' in html
    assert html.count("<li>") == 25
    # one group per kind, each with its words and its count, numbered on from the last group
    assert html.count('<details class="steps"') == 8
    assert '<ol start="5">' in html
    assert '<span lang="en">Enter and verify eligibility inputs</span> (4)' in html
    markdown = render_markdown(report)
    assert all(escape(action.text_en) in markdown for action in report.actions)


def test_a_long_group_of_steps_is_folded_never_cut(report: Report) -> None:
    many = [
        Action(
            priority=n,
            kind="agency",
            subject="cgd",
            text_th=f"เผยแพร่รายการที่ {n}",
            text_en=f"publish item {n}",
            evidence=[f"{PORTAL}/organization/cgd"],
        )
        for n in range(1, 13)
    ]
    html = actions_part(render_html(report.model_copy(update={"actions": many})))
    assert html.count("<li>") == 12
    assert "publish item 12" in html
    assert '<details class="steps" id="steps-agency" open>' in html  # the first group is open
    two = [many[0].model_copy(update={"kind": "verify"}), *many[1:]]
    html = actions_part(render_html(report.model_copy(update={"actions": two})))
    assert '<details class="steps" id="steps-agency">' in html  # 11 steps: folded
    assert html.count("<li>") == 12


def test_markdown_carries_every_badge_of_the_html_and_escapes_once(report: Report) -> None:
    """Review 4, L2: a per-agency cell keeps its provisional and unverified badges, a context
    item and a commitment's completion their unverified mark, and an apostrophe inside a
    table cell is escaped once (``&#39;``), never twice (``&amp;#39;``)."""
    card = report.agencies[0]
    key = next(iter(card.figures))
    shaky = card.figures[key].model_copy(update={"status": "provisional", "verified": False})
    cards = [card.model_copy(update={"figures": {**card.figures, key: shaky}})]
    context = [
        ContextFact(
            key="ctx",
            text_th="ข้อเท็จจริงบริบท",
            text_en="data.go.th's context fact",
            dated=None,
            verified=False,
            evidence=[f"{PORTAL}/about"],
        )
    ]
    section = FigureSection(
        key="mq",
        name_th="ทดสอบ",
        name_en="test",
        figures=[],
        agencies=[
            AgencyFigures(
                agency=card.agency,
                title=card.title,
                url=card.url,
                figures={"timeliness": shaky},
            )
        ],
    )
    commitment = report.commitments[0]
    blind = commitment.milestones[0].model_copy(update={"assessable": False})
    commitments = [
        commitment.model_copy(
            update={"milestones": [blind, *commitment.milestones[1:]], "completion_verified": False}
        )
    ]
    edited = report.model_copy(
        update={
            "agencies": cards,
            "context": context,
            "sections": [section],
            "commitments": commitments,
        }
    )
    markdown = render_markdown(edited)
    rows = [line for line in markdown.splitlines() if line.startswith(f"| [{card.title}")]
    assert len(rows) == 2  # the section's row and the scorecard's
    for row in rows:
        assert "(เบื้องต้น / provisional) (ยังไม่ยืนยัน / unverified)" in row
    context_line = next(line for line in markdown.splitlines() if "context fact" in line)
    assert context_line.endswith("(ยังไม่ยืนยัน / unverified)")
    assert "data.go.th&#39;s context fact" in context_line
    row = next(line for line in markdown.splitlines() if line.startswith(f"| {commitment.id} |"))
    assert f"{blind.id} " in row
    assert "(ไม่มีหลักฐาน / No Evidence Available)" in row
    assert f"{blind.id} " in row.split("(ไม่มีหลักฐาน / No Evidence Available)")[0]
    assert "(ยังไม่ยืนยัน / unverified)" in row
    heading = "| หน่วยงาน / Agency |"
    assert all("&amp;#" not in line for line in markdown.splitlines() if line.startswith(heading))
    assert "&amp;#" not in markdown


def test_a_commitment_behind_schedule_says_so_in_html_and_markdown(report: Report) -> None:
    """A commitment with a milestone past its due date shows "behind schedule" and names the
    milestone, on the page and in the Markdown edition, not only in the JSON."""
    commitment = report.commitments[0].model_copy(
        update={
            "overdue": ["M1"],
            "status_th": "มาก, ล่าช้ากว่ากำหนด",
            "status_en": "Substantial, behind schedule",
            "note_th": "ขั้นตอน M1 เลยกำหนด 2026-06-30",
            "note_en": "milestone M1 past its due date 2026-06-30",
        }
    )
    edited = report.model_copy(update={"commitments": [commitment]})
    html = render_html(edited)
    assert "Substantial, behind schedule" in html
    assert "milestone M1 past its due date 2026-06-30" in html
    assert "ขั้นตอน M1 เลยกำหนด 2026-06-30" in html
    row = next(
        line
        for line in render_markdown(edited).splitlines()
        if line.startswith(f"| {commitment.id} |")
    )
    assert "มาก, ล่าช้ากว่ากำหนด / Substantial, behind schedule" in row
    assert "milestone M1 past its due date 2026-06-30" in row
    in_time = commitment.model_copy(update={"overdue": [], "status_en": "Substantial"})
    assert "behind schedule" not in render_html(
        report.model_copy(update={"commitments": [in_time]})
    )

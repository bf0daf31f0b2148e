"""The rendered report holds no raw key, no one-language label where both are required, no
mixed-language label, no percentage without its n/N and no local path as evidence; and the
scanner that says so catches each of those faults."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from pipelines.contracts import load_agencies
from pipelines.readiness.actions import KINDS
from pipelines.readiness.figures import PER_FAMILY, Figure, figure, share
from pipelines.readiness.methodology import CompletionLevel, OgpConfig, Potential
from pipelines.readiness.present import Names, amount, figure_words, key_words, shared_notes
from pipelines.readiness.report import (
    FigureSection,
    Report,
    build_report,
    render_html,
    render_markdown,
    to_json,
)
from pipelines.readiness.wording import term
from tests.conftest import DEMO_CATALOG_GROUP
from tests.deploy.sandbox import DemoCatalog

from .conftest import AS_OF, PORTAL
from .html_scan import scan
from .test_report import indicators

LOCAL_PATH = "data/integrity/procurement/dga/red_flags.csv"
CITED = "EIU Democracy Index, civil liberties sub-score: Thailand"  # a title in inputs.yaml
REGISTRY = {  # datasets/agencies/agencies.csv and a test agency
    "cgd": ("กรมบัญชีกลาง", "The Comptroller General's Department"),
    "dga": ("สำนักงานพัฒนารัฐบาลดิจิทัล", "Digital Government Development Agency"),
}


def sections() -> list[FigureSection]:
    """Figures as the other readiness modules hand them over: n/N, statuses, bilingual notes,
    one with only a local path as evidence."""
    return [
        FigureSection(
            key="licensing",
            name_th="การอนุญาตตาม พ.ร.บ. อำนวยความสะดวก พ.ศ. 2558",
            name_en="Licensing Facilitation Act B.E. 2558",
            figures=[
                share(
                    "validation_pass_rate",
                    3,
                    8,
                    [f"{PORTAL}/dataset/dga-decisions"],
                    verified=False,
                    # as the modules write their notes: agencies by code, publications by title
                    note_th=f"ยังไม่ยืนยันกำหนดเวลา; อ่านข้อมูลไม่ได้: cgd, dga (ตาม {CITED})",
                    note_en=f"deadlines not yet confirmed; not readable: cgd, dga (per {CITED})",
                ),
                share("timeliness", 0, 0, [f"{PORTAL}/dataset/dga-decisions"]),
                figure("red_flag_rate", 0.25, "share", [LOCAL_PATH], numerator=1, denominator=4),
                figure("agencies_publishing_decisions", 2, "count", [f"{PORTAL}/organization"]),
            ],
        )
    ]


@pytest.fixture
def full_report(config: OgpConfig) -> Report:
    return build_report(
        config, indicators(config), PORTAL, AS_OF, sections=sections(), agency_names=REGISTRY
    )


def test_the_report_scans_clean(config: OgpConfig, full_report: Report) -> None:
    html = render_html(full_report)
    # no allowance: a cited title is marked with its own language, an agency shown by name
    found = scan(html)
    # every note of the shipped methodology, inputs and register has its Thai and English
    assert "note not yet translated" not in html
    assert found.problems == []
    assert found.links  # the scan really read the page's links


def test_names_are_shown_in_the_readers_language(full_report: Report) -> None:
    names = Names(REGISTRY, [CITED, "Cabinet resolution"])
    assert names.th("อ่านข้อมูลไม่ได้: cgd, dga") == ("อ่านข้อมูลไม่ได้: กรมบัญชีกลาง, สำนักงานพัฒนารัฐบาลดิจิทัล")
    assert names.en("not readable: cgd") == "not readable: The Comptroller General&#39;s Department"
    # a code inside a URL, a dataset name, a key or a word is not an agency
    kept = "http://portal.test/dataset/cgd-budget cgd_budget xcgd cgd.csv"
    assert names.th(kept) == kept
    assert names.th(f"จาก {CITED}") == f'จาก <cite lang="en">{CITED}</cite>'
    assert names.en(f"from {CITED}") == f'from <cite lang="en">{CITED}</cite>'
    # escaped, never markup
    assert names.th("<b>หน่วยงาน: cgd</b>") == "&lt;b&gt;หน่วยงาน: กรมบัญชีกลาง&lt;/b&gt;"
    plain = Names(REGISTRY, [CITED], markup=False)  # the Markdown edition
    assert plain.th(f"หน่วยงาน: cgd จาก {CITED}") == f"หน่วยงาน: กรมบัญชีกลาง จาก {CITED}"
    # a code in free text, not where a figure builder names an agency, is a word (review 4 L1)
    assert plain.th(f"cgd จาก {CITED}") == f"cgd จาก {CITED}"
    assert names.agency("cgd") == REGISTRY["cgd"]
    assert names.agency("zzz") is None
    # in the page: the section note names the agencies and cites the title in each language
    html = render_html(full_report)
    assert (
        '<span lang="th">ยังไม่ยืนยันกำหนดเวลา; อ่านข้อมูลไม่ได้: กรมบัญชีกลาง, '
        f'สำนักงานพัฒนารัฐบาลดิจิทัล (ตาม <cite lang="en">{CITED}</cite>)</span>'
    ) in html
    assert "not readable: The Comptroller General&#39;s Department, Digital Government" in html
    # the scorecard names each agency in Thai and English, its code beside
    assert '<span lang="th">กรมบัญชีกลาง</span><br><small lang="en">The Comptroller' in html
    # and so does the Markdown edition
    markdown = render_markdown(full_report)
    cgd = f"[กรมบัญชีกลาง / The Comptroller General&#39;s Department]({PORTAL}/organization/cgd)"
    assert f"| {cgd} |" in markdown


def test_shares_show_their_counts(full_report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    html = render_html(full_report)
    assert "37.5% (3/8)" in html
    assert "25.0% (1/4)" in html
    # a share of nothing has no percentage at all: no data, unknown
    assert "0/0" not in html.replace("(0/0)", "")
    assert '<span lang="th">ไม่ทราบ</span> / <span lang="en">unknown</span>' in html
    # the per-family coverage label names the family in each language, never its key
    th, en = key_words("agencies_publishing_decisions")
    assert f'<span lang="th">{th}</span>' in html
    assert f'<small lang="en">{en}</small>' in html
    assert "decisions" not in th
    # the family follows the label, set apart ("Agencies awaiting data budget" read as one)
    assert key_words("agencies_awaiting_budget") == (
        "หน่วยงานที่ยังไม่ได้ส่งข้อมูล: งบประมาณ",
        "Agencies awaiting data: budget",
    )
    # a numbered tail (registered for this test only: the labels are global)
    monkeypatch.setitem(PER_FAMILY, "test_standard_met_", ("มาตรฐานที่", "standard"))
    assert key_words("test_standard_met_2") == ("มาตรฐานที่ 2", "standard 2")
    # a figure under such a key keeps its own label (the standard's name), a per-family one
    # is named by its family
    own = share("test_standard_met_2", 1, 3, [PORTAL]).model_copy(
        update={"label_th": "มาตรฐานที่ 2 ข้อมูล", "label_en": "Standard 2, information"}
    )
    assert figure_words(own) == ("มาตรฐานที่ 2 ข้อมูล", "Standard 2, information")
    family = share("timeliness_budget", 0, 1, [PORTAL]).model_copy(
        update={"label_th": "ความทันเวลา budget", "label_en": "Timeliness budget"}
    )
    assert figure_words(family) == (
        "ความทันเวลาของการปรับปรุงข้อมูล: งบประมาณ",
        "Timeliness of updates: budget",
    )


def test_local_paths_are_never_shown(full_report: Report) -> None:
    html = render_html(full_report)
    assert LOCAL_PATH not in html.split('id="report-data"')[0]
    assert "ไม่มีหลักฐานบนเว็บ" in html  # the figure says it has no evidence on the web


@pytest.mark.parametrize(
    ("fragment", "fault"),
    [
        ("<table><tr><td>no_evidence</td></tr></table>", "raw key"),
        ("<p>access_to_information</p>", "raw key"),
        ('<table><tr><td><span lang="en">Validation pass rate</span></td></tr></table>', "only"),
        ('<p><span lang="th">อัตราการผ่าน</span></p>', "only"),
        ("<p>Validation pass rate</p>", "outside"),
        (
            '<p><span lang="th">หน่วยงานที่เผยแพร่ข้อมูล procurement</span> / '
            '<span lang="en">Agencies publishing procurement</span></p>',
            "English words inside a Thai label",
        ),
        (
            '<p><span lang="th">อัตรา</span> / <span lang="en">rate กรม</span></p>',
            "Thai inside an English span",
        ),
        (
            '<table><tr><td class="num">62.5%</td><td>'
            '<span lang="th">อัตรา</span> / <span lang="en">rate</span></td></tr></table>',
            "percentage without n/N",
        ),
        ('<p><a href="data/validation/budget/cgd/report.json">x</a></p>', "not a web address"),
        (  # an agency by its code inside Thai text (the reader wants its Thai name)
            '<p><span lang="th">อ่านข้อมูลไม่ได้: dla</span> / '
            '<span lang="en">not readable: dla</span></p>',
            "English words inside a Thai label",
        ),
        (  # a publication's English title inside Thai text, not marked as cited
            f'<p><span lang="th">ป้อนจาก {CITED}</span> / '
            f'<span lang="en">enter from {CITED}</span></p>',
            "English words inside a Thai label",
        ),
    ],
)
def test_the_scanner_catches_each_fault(fragment: str, fault: str) -> None:
    problems = scan(f"<html><body>{fragment}</body></html>").problems
    assert [p for p in problems if fault in p], problems


def test_the_scanner_passes_what_is_right() -> None:
    good = (
        '<table><tr><td><span lang="th">อัตราการผ่าน</span><br><small lang="en">Pass rate</small>'
        '</td><td class="num"><a href="https://example.org/d">62.5% (5/8)</a></td></tr></table>'
        '<p><span translate="no">กรมบัญชีกลาง cgd</span></p>'
        f'<p><span lang="th">ป้อนจาก <cite lang="en">{CITED}</cite></span> / '
        f'<span lang="en">enter from <cite lang="en">{CITED}</cite></span></p>'
    )
    assert scan(f"<html><body>{good}</body></html>").problems == []


@pytest.mark.parametrize(
    ("kind", "keys"),
    [
        ("completion", typing.get_args(CompletionLevel)),
        ("potential", typing.get_args(Potential)),
        ("status", ("ok", "provisional", "unknown", "fail", "not_applicable")),
        ("outcome", ("pass", "fail", "provisional", "not_enough_data")),
        ("milestone", ("done", "pending", "overdue")),
        ("action", KINDS),  # the next steps' groups
    ],
)
def test_every_state_has_words_in_both_languages(kind: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        th, en = term(kind, key)
        assert th.strip()
        assert en.strip()
        assert th != en
        assert "_" not in th + en


def json_figures(node: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if {"key", "unit", "evidence"} <= node.keys():
            found.append(node)
        for child in node.values():
            found += json_figures(child)
    elif isinstance(node, list):
        for child in node:
            found += json_figures(child)
    return found


# Shares that are not a count over a count: a weighted score and a mean against its maximum.
SHARES_WITHOUT_COUNTS = {"score", "openness_share"}


def test_every_share_in_the_json_carries_its_counts(full_report: Report) -> None:
    figures = json_figures(to_json(full_report))
    shares = [f for f in figures if f["unit"] == "share" and f["value"] is not None]
    assert len(shares) >= 10
    without = {str(f["key"]) for f in shares if f["numerator"] is None}
    assert without <= SHARES_WITHOUT_COUNTS
    for f in shares:
        if f["numerator"] is not None:
            assert isinstance(f["denominator"], int)
            assert f["value"] == pytest.approx(f["numerator"] / f["denominator"])
    # and the HTML shows those two out of 100, never as a percentage
    html = render_html(full_report)
    score = full_report.agencies[0].figures["score"]
    assert f"{100 * float(score.value or 0):.1f} / 100" in html


@pytest.mark.xdist_group(DEMO_CATALOG_GROUP)
@pytest.mark.timeout(2400)  # a hang guard: the session's one `ogp run` of the demo catalog
def test_the_report_of_a_demo_shaped_run_scans_clean(demo_catalog: DemoCatalog) -> None:
    """The report `ogp run` wrote for the demo agencies' drops (sent by test agencies, every
    family, published under test names): no allowance for names, as a reader sees it. The
    small renders above passed while this page had agency codes and English titles inside
    Thai text (R3)."""
    sandbox = demo_catalog.sandbox
    assert demo_catalog.result.code == 0, demo_catalog.result.console[-4000:]
    page = Path(sandbox.env["OGP_BUILD_DIR"]) / "report" / "ogp-readiness-report.html"
    html = page.read_text(encoding="utf-8")
    registry = {
        a.agency_code: (a.name_th, a.name_en)
        for a in load_agencies(Path(sandbox.env["OGP_DATASETS_DIR"]))
    }
    assert set(registry) == set(sandbox.agencies)
    # the sandbox's registry names end "(ทดสอบ <code>)": the code there is the test's name
    # for the agency, not a code left in Thai text, so the suffix is read as one Thai word
    for code in registry:
        html = html.replace(f"(ทดสอบ {code})", "(ทดสอบ)")
    found = scan(html)
    assert found.problems == []
    assert len(found.links) > 100  # the scan read the whole page
    # every agency is named in Thai where Thai is shown and in English beside it
    for code, (name_th, name_en) in registry.items():
        th = name_th.replace(f"(ทดสอบ {code})", "(ทดสอบ)")
        assert f'<span lang="th">{th}</span><br><small lang="en">{escape(name_en)}</small>' in html
    # the cited publications keep their own language inside Thai text
    assert '<span lang="th">ป้อนและยืนยัน การมีส่วนร่วมของพลเมือง จาก <cite lang="en">' in html


@pytest.mark.parametrize(
    ("value", "unit", "numerator", "denominator", "shown"),
    [
        (0.625, "share", 5, 8, "62.5% (5/8)"),
        (0.6, "share", None, None, "60.0 / 100"),  # a weighted score: never a bare percentage
        (12, "points", 12, 16, "12 / 16"),  # points out of those available, not "12 (12/16)"
        (1, "count", 1, 21, "1 (1/21)"),
        (191.2, "points", None, None, "191.2"),
        (3.0, "stars", None, None, "3.00 ★"),
    ],
)
def test_amounts(
    value: float, unit: str, numerator: int | None, denominator: int | None, shown: str
) -> None:
    assert amount(value, unit, numerator, denominator) == shown


def test_a_note_every_agency_shares_is_shown_once_under_its_heading(full_report: Report) -> None:
    def noted(note: str | None) -> Figure:
        return share("timeliness", 1, 2, [PORTAL], note_th=note, note_en=note)

    rows = [
        {"a": noted("ร่วม"), "b": noted("หนึ่ง")},
        {"a": noted("ร่วม"), "b": noted("สอง")},
        {"a": noted("ร่วม")},
    ]
    assert shared_notes(rows, ["a", "b"]) == {"a": ("ร่วม", "ร่วม")}
    assert shared_notes(rows[:1], ["a"]) == {}  # one row: its note stays in its cell
    assert shared_notes([{"a": noted(None)}, {"a": noted(None)}], ["a"]) == {}
    # in the page: the two agencies' OIT coverage share their note, shown once
    cards = {a.agency: a.figures["oit_coverage"] for a in full_report.agencies}
    assert cards["cgd"].note_en == cards["dga"].note_en
    assert cards["cgd"].note_en
    html = render_html(full_report)
    table = html.split('id="scorecards"')[1].split("</table>")[0]
    heading = table.split("</thead>")[0]
    assert table.count(str(escape(cards["cgd"].note_en))) == 1
    assert str(escape(cards["cgd"].note_en)) in heading

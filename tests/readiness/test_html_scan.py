"""The rendered report holds no raw key, no one-language label where both are required, no
mixed-language label, no percentage without its n/N and no local path as evidence; and the
scanner that says so catches each of those faults."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from pipelines.readiness.figures import figure, share
from pipelines.readiness.methodology import CompletionLevel, OgpConfig, Potential
from pipelines.readiness.present import key_words
from pipelines.readiness.report import FigureSection, Report, build_report, render_html, to_json
from pipelines.readiness.wording import term

from .conftest import AS_OF, PORTAL
from .html_scan import scan, source_titles
from .test_report import indicators

LOCAL_PATH = "data/integrity/procurement/dga/red_flags.csv"


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
                    note_th="ยังไม่ยืนยันกำหนดเวลา",
                    note_en="deadlines not yet confirmed",
                ),
                share("timeliness", 0, 0, [f"{PORTAL}/dataset/dga-decisions"]),
                figure("red_flag_rate", 0.25, "share", [LOCAL_PATH], numerator=1, denominator=4),
                figure("agencies_publishing_decisions", 2, "count", [f"{PORTAL}/organization"]),
            ],
        )
    ]


@pytest.fixture
def full_report(config: OgpConfig) -> Report:
    return build_report(config, indicators(config), PORTAL, AS_OF, sections=sections())


def test_the_report_scans_clean(config: OgpConfig, full_report: Report) -> None:
    html = render_html(full_report)
    found = scan(html, source_titles(config.model_dump()))
    # every note of the shipped methodology, inputs and register has its Thai and English
    assert "note not yet translated" not in html
    assert found.problems == []
    assert found.links  # the scan really read the page's links


def test_shares_show_their_counts(full_report: Report) -> None:
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

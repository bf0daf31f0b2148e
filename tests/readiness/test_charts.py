"""Charts start their value axes at zero (the CPI on its whole 0-100 scale, not zoomed to the
last few points), and their titles are in Thai and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import altair as alt
import pytest

from pipelines.readiness import charts

THAI = re.compile(r"[\u0E00-\u0E7F]")
CPI = {2018: 36, 2019: 36, 2020: 36, 2021: 35, 2022: 36, 2023: 35, 2024: 34, 2025: 33}
CRITERIA: list[dict[str, Any]] = [
    {"name_th": "การคลัง", "name_en": "Fiscal", "points": 4, "max_points": 4},
    {"name_th": "ข้อมูล", "name_en": "Information", "points": None, "max_points": 4},
]
AGENCIES = [("กรมบัญชีกลาง", 0.62), ("กรมตัวอย่าง", 0.4)]


def quantitative(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every quantitative encoding of a chart and its layers."""
    for part in [spec, *spec.get("layer", [])]:
        for channel in part.get("encoding", {}).values():
            if isinstance(channel, dict) and channel.get("type") == "quantitative":
                yield channel


def tick_labels(svg: str, axis_title: str) -> list[float]:
    """The numbers printed on the axis whose group carries ``axis_title``."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    numbers = [float(t) for t in texts if re.fullmatch(r"-?\d+(\.\d+)?", t)]
    assert axis_title in texts
    return numbers


@pytest.mark.parametrize(
    "chart",
    [charts.cpi(CPI), charts.eligibility(CRITERIA), charts.agencies(AGENCIES)],
    ids=["cpi", "eligibility", "agencies"],
)
def test_value_axes_start_at_zero(chart: alt.TopLevelMixin) -> None:
    spec = charts.spec(chart)
    channels = list(quantitative(spec))
    assert channels
    for channel in channels:
        scale = channel.get("scale", {})
        assert scale.get("zero") is True
        assert scale.get("domain", [0])[0] == 0
        assert scale.get("domainMin", 0) == 0


def test_cpi_is_drawn_on_its_whole_scale() -> None:
    svg = charts.cpi_chart(CPI)
    ticks = tick_labels(svg, "คะแนน (0–100) / Score (0–100)")
    # years are ticks too (2018..2025); the score axis runs 0..100
    scores = [t for t in ticks if t <= 100]
    assert min(scores) == 0
    assert max(scores) == 100


def test_agency_scores_start_at_zero() -> None:
    svg = charts.agency_chart(AGENCIES)
    ticks = tick_labels(svg, "คะแนน (0–100) / Score (0–100)")
    assert min(ticks) == 0
    assert max(ticks) == 100


@pytest.mark.parametrize(
    "chart",
    [charts.cpi(CPI), charts.eligibility(CRITERIA), charts.agencies(AGENCIES)],
    ids=["cpi", "eligibility", "agencies"],
)
def test_titles_are_bilingual(chart: alt.TopLevelMixin) -> None:
    spec = charts.spec(chart)
    parts = [spec, *spec.get("layer", [])]
    titles = [p["title"] for p in parts if "title" in p]
    titles += [c["title"] for c in quantitative(spec) if c.get("title")]
    assert len(titles) >= 2
    for title in titles:
        th, _, en = title.rpartition(" / ")
        assert THAI.search(th), title
        assert en, title
        assert not THAI.search(en), title


SHIPPED: list[
    dict[str, Any]
] = [  # as datasets/ogp/inputs.yaml has them: three scored, citizen engagement not entered
    {"name_th": "การคลัง", "name_en": "Fiscal", "points": 4, "max_points": 4, "state": "unverified"},
    {
        "name_th": "ข้อมูล",
        "name_en": "Information",
        "points": 4,
        "max_points": 4,
        "state": "unverified",
    },
    {"name_th": "ทรัพย์สิน", "name_en": "Assets", "points": 2, "max_points": 4, "state": "verified"},
    {
        "name_th": "พลเมือง",
        "name_en": "Citizens",
        "points": None,
        "max_points": 4,
        "state": "not_entered",
    },
]


def test_a_criterion_not_entered_is_an_empty_bar_with_its_words() -> None:
    """A grey bar drawn to the maximum for a criterion without points read as full points:
    the chart draws points only, 0 for a criterion not entered, labelled so."""
    spec = charts.spec(charts.eligibility(SHIPPED))
    rows = spec["data"]["values"]
    assert [(r["points"], r["label"]) for r in rows] == [
        (4, "4 / 4"),
        (4, "4 / 4"),
        (2, "2 / 4"),
        (0, "ยังไม่ได้กรอก / not entered"),
    ]
    # every bar's length is its points: no layer draws the maximum
    fields = {c["field"] for c in quantitative(spec)}
    assert fields == {"points"}
    assert "max" not in rows[0]
    # the axis is the criterion's whole scale, zero-based, every point a tick
    (bar,) = [p for p in spec["layer"] if p["mark"]["type"] == "bar"]
    assert bar["encoding"]["x"]["scale"]["domain"] == [0, 4]
    assert bar["encoding"]["x"]["axis"]["values"] == [0, 1, 2, 3, 4]
    # drawn: the not-entered bar has no width, its label is on the page
    svg = charts.eligibility_chart(SHIPPED)
    widths = {
        label: float(width)
        for label, width in re.findall(
            r'aria-label="[^"]*: (\d+); criterion: [^"]*"[^>]*d="M[\d.]+,[\d.]+h([\d.]+)', svg
        )
    }
    assert widths == {"4": 420.0, "2": 210.0, "0": 0.0}
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "ยังไม่ได้กรอก / not entered" in texts
    assert [t for t in texts if re.fullmatch(r"\d", t)] == ["0", "1", "2", "3", "4"]


def bar_fills(svg: str) -> dict[str, str]:
    """The fill of each bar by the category its aria-label names (standing: ...)."""
    found = re.findall(r'aria-label="[^"]*standing: ([^";]+)[^"]*"[^>]*fill="(#[0-9a-fA-F]+)"', svg)
    return dict(found)


def test_unverified_eligibility_bars_look_apart_with_a_legend() -> None:
    """Review 4, L3: a criterion resting on an unverified input is a lighter, dashed bar and
    the legend names both kinds; the verified one keeps the solid colour."""
    spec = charts.spec(charts.eligibility(SHIPPED))
    assert [r["standing"] for r in spec["data"]["values"]] == [
        charts.UNVERIFIED,
        charts.UNVERIFIED,
        charts.VERIFIED,
        charts.UNVERIFIED,  # not entered: nothing verified about it
    ]
    svg = str(charts.eligibility_chart(SHIPPED))
    fills = bar_fills(svg)
    assert fills == {charts.VERIFIED: charts.SOLID, charts.UNVERIFIED: charts.LIGHT}
    assert "stroke-dasharray" in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert charts.VERIFIED in texts
    assert charts.UNVERIFIED in texts


def test_provisional_agency_scores_look_apart_with_a_legend() -> None:
    svg = str(charts.agency_chart([("ก", 0.6, False), ("ข", 0.4, True)]))
    fills = bar_fills(svg)
    assert set(fills) == {charts.FINAL, charts.PROVISIONAL}
    assert fills[charts.FINAL] != fills[charts.PROVISIONAL]
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert charts.PROVISIONAL in texts


def test_an_unverified_cpi_says_so_in_its_legend() -> None:
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", str(charts.cpi_chart(CPI, verified=False)))
    assert charts.UNVERIFIED in texts
    # the line of an unverified input is dashed, a verified one solid
    assert 'stroke-dasharray="4,3"' in str(charts.cpi_chart(CPI, verified=False))
    assert 'stroke-dasharray="4,3"' not in str(charts.cpi_chart(CPI))

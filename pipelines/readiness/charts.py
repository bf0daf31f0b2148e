"""Charts for the report as inline SVG (altair -> Vega-Lite -> vl-convert): no CDN, no script.

Counts, points and scores are drawn on axes that start at zero: the CPI (0-100) on its whole
scale, not zoomed to the last few points (a zoomed index axis would need a visible break).
The SVG is checked before it is marked safe for the page: labels come from portal data
(agency names) and must never smuggle in script or event handlers.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import vl_convert as vlc
from markupsafe import Markup

from pipelines.readiness.wording import term

FONT = "Sarabun, Loma, Garuda, TlwgTypist, sans-serif"
_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "object", "embed"}


class UnsafeSvgError(ValueError):
    """The rendered SVG holds active content."""


LABEL_LIMIT = 480  # px: a criterion's or an agency's whole name, in Thai and English, not cut
CPI_SCALE = (0, 100)  # Transparency International's CPI runs from 0 to 100


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite specification of a chart (what the tests read for its axes)."""
    document: dict[str, Any] = chart.configure(font=FONT).to_dict()
    return document


def _render(chart: alt.TopLevelMixin) -> Markup:
    return safe_svg(vlc.vegalite_to_svg(spec(chart)))


def safe_svg(svg: str) -> Markup:
    """Mark ``svg`` safe for the page after checking it has no script, handler or js: link."""
    root = ET.fromstring(svg)  # noqa: S314 - our own renderer's output, not untrusted XML
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in _FORBIDDEN_TAGS:
            raise UnsafeSvgError(f"SVG element <{tag}> is not allowed")
        for name, value in element.attrib.items():
            attribute = name.rsplit("}", 1)[-1].lower()
            if attribute.startswith("on") or value.strip().lower().startswith("javascript:"):
                raise UnsafeSvgError(f"SVG attribute {attribute!r} is not allowed")
    return Markup(svg)  # noqa: S704 - checked above


def cpi_chart(scores: Mapping[int, int]) -> Markup:
    return _render(cpi(scores))


def cpi(scores: Mapping[int, int]) -> alt.Chart:
    rows = [{"year": str(year), "score": score} for year, score in sorted(scores.items())]
    return (
        alt.Chart(
            alt.Data(values=rows),
            width=420,
            height=180,
            title="CPI ดัชนีการรับรู้การทุจริต / Corruption Perceptions Index",
        )
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title="ปี / Year"),
            y=alt.Y(
                "score:Q",
                title="คะแนน (0–100) / Score (0–100)",
                scale=alt.Scale(domain=list(CPI_SCALE), zero=True),
            ),
        )
    )


def eligibility_chart(criteria: Sequence[Mapping[str, Any]]) -> Markup:
    return _render(eligibility(criteria))


def eligibility_rows(criteria: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One bar per criterion: its points, or an empty bar (0) when it has none yet, labelled
    with its points ("3 / 4") or its state ("ยังไม่ได้กรอก / not entered"), never drawn at its
    maximum (a full grey bar read as full points)."""
    rows = []
    for c in criteria:
        points = c["points"]
        if points is None:
            th, en = term("criterion_state", c.get("state") or "not_entered")
            label = f"{th} / {en}"
        else:
            label = f"{points:g} / {c['max_points']:g}"
        rows.append(
            {
                "criterion": f"{c['name_th']} / {c['name_en']}",
                "points": points or 0,
                "label": label,
                "entered": points is not None,
            }
        )
    return rows


def eligibility(criteria: Sequence[Mapping[str, Any]]) -> alt.LayerChart:
    rows = eligibility_rows(criteria)
    most = max((int(c["max_points"]) for c in criteria), default=4)
    base = alt.Chart(
        alt.Data(values=rows),
        width=420,
        height=25 * len(rows) + 20,
        title="คะแนนคุณสมบัติ / Eligibility points",
    )
    # the whole scale of a criterion, 0..4, every point a tick: a bar's length is its points
    scale = alt.Scale(domain=[0, most], zero=True, nice=False)
    axis = alt.Axis(values=list(range(most + 1)), format="d")
    y = alt.Y("criterion:N", title=None, sort=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    bars = base.mark_bar(color="#2b6cb0").encode(
        y=y, x=alt.X("points:Q", title="คะแนน / Points", scale=scale, axis=axis)
    )
    labels = base.mark_text(align="left", dx=4, fontWeight="bold").encode(
        y=y,
        x=alt.X("points:Q", scale=scale),
        text="label:N",
        color=alt.condition("datum.entered", alt.value("#1a202c"), alt.value("#b7791f")),
    )
    return bars + labels


def agency_chart(scores: Sequence[tuple[str, float]]) -> Markup:
    return _render(agencies(scores))


def agencies(scores: Sequence[tuple[str, float]]) -> alt.Chart:
    rows = [{"agency": name, "score": round(100 * score, 1)} for name, score in scores]
    return (
        alt.Chart(
            alt.Data(values=rows),
            width=420,
            height=18 * len(rows) + 20,
            title="คะแนนหน่วยงาน / Agency scores",
        )
        .mark_bar(color="#2f855a")
        .encode(
            y=alt.Y("agency:N", title=None, sort="-x", axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X(
                "score:Q",
                title="คะแนน (0–100) / Score (0–100)",
                scale=alt.Scale(domain=[0, 100], zero=True),
            ),
        )
    )

"""Charts for the report as inline SVG (altair -> Vega-Lite -> vl-convert): no CDN, no script.

Counts, points and scores are drawn on axes that start at zero: the CPI (0-100) on its whole
scale, not zoomed to the last few points (a zoomed index axis would need a visible break).
A value that is provisional or rests on an unverified input is drawn apart (a lighter, dashed
bar or a hollow point) with a legend entry naming it, so no chart shows it as settled.
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
# how a value stands, as the legends name it (Thai / English, as everywhere on the page)
VERIFIED = "ยืนยันแล้ว / verified"
UNVERIFIED = "ยังไม่ยืนยัน / unverified"
FINAL = "ผลที่ยืนยันได้ / final"
PROVISIONAL = "เบื้องต้น / provisional"
SOLID, LIGHT = "#2b6cb0", "#a3bffa"  # settled; provisional or unverified (lighter, dashed)


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


def cpi_chart(scores: Mapping[int, int], verified: bool = True) -> Markup:
    return _render(cpi(scores, verified))


def cpi(scores: Mapping[int, int], verified: bool = True) -> alt.LayerChart:
    """The CPI by year on its whole 0-100 scale; an unverified input's points are hollow and
    the legend says "unverified"."""
    standing = VERIFIED if verified else UNVERIFIED
    rows = [
        {"year": str(year), "score": score, "standing": standing}
        for year, score in sorted(scores.items())
    ]
    base = alt.Chart(
        alt.Data(values=rows),
        width=420,
        height=180,
        title="CPI ดัชนีการรับรู้การทุจริต / Corruption Perceptions Index",
    )
    x = alt.X("year:O", title="ปี / Year")
    y = alt.Y(
        "score:Q",
        title="คะแนน (0–100) / Score (0–100)",
        scale=alt.Scale(domain=list(CPI_SCALE), zero=True),
    )
    line = base.mark_line(
        color=SOLID if verified else LIGHT, strokeDash=[1, 0] if verified else [4, 3]
    ).encode(x=x, y=y)
    points = base.mark_point(size=60, filled=verified).encode(
        x=x, y=y, shape=alt.Shape("standing:N", title=None, scale=_standing(VERIFIED, UNVERIFIED))
    )
    return line + points


def _standing(settled: str, shaky: str) -> alt.Scale:
    """Both categories always in the legend, in the same order."""
    return alt.Scale(domain=[settled, shaky])


def _dash(field: str, settled: str = VERIFIED, shaky: str = UNVERIFIED) -> alt.StrokeDash:
    return alt.StrokeDash(
        f"{field}:N",
        title=None,
        legend=None,
        scale=alt.Scale(domain=[settled, shaky], range=[[1, 0], [4, 3]]),
    )


def eligibility_chart(criteria: Sequence[Mapping[str, Any]]) -> Markup:
    return _render(eligibility(criteria))


def eligibility_rows(criteria: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One bar per criterion: its points, or an empty bar (0) when it has none yet, labelled
    with its points ("3 / 4") or its state ("ยังไม่ได้กรอก / not entered"), never drawn at its
    maximum (a full grey bar read as full points). ``standing``: verified (or a criterion the
    index does not cover, verified as such) or unverified (every other state)."""
    rows = []
    for c in criteria:
        points = c["points"]
        if points is None:
            th, en = term("criterion_state", c.get("state") or "not_entered")
            label = f"{th} / {en}"
        else:
            label = f"{points:g} / {c['max_points']:g}"
        settled = c.get("state") in ("verified", "not_covered")
        rows.append(
            {
                "criterion": f"{c['name_th']} / {c['name_en']}",
                "points": points or 0,
                "label": label,
                "entered": points is not None,
                "standing": VERIFIED if settled else UNVERIFIED,
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
    bars = base.mark_bar().encode(
        y=y,
        x=alt.X("points:Q", title="คะแนน / Points", scale=scale, axis=axis),
        color=alt.Color(
            "standing:N",
            title=None,
            scale=alt.Scale(domain=[VERIFIED, UNVERIFIED], range=[SOLID, LIGHT]),
            legend=alt.Legend(orient="bottom"),
        ),
        stroke=alt.value(SOLID),
        strokeDash=_dash("standing"),
        # an empty bar (no points) draws nothing, not even its outline
        strokeWidth=alt.condition("datum.points > 0", alt.value(1.5), alt.value(0)),
    )
    labels = base.mark_text(align="left", dx=4, fontWeight="bold").encode(
        y=y,
        x=alt.X("points:Q", scale=scale),
        text="label:N",
        color=alt.condition("datum.entered", alt.value("#1a202c"), alt.value("#b7791f")),
    )
    return bars + labels


def agency_chart(scores: Sequence[tuple[str, float] | tuple[str, float, bool]]) -> Markup:
    return _render(agencies(scores))


def agencies(scores: Sequence[tuple[str, float] | tuple[str, float, bool]]) -> alt.Chart:
    """Each agency's score out of 100; ``(name, score, provisional)``: a provisional score is
    a lighter, dashed bar and the legend names it."""
    rows = [
        {
            "agency": row[0],
            "score": round(100 * row[1], 1),
            "standing": PROVISIONAL if len(row) > 2 and row[2] else FINAL,
        }
        for row in scores
    ]
    return (
        alt.Chart(
            alt.Data(values=rows),
            width=420,
            height=18 * len(rows) + 20,
            title="คะแนนหน่วยงาน / Agency scores",
        )
        .mark_bar()
        .encode(
            y=alt.Y("agency:N", title=None, sort="-x", axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X(
                "score:Q",
                title="คะแนน (0–100) / Score (0–100)",
                scale=alt.Scale(domain=[0, 100], zero=True),
            ),
            color=alt.Color(
                "standing:N",
                title=None,
                scale=alt.Scale(domain=[FINAL, PROVISIONAL], range=["#2f855a", "#9ae6b4"]),
                legend=alt.Legend(orient="bottom"),
            ),
            stroke=alt.value("#2f855a"),
            strokeDash=_dash("standing", FINAL, PROVISIONAL),
            strokeWidth=alt.condition("datum.score > 0", alt.value(1.5), alt.value(0)),
        )
    )

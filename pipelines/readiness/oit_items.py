"""The ITA OIT items of one agency, as figures (1 = met): NACC renumbers the items yearly, so
the items are those of the assessment year (:class:`pipelines.readiness.methodology.OitYear`).

An item is met when its family was published for the fiscal year and the latest file received
was not refused (``present``), and — when the mapping names the resource that satisfies it — a
data resource of that name is on the portal. An item is *provisional* (never met-ok) while the
assessment year's mapping is unconfirmed, and when it is credited to a family that serves
several items without the mapping saying which resource satisfies which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from pipelines.readiness.facts import PortalDataset, name_matches
from pipelines.readiness.figures import Figure
from pipelines.readiness.methodology import Oit


def oit_item_figures(
    oit: Oit,
    year_be: int,
    by_family: Mapping[str, PortalDataset],
    present: Mapping[str, bool],
    agency_url: str,
) -> dict[str, Figure]:
    """The OIT items of the assessment year (the latest listed when it has none), 1 = met.
    Provisional when that year's mapping is unconfirmed, or when an item shares its family with
    another and the mapping does not name the resource that satisfies it."""
    year = oit.for_year(year_be) or max(oit.years, key=lambda y: y.year_be)
    per_family = Counter(item.family for item in year.items)
    items = {}
    for item in year.items:
        dataset = by_family.get(item.family)
        met = present.get(item.family, False)
        named = [
            r.page_url
            for r in (dataset.resources if dataset is not None and item.resource else [])
            if name_matches(r.name, [item.resource or ""])
        ]
        met = met and (bool(named) or item.resource is None)
        why = [] if year.year_be == year_be and year.confirmed else ["unconfirmed"]
        why += ["shared"] if met and item.resource is None and per_family[item.family] > 1 else []
        items[item.code] = Figure(
            key=f"oit_{item.code}",
            label_th=f"{item.code} {item.name_th}",
            label_en=f"{item.code} {item.name_en}",
            value=int(met),
            unit="bool",
            evidence=named or ([dataset.url] if dataset is not None else [agency_url]),
            status="provisional" if why else "ok",
            note_th=" ".join(_WHY[w][0] for w in why) or None,
            note_en=" ".join(_WHY[w][1] for w in why) or None,
        )
    return items


_WHY = {
    "unconfirmed": (
        "เลขข้อ OIT ของปีประเมินยังไม่ได้ยืนยัน",
        "The OIT items of the assessment year are unconfirmed.",
    ),
    "shared": (
        "ชุดข้อมูลเดียวใช้กับหลายข้อ โดยไม่ระบุว่าทรัพยากรใดตอบข้อนี้",
        "One dataset serves several items and the mapping does not name the resource for this one.",
    ),
}

"""OIT items (R3 A1): coverage is provisional while the assessment year's OIT mapping is
unconfirmed, and one published family does not satisfy several distinct items unless the mapping
names the resource that satisfies each. Hand-counted against small snapshots."""

from __future__ import annotations

from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.methodology import OgpConfig, Oit
from pipelines.readiness.oit_items import oit_item_figures

from .conftest import AS_OF, PORTAL, dataset, no_local, organization, snapshot

FY = 2026  # B.E. 2569
SOURCE = {"title": "ITA manual B.E. 2569", "url": "https://itas.nacc.go.th/manual-2569.pdf"}


def _item(key: str, number: str, family: str, resource: str | None = None) -> dict:
    item = {"key": key, "number": number, "family": family, "name_th": key, "name_en": key}
    return item | ({"resource": resource} if resource else {})


def _oit(*, confirmed: bool = True, year_be: int = 2569) -> Oit:
    items = [
        _item("procurement_plan", "O1", "procurement", "procurement-plan-*"),
        _item("procurement_announcements", "O2", "procurement"),
        _item("procurement_monthly_summary", "O3", "procurement"),
        _item("budget_spending_plan", "O4", "budget"),
        _item("procurement_annual_report", "O5", "procurement", "procurement-annual-*"),
    ]
    year = {"year_be": year_be, "confirmed": confirmed, "source": SOURCE, "items": items}
    return Oit.model_validate({"source": SOURCE, "years": [year]})


def _world():
    procurement = dataset(
        "a",
        "procurement",
        [("procurement-plan-2026.csv", "CSV", True), ("procurement-2026.csv", "CSV", True)],
    )
    budget = dataset("a", "budget", [("budget-2026.csv", "CSV", True)])
    return {"procurement": procurement, "budget": budget}


def test_a_confirmed_mapping_credits_each_item_by_its_resource() -> None:
    items = oit_item_figures(
        _oit(), 2569, _world(), {"procurement": True, "budget": True}, f"{PORTAL}/organization/a"
    )
    got = {code: (f.value, f.status) for code, f in items.items()}
    # O1 names its resource and it is there; O5 names one that is not: not met (honestly 0);
    # O2 and O3 share the procurement family without naming a resource: provisional;
    # O4 is the budget family's only item: met, ok
    assert got == {
        "O1": (1, "ok"),
        "O2": (1, "provisional"),
        "O3": (1, "provisional"),
        "O4": (1, "ok"),
        "O5": (0, "ok"),
    }
    plan_page = f"{PORTAL}/dataset/a-procurement/resource/a-procurement-procurement-plan-2026-csv"
    assert items["O1"].evidence == [plan_page]
    assert "does not name the resource" in (items["O2"].note_en or "")
    assert items["O2"].note_th


def test_an_unconfirmed_year_makes_every_item_provisional() -> None:
    present = {"procurement": True, "budget": False}
    items = oit_item_figures(_oit(confirmed=False), 2569, _world(), present, "u")
    assert {f.status for f in items.values()} == {"provisional"}
    assert [f.value for f in items.values()] == [1, 1, 1, 0, 0]
    assert "unconfirmed" in (items["O4"].note_en or "")
    # a year the methodology does not list: its latest year's items, provisional as well
    other = oit_item_figures(_oit(year_be=2568), 2569, _world(), present, "u")
    assert {f.status for f in other.values()} == {"provisional"}


def test_coverage_is_provisional_with_the_shipped_unconfirmed_mapping(config: OgpConfig) -> None:
    fy = config.inputs.assessment.fiscal_year
    snap = snapshot(
        [organization("a")],
        [
            dataset("a", "budget", [(f"budget-{fy}.csv", "CSV", True)]),
            dataset("a", "procurement", [(f"procurement-{fy}.csv", "CSV", True)]),
        ],
    )
    result = compute_indicators(snap, no_local(), config.methodology, fy, AS_OF)
    coverage = result.agencies[0].figures["oit_coverage"]
    # 2 files on the portal were 6/6 "ok"; the mapping of every listed year is unconfirmed
    assert (coverage.numerator, coverage.denominator, coverage.status) == (6, 6, "provisional")
    # the shipped fiscal year (2025) is one year behind AS_OF's (FY2026): noted (M6)
    assert coverage.note_en == (
        "6 of 6 items provisional; "
        "assessed fiscal year 2025 is 1 year behind the report date's (2026)"
    )
    assert result.overall["oit_coverage"].status == "provisional"


def test_coverage_with_a_confirmed_mapping(config: OgpConfig) -> None:
    methodology = config.methodology.model_copy(update={"oit": _oit()})
    snap = snapshot([organization("a")], list(_world().values()))
    card = compute_indicators(snap, no_local(), methodology, FY, AS_OF).agencies[0]
    coverage = card.figures["oit_coverage"]
    # met: O1, O2, O3, O4 (4 of 5); O2 and O3 provisional -> the coverage is provisional
    assert (coverage.numerator, coverage.denominator, coverage.status) == (4, 5, "provisional")
    assert coverage.note_en == "2 of 5 items provisional"

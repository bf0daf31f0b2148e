"""The assessed fiscal year against the report date's (issue 15, M6): a figure computed for a
fixed fiscal year says how many years it lags the report date, and is provisional when it lags
by more than one (the latest fiscal year whose data can be due is the one before the report's).
Hand-computed: 30 Nov 2026 is in FY2027 (1 Oct 2026 .. 30 Sep 2027); 15 Jan 2026 in FY2026."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pipelines.readiness.figures import YearLag, figure
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.methodology import OgpConfig

from .conftest import PORTAL, dataset, no_local, organization, snapshot

LATE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # FY2027: FY2025 lags by two years
EARLY = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # FY2026: FY2025 lags by one year


def _result(config: OgpConfig, as_of: datetime):
    snap = snapshot(
        [organization("dga")],
        [dataset("dga", "budget", [("budget-2025.csv", "CSV", True)])],
    )
    return compute_indicators(snap, no_local(), config.methodology, 2025, as_of)


def test_year_lag_counts_fiscal_years() -> None:
    assert YearLag.at(2025, date(2026, 11, 30)).years == 2
    assert YearLag.at(2025, date(2026, 9, 30)).years == 1  # last day of FY2026
    assert YearLag.at(2026, date(2026, 9, 30)).years == 0


def test_two_years_behind_is_provisional_and_says_so(config: OgpConfig) -> None:
    result = _result(config, LATE)
    publishing = result.overall["agencies_publishing_budget"]
    assert (publishing.value, publishing.status) == (1, "provisional")
    assert (
        publishing.note_en == "assessed fiscal year 2025 is 2 years behind the report date's (2027)"
    )
    assert "พ.ศ. 2568" in (publishing.note_th or "")
    assert "2 ปี" in (publishing.note_th or "")
    card = result.agencies[0]
    assert all("2 years behind" in (i.note_en or "") for i in card.oit_items.values())
    assert all(i.status == "provisional" for i in card.oit_items.values())
    # the OIT share and the score built on the items are provisional too
    assert card.figures["oit_coverage"].status == "provisional"
    for coverage in (card.figures["oit_coverage"], result.overall["oit_coverage"]):
        assert (coverage.note_en or "").endswith("2 years behind the report date's (2027)")
    assert card.figures["score"].status == "provisional"


def test_one_year_behind_is_noted_not_provisional(config: OgpConfig) -> None:
    publishing = _result(config, EARLY).overall["agencies_publishing_budget"]
    assert (publishing.value, publishing.status) == (1, "ok")
    assert (
        publishing.note_en == "assessed fiscal year 2025 is 1 year behind the report date's (2026)"
    )


def test_lag_keeps_a_figure_without_value_unknown_and_its_own_note() -> None:
    lag = YearLag(assessed=2025, report_year=2028)
    unknown = lag.noted(figure("score", None, "share", [PORTAL], note_en="no data"))
    assert unknown.status == "unknown"
    assert (
        unknown.note_en
        == "no data; assessed fiscal year 2025 is 3 years behind the report date's (2028)"
    )
    failed = lag.noted(figure("score", 0.1, "share", [PORTAL], status="fail"))
    assert failed.status == "provisional"
    same = figure("score", 0.5, "share", [PORTAL])
    assert YearLag(assessed=2025, report_year=2025).noted(same) == same

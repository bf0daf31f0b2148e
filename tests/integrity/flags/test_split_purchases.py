"""Split purchases: three or more specific-method awards just under 500,000 THB from one buyer
to one supplier within 30 days (450,000 <= value < 500,000 by default)."""

import datetime as dt

import pytest

from ..conftest import juristic_id  # suppliers are juristic: OCDS ids TH-TIN-...

START = dt.date(2024, 5, 1)


def award(make_project, number, day, value=499_999.0, supplier=7, **overrides):
    fields = {
        "method": "specific",
        "announce_date": None,
        "bid_close_date": None,
        "number_of_bidders": 1,
        "budget": 500_000.0,
        "reference_price": 500_000.0,
        "contract_value": value,
        "contract_date": START + dt.timedelta(days=day),
        "winner_tax_id": juristic_id(supplier),
    }
    return make_project(number, **{**fields, **overrides})


def ids(rows):
    return sorted(row["project_id"] for row in rows)


def test_three_awards_within_30_days_are_flagged(flagged, make_project):
    rows = [award(make_project, n, day) for n, day in enumerate([0, 15, 30], start=1)]
    assert flagged("TH-SPLIT", rows) == ids(rows)


def test_31_days_first_to_last_is_not_a_split(flagged, make_project):
    rows = [award(make_project, n, day) for n, day in enumerate([0, 15, 31], start=1)]
    assert flagged("TH-SPLIT", rows) == []


@pytest.mark.parametrize(
    ("value", "qualifies"),
    [(499_999.0, True), (500_000.0, False), (450_000.0, True), (449_999.0, False)],
)
def test_threshold_and_margin_boundaries(flagged, make_project, value, qualifies):
    rows = [award(make_project, 1, 0), award(make_project, 2, 5), award(make_project, 3, 9, value)]
    assert flagged("TH-SPLIT", rows) == (ids(rows) if qualifies else [])


def test_awards_outside_the_window_are_not_flagged(flagged, make_project):
    rows = [award(make_project, n, day) for n, day in enumerate([0, 10, 20, 100], start=1)]
    assert flagged("TH-SPLIT", rows) == ids(rows[:3])


@pytest.mark.parametrize(
    "change",
    [
        {"supplier": 8},  # another supplier
        {"agency_code": "pcd"},  # another buyer
        {"method": "e_bidding"},  # not the specific method
        {"status": "announced"},  # not an award
    ],
)
def test_the_third_award_must_be_the_same_kind(flagged, make_project, change):
    rows = [
        award(make_project, 1, 0),
        award(make_project, 2, 5),
        award(make_project, 3, 9, **change),
    ]
    assert flagged("TH-SPLIT", rows) == []


def test_window_count_and_threshold_are_parameters(flagged, make_project):
    rows = [award(make_project, 1, 0, 95_000.0), award(make_project, 2, 50, 99_000.0)]
    assert flagged("TH-SPLIT", rows, threshold=100_000, window_days=60, min_count=2) == ids(rows)
    assert flagged("TH-SPLIT", rows, threshold=100_000, window_days=49, min_count=2) == []

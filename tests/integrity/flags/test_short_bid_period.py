"""R003 short bid period: fewer than 15 days between announcement and bid closing."""

import datetime as dt

START = dt.date(2024, 3, 1)


def bid_period(make_project, number, days, **overrides):
    return make_project(
        number,
        announce_date=START,
        bid_close_date=START + dt.timedelta(days=days),
        **overrides,
    )


def test_14_days_is_flagged_and_15_is_not(flagged, make_project):
    rows = [bid_period(make_project, 1, 14), bid_period(make_project, 2, 15)]
    assert flagged("R003", rows) == [rows[0]["project_id"]]


def test_only_the_configured_open_methods_are_checked(flagged, make_project):
    # e-market has statutory periods of a few days: not an R003 concern by default.
    rows = [
        bid_period(make_project, 1, 3, method="e_market"),
        bid_period(make_project, 2, 3, method="specific"),
        bid_period(make_project, 3, 3, method="e_bidding"),
    ]
    assert flagged("R003", rows) == [rows[2]["project_id"]]


def test_rows_without_both_dates_are_not_checked(flagged, make_project):
    rows = [
        make_project(1, announce_date=None),
        make_project(2, bid_close_date=None),
    ]
    assert flagged("R003", rows) == []


def test_the_minimum_is_a_parameter(flagged, make_project):
    rows = [bid_period(make_project, 1, 15), bid_period(make_project, 2, 20)]
    assert flagged("R003", rows, min_days=20) == [rows[0]["project_id"]]

"""R003 short submission period (Cardinal): fewer than 15 whole days, every method by default."""

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


def test_every_procurement_method_is_checked_by_default(flagged, make_project):
    # Cardinal's default: no procurement_methods filter (the issue: 258 flagged vs 66).
    methods = ["e_bidding", "e_market", "selection", "specific", "price_agreement"]
    rows = [bid_period(make_project, n, 3, method=m) for n, m in enumerate(methods, 1)]
    assert flagged("R003", rows) == sorted(row["project_id"] for row in rows)


def test_procurement_methods_restrict_to_the_ocds_methods_listed(flagged, make_project):
    rows = [
        bid_period(make_project, 1, 3, method="e_market"),  # open
        bid_period(make_project, 2, 3, method="specific"),  # direct
        bid_period(make_project, 3, 3, method="selection"),  # selective
    ]
    chosen = flagged("R003", rows, procurement_methods=["open", "selective"])
    assert chosen == [rows[0]["project_id"], rows[2]["project_id"]]


def test_a_threshold_per_procurement_method_details(flagged, make_project):
    # Cardinal's [R003.procurement_method_details]: e-market's statutory period is shorter.
    rows = [
        bid_period(make_project, 1, 5, method="e_market"),
        bid_period(make_project, 2, 4, method="e_market"),
        bid_period(make_project, 3, 5, method="e_bidding"),
    ]
    details = {"ตลาดอิเล็กทรอนิกส์ (e-market)": 5}
    assert flagged("R003", rows, procurement_method_details=details) == [
        rows[1]["project_id"],
        rows[2]["project_id"],
    ]


def test_cancelled_processes_are_excluded(flagged, make_project):
    rows = [bid_period(make_project, 1, 3, status="cancelled"), bid_period(make_project, 2, 3)]
    assert flagged("R003", rows) == [rows[1]["project_id"]]


def test_cardinal_documented_example_one_day_is_flagged(flagged, make_project):
    # docs/examples/R/003.jsonl: 2020-08-03 to 2020-08-04 -> flagged.
    row = bid_period(make_project, 1, 1)
    assert flagged("R003", [row]) == [row["project_id"]]


def test_rows_without_both_dates_are_not_checked(flagged, make_project):
    rows = [
        make_project(1, announce_date=None),
        make_project(2, bid_close_date=None),
    ]
    assert flagged("R003", rows) == []


def test_the_minimum_is_a_parameter(flagged, make_project):
    rows = [bid_period(make_project, 1, 15), bid_period(make_project, 2, 20)]
    assert flagged("R003", rows, threshold=20) == [rows[0]["project_id"]]

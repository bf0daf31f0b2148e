"""R018 single bid (Cardinal): numberOfTenderers 1, OCDS method open or selective."""

import pytest


@pytest.mark.parametrize(
    ("method", "bidders", "is_flagged"),
    [
        ("e_bidding", 1, True),
        ("e_market", 1, True),
        ("selection", 1, True),
        ("e_bidding", 2, False),
        ("e_bidding", 0, False),
        ("e_bidding", None, False),
        ("specific", 1, False),
        ("price_agreement", 1, False),
    ],
)
def test_single_bid(flagged, make_project, method, bidders, is_flagged):
    row = make_project(1, method=method, number_of_bidders=bidders)
    assert flagged("R018", [row]) == ([row["project_id"]] if is_flagged else [])


def test_cancelled_processes_are_excluded(flagged, make_project):
    rows = [make_project(1, number_of_bidders=1, status="cancelled")]
    assert flagged("R018", rows) == []


def test_the_competitive_methods_are_a_parameter(flagged, make_project):
    rows = [make_project(1, method="specific", number_of_bidders=1)]
    assert flagged("R018", rows, procurement_methods=["direct"]) == [rows[0]["project_id"]]

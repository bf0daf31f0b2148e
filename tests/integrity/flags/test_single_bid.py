"""R018 single bid: exactly one tenderer in an open or selective method."""

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

"""The bid flags on Cardinal's documented demonstrations (docs/examples/R/*.jsonl of
cardinal-rs) rebuilt as our tables, plus hand-computed edges of each definition.

Cardinal's organisation ids W, L, D, V become juristic tax ids (the OCDS export's TH-TIN ids);
amounts are THB. Expected results are Cardinal's documented outputs.
"""

import pyarrow as pa
import pytest

from pipelines.integrity.ocds_bids import index_bids, typed_bids

WINNER, LOSER, OTHER = 1, 2, 3


def bid(make_juristic_id, row, tenderer, amount, status="valid"):
    return {
        "project_id": row["project_id"],
        "agency_code": row["agency_code"],
        "bidder_tax_id": make_juristic_id(tenderer),
        "bid_amount": amount,
        "bid_status": status,
    }


def awarded(make_project, make_juristic_id, number, **overrides):
    return make_project(number, winner_tax_id=make_juristic_id(WINNER), **overrides)


def two_bid_processes(make_project, make_juristic_id, seconds):
    """One process per second-lowest amount, the winner bidding 1 THB in each."""
    rows, bids = [], []
    for number, second in enumerate(seconds, 1):
        row = awarded(make_project, make_juristic_id, number)
        rows.append(row)
        bids += [
            bid(make_juristic_id, row, WINNER, 1.0),
            bid(make_juristic_id, row, LOSER, second),
        ]
    return rows, bids


def test_r024_cardinal_example_flags_only_the_close_second_bid(
    flagged, make_project, make_juristic_id
):
    # 024.jsonl: F has bids 1 and 2 (difference 1), four others 1 and 100 (difference 99).
    # Cardinal's quartiles: Q1 = 66.33, Q3 = 99, lower fence 17.33: only F.
    rows, bids = two_bid_processes(make_project, make_juristic_id, [2.0, *[100.0] * 4])
    assert flagged("R024", rows, bids) == [rows[0]["project_id"]]


def test_r058_cardinal_example_flags_only_the_discounted_winner(
    flagged, make_project, make_juristic_id
):
    # 058.jsonl: F has bids 1 and 100 (difference 99), four others 1 and 2 (difference 1).
    rows, bids = two_bid_processes(make_project, make_juristic_id, [100.0, *[2.0] * 4])
    assert flagged("R058", rows, bids) == [rows[0]["project_id"]]


def test_r024_r058_fences_need_spread_and_a_positive_q1(flagged, make_project, make_juristic_id):
    # All differences equal: Q1 = Q3 = 1. Cardinal's fences would both be 1 and R024 and R058
    # would flag all five processes at once; this project's deviation: no spread, not computable.
    rows, bids = two_bid_processes(make_project, make_juristic_id, [2.0] * 5)
    assert flagged("R024", rows, bids) == []
    assert flagged("R058", rows, bids) == []
    # Q1 = 0 (differences 0, 0, 0, 0, 0.5): R024 is skipped (Cardinal's guard, Q1 > 0); R058's
    # fence Q3 + 1.5 IQR = 1/6 + 1/4 flags the 0.5 only
    rows, bids = two_bid_processes(make_project, make_juristic_id, [1.0, 1.0, 1.0, 1.0, 1.5])
    assert flagged("R024", rows, bids) == []
    assert flagged("R058", rows, bids) == [rows[4]["project_id"]]


def test_r024_r058_leave_out_processes_not_won_on_price(flagged, make_project, make_juristic_id):
    # A second bid below the winner's: the award was not on price alone, no difference.
    rows, bids = two_bid_processes(make_project, make_juristic_id, [100.0, 2.0, 2.0, 3.0, 2.0, 2.0])
    assert flagged("R058", rows, bids) == [rows[0]["project_id"]]
    bids[1]["bid_amount"] = 0.5
    # F leaves the set; the five left (differences 1, 1, 2, 1, 1) flag the 2 at the upper fence
    assert flagged("R058", rows, bids) == [rows[3]["project_id"]]


def test_r024_threshold_replaces_the_fence(flagged, make_project, make_juristic_id):
    rows, bids = two_bid_processes(make_project, make_juristic_id, [1.04, 1.06, 1.2])
    # differences 0.04, 0.06, 0.2; threshold 0.05 flags the first only
    assert flagged("R024", rows, bids, threshold=0.05) == [rows[0]["project_id"]]


def test_r035_cardinal_example(flagged, make_project, make_juristic_id):
    # 035.jsonl: D disqualified, V valid, the award to V.
    row = awarded(make_project, make_juristic_id, 1)
    bids = [
        bid(make_juristic_id, row, OTHER, 5.0, "disqualified"),
        bid(make_juristic_id, row, WINNER, 9.0),
    ]
    assert flagged("R035", [row], bids) == [row["project_id"]]


@pytest.mark.parametrize(
    ("statuses", "is_flagged"),
    [
        ({LOSER: "valid", OTHER: "disqualified"}, False),  # two valid tenderers
        ({LOSER: "withdrawn", OTHER: "withdrawn"}, False),  # nobody disqualified
        ({LOSER: "disqualified", OTHER: "withdrawn"}, True),
    ],
)
def test_r035_needs_one_valid_tenderer_the_winner(
    flagged, make_project, make_juristic_id, statuses, is_flagged
):
    row = awarded(make_project, make_juristic_id, 1)
    bids = [bid(make_juristic_id, row, WINNER, 9.0)] + [
        bid(make_juristic_id, row, tenderer, 8.0, status) for tenderer, status in statuses.items()
    ]
    assert flagged("R035", [row], bids) == ([row["project_id"]] if is_flagged else [])
    # the threshold is a parameter: two disqualified tenderers needed
    assert flagged("R035", [row], bids, threshold=2) == []


def test_r035_not_when_the_valid_tenderer_did_not_win(flagged, make_project, make_juristic_id):
    row = awarded(make_project, make_juristic_id, 1, status="announced")  # no award yet
    bids = [
        bid(make_juristic_id, row, WINNER, 9.0),
        bid(make_juristic_id, row, OTHER, 5.0, "disqualified"),
    ]
    assert flagged("R035", [row], bids) == []


def test_r036_cardinal_example(flagged, make_project, make_juristic_id):
    # 036.jsonl: a disqualified bid of 1, a valid bid of 2, an active award.
    row = awarded(make_project, make_juristic_id, 1)
    bids = [
        bid(make_juristic_id, row, OTHER, 1.0, "disqualified"),
        bid(make_juristic_id, row, WINNER, 2.0),
    ]
    assert flagged("R036", [row], bids) == [row["project_id"]]


@pytest.mark.parametrize(
    ("disqualified_amount", "status", "is_flagged"),
    [
        (3.0, "contracted", False),  # the disqualified bid was not the lowest
        (2.0, "contracted", False),  # a tie, the valid bid first in the published order
        (1.0, "announced", False),  # no active award
        (1.0, "cancelled", False),  # cancelled processes are excluded
        (1.0, "awarded", True),
    ],
)
def test_r036_edges(
    flagged, make_project, make_juristic_id, disqualified_amount, status, is_flagged
):
    row = awarded(make_project, make_juristic_id, 1, status=status)
    bids = [
        bid(make_juristic_id, row, OTHER, disqualified_amount, "disqualified"),
        bid(make_juristic_id, row, WINNER, 2.0),
        bid(make_juristic_id, row, LOSER, 0.5, "withdrawn"),  # not submitted
    ]
    assert flagged("R036", [row], bids) == ([row["project_id"]] if is_flagged else [])


@pytest.mark.parametrize(
    ("disqualified", "valid", "is_flagged"),
    [(1, 3, True), (3, 1, False)],  # tenderer serials: the lower tax id comes first
)
def test_r036_ties_first_lowest_in_the_published_order_wins(
    flagged, make_project, make_juristic_id, disqualified, valid, is_flagged
):
    # r036.rs reads bids.details in order and replaces the lowest only on a strictly lower
    # amount: of two equal lowest bids the first decides. The export orders bids.details by
    # amount, then bidder_tax_id: the flag follows that order, whichever status comes first.
    row = awarded(make_project, make_juristic_id, 1)
    bids = [
        bid(make_juristic_id, row, valid, 2.0),
        bid(make_juristic_id, row, disqualified, 2.0, "disqualified"),
        bid(make_juristic_id, row, WINNER if WINNER not in (valid, disqualified) else 4, 3.0),
    ]
    assert flagged("R036", [row], bids) == ([row["project_id"]] if is_flagged else [])
    table = pa.Table.from_pylist(
        [{**b, "fiscal_year": 2024, "bidder_name": "x", "bid_date": None} for b in bids]
    )
    first = index_bids(typed_bids(table), row["agency_code"])[row["project_id"]][0]
    assert (first["bid_status"] == "disqualified") is is_flagged  # the OCDS's first bid


def test_r038_cardinal_buyer_example(flagged, make_project, make_juristic_id):
    # 038.jsonl: buyer B disqualifies 1 of 2 bids; buyers 1-4 receive one valid bid each (under
    # the minimum of 2). Cardinal: {"Buyer": {"B": {"R038": 0.5}}} -> B's process is listed.
    rows, bids = [], []
    for number, buyer in enumerate(["b", "b1", "b2", "b3", "b4"]):
        row = awarded(make_project, make_juristic_id, number + 1, agency_code=buyer)
        rows.append(row)
        bids.append(bid(make_juristic_id, row, 10 + number, 5.0))
    bids.append(bid(make_juristic_id, rows[0], 99, 4.0, "disqualified"))
    assert flagged("R038", rows, bids, groups=["buyer", "tenderer"]) == [rows[0]["project_id"]]
    assert flagged("R038", rows, bids) == []  # the tenderer group alone: all under 2 bids


def test_r038_tenderer_ratio_is_a_high_outlier(flagged, make_project, make_juristic_id):
    # Ten tenderers bid in 4 processes each; tenderer 20 is disqualified in 3 of its 4 bids,
    # the others in none: ratios 0 x 9 and 0.75, Q1 = Q3 = 0, fence 0 -> nothing (fence > 0
    # required). With one other tenderer at 0.25: Q3 = 0.0208, fence 0.0521 -> 20 and 21.
    rows = [awarded(make_project, make_juristic_id, n) for n in range(1, 5)]

    def bids_with(disqualified_of: dict[int, int]) -> list[dict]:
        out = []
        for tenderer in range(20, 30):
            for index, row in enumerate(rows):
                status = "disqualified" if index < disqualified_of.get(tenderer, 0) else "valid"
                out.append(bid(make_juristic_id, row, tenderer, 5.0 + tenderer, status))
        return out

    assert flagged("R038", rows, bids_with({20: 3})) == []
    got = flagged("R038", rows, bids_with({20: 3, 21: 1}))
    assert got == [row["project_id"] for row in rows[:3]]  # where 20 or 21 was disqualified


def test_bid_flags_skip_tenderers_without_a_juristic_id(flagged, make_project, make_juristic_id):
    # A sole trader's citizen id is never published: the tenderer and the supplier get ids of
    # their own in OCDS (<project>-tenderer-<n>, <project>-supplier), which Cardinal cannot
    # match, so the winning bid is not the supplier's.
    row = make_project(1, winner_tax_id="1101700207030")
    bids = [
        {**bid(make_juristic_id, row, WINNER, 9.0), "bidder_tax_id": "1101700207030"},
        bid(make_juristic_id, row, OTHER, 5.0, "disqualified"),
    ]
    assert flagged("R035", [row], bids) == []

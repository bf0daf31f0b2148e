"""Contract value above budget."""

import pytest


@pytest.mark.parametrize(
    ("value", "tolerance", "is_flagged"),
    [
        (1_000_001.0, 0.0, True),
        (1_000_000.0, 0.0, False),
        (999_999.0, 0.0, False),
        (1_100_000.0, 0.1, False),
        (1_100_001.0, 0.1, True),
    ],
)
def test_contract_above_budget(flagged, make_project, value, tolerance, is_flagged):
    row = make_project(1, budget=1_000_000.0, contract_value=value)
    assert flagged("TH-ABOVE-BUDGET", [row], tolerance=tolerance) == (
        [row["project_id"]] if is_flagged else []
    )


def test_rows_that_are_not_awards_or_lack_a_value_are_not_checked(flagged, make_project):
    rows = [
        make_project(1, contract_value=2_000_000.0, status="cancelled"),
        make_project(2, contract_value=None),
    ]
    assert flagged("TH-ABOVE-BUDGET", rows) == []

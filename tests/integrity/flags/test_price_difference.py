"""TH-PRICE-REF: the price difference against its (method, fiscal year) lower IQR fence.

The group is built so Q1 = 0.125 and Q3 = 0.25 whatever the extremes (20 awards), giving a
lower fence of -0.0625 and an upper fence of 0.4375, all exact in binary floating point.
"""

import numpy as np
import pytest

CONTRACT = 1_000_000.0
# difference = (reference - contract) / contract
GROUP = [-0.0625, -0.03125, *[0.125] * 8, *[0.25] * 8, 0.40625, 0.4375]


def priced_rows(make_project, differences, first=1, **overrides):
    return [
        make_project(
            first + i,
            contract_value=CONTRACT,
            reference_price=CONTRACT * (1 + difference),
            budget=2 * CONTRACT,
            **overrides,
        )
        for i, difference in enumerate(differences)
    ]


def ids_at(rows, differences, wanted):
    return sorted(
        row["project_id"] for row, d in zip(rows, differences, strict=True) if d in wanted
    )


def test_flags_at_or_below_the_lower_fence(flagged, make_project):
    rows = priced_rows(make_project, GROUP)
    assert flagged("TH-PRICE-REF", rows) == ids_at(rows, GROUP, {-0.0625})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fences_agree_with_numpy_percentiles(flagged, make_project, seed):
    # A second, independent computation of the same definition (linear interpolation).
    differences = list(np.random.default_rng(seed).lognormal(-2, 1, 40) - 0.1)
    rows = priced_rows(make_project, differences)
    computed = np.array(
        [(row["reference_price"] - row["contract_value"]) / row["contract_value"] for row in rows]
    )
    q1, q3 = np.percentile(computed, [25, 75])
    low = q1 - 1.5 * (q3 - q1)
    ids = np.array([row["project_id"] for row in rows])
    assert flagged("TH-PRICE-REF", rows) == sorted(ids[(computed <= low) & (computed < q1)])


def test_groups_are_per_method_and_fiscal_year(flagged, make_project):
    # Pooled with FY2025's twelve awards at 0.5, FY2024's fences would move.
    fy2024 = priced_rows(make_project, GROUP)
    fy2025 = priced_rows(make_project, [0.5] * 12, first=100, fiscal_year=2025)
    e_market = priced_rows(make_project, [0.5] * 12, first=200, method="e_market")
    rows = fy2024 + fy2025 + e_market
    assert flagged("TH-PRICE-REF", rows) == ids_at(fy2024, GROUP, {-0.0625})


def test_a_group_without_spread_flags_only_values_outside_it(flagged, make_project):
    # Q1 = Q3 = 0 (most awards at the reference price): the fences collapse onto the box,
    # and only values strictly outside it are outliers, not the awards at the typical value.
    differences = [-0.2, *[0.0] * 10, 0.3]
    rows = priced_rows(make_project, differences)
    assert flagged("TH-PRICE-REF", rows) == ids_at(rows, differences, {-0.2})


def test_small_groups_and_other_methods_are_not_checked(flagged, make_project):
    small = priced_rows(make_project, [-5.0, *[0.1] * 8])  # 9 awards < min_group_size 10
    direct = priced_rows(make_project, GROUP, first=100, method="specific")
    assert flagged("TH-PRICE-REF", small + direct) == []


def test_only_awards_count(flagged, make_project):
    rows = priced_rows(make_project, GROUP)
    rows[0]["status"] = "announced"  # the -0.0625 extreme leaves the group
    assert rows[0]["project_id"] not in flagged("TH-PRICE-REF", rows)


def test_the_multiplier_is_a_parameter(flagged, make_project):
    rows = priced_rows(make_project, GROUP)
    # k = 3: lower fence 0.125 - 0.375 = -0.25, nothing that low.
    assert flagged("TH-PRICE-REF", rows, iqr_multiplier=3) == []

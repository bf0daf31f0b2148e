"""A supplier's share of a buyer's award value in a fiscal year above 50%."""

from ..conftest import juristic_id  # suppliers are juristic: OCDS ids TH-TIN-...


def awards(make_project, values_by_supplier, first=1, **overrides):
    rows, number = [], first
    for supplier, values in values_by_supplier.items():
        for value in values:
            rows.append(
                make_project(
                    number, winner_tax_id=juristic_id(supplier), contract_value=value, **overrides
                )
            )
            number += 1
    return rows


def ids_of(rows, supplier):
    return sorted(r["project_id"] for r in rows if r["winner_tax_id"] == juristic_id(supplier))


def test_a_supplier_above_half_is_flagged_on_all_its_awards(flagged, make_project):
    rows = awards(make_project, {1: [200_000.0] * 3, 2: [200_000.0], 3: [200_000.0]})  # 60%
    assert flagged("TH-SUPPLIER-SHARE", rows) == ids_of(rows, 1)


def test_exactly_half_is_not_flagged(flagged, make_project):
    rows = awards(make_project, {1: [250_000.0, 250_000.0], 2: [200_000.0] * 2, 3: [100_000.0]})
    assert flagged("TH-SUPPLIER-SHARE", rows) == []


def test_buyers_with_too_few_awards_are_not_checked(flagged, make_project):
    rows = awards(make_project, {1: [900_000.0] * 3, 2: [1.0]})  # 4 awards < 5
    assert flagged("TH-SUPPLIER-SHARE", rows) == []


def test_shares_are_per_buyer_and_fiscal_year(flagged, make_project):
    fy2024 = awards(make_project, {1: [300_000.0] * 3, 2: [100_000.0] * 2}, fiscal_year=2024)
    fy2025 = awards(make_project, {1: [100_000.0], 2: [100_000.0] * 4}, first=50, fiscal_year=2025)
    other_buyer = awards(
        make_project, {1: [100_000.0], 3: [100_000.0] * 4}, first=90, agency_code="pcd"
    )
    rows = fy2024 + fy2025 + other_buyer
    expected = sorted(ids_of(fy2024, 1) + ids_of(fy2025, 2) + ids_of(other_buyer, 3))
    assert flagged("TH-SUPPLIER-SHARE", rows) == expected


def test_sole_traders_are_suppliers_of_their_own_per_award(flagged, make_project):
    # a citizen id (masked in the gate's tables): never one supplier across awards, as in OCDS
    rows = [
        make_project(n, winner_tax_id="1101700207030", contract_value=200_000.0)
        for n in range(1, 4)
    ] + [make_project(n, contract_value=100_000.0) for n in range(4, 6)]
    assert flagged("TH-SUPPLIER-SHARE", rows) == []

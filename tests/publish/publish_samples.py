"""Deterministic sample data for the publisher's tests (shared by conftest and test modules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from pipelines.contracts import Agency


def procurement_table(years: dict[int, int], seed: int = 0) -> pa.Table:
    """Deterministic rows of the canonical procurement table; ``years``: fiscal year -> rows.

    The first row of each year has a formula-like project name (spreadsheet-injection probe).
    """
    ids, fiscal, names, budgets, dates = [], [], [], [], []
    number = seed * 100_000
    for year, count in sorted(years.items()):
        for i in range(count):
            number += 1
            ids.append(f"{number:011d}")
            fiscal.append(year)
            names.append('=HYPERLINK("http://evil.example")' if i == 0 else f"จัดซื้อวัสดุ {i}")
            budgets.append(Decimal(f"{1000 + i}.50"))
            dates.append(dt.date(year - 1, 11, 1 + i % 28))
    size = len(ids)
    return pa.table(
        {
            "project_id": pa.array(ids, pa.string()),
            "agency_code": pa.array(["test"] * size, pa.string()),
            "fiscal_year": pa.array(fiscal, pa.int64()),
            "project_name": pa.array(names, pa.string()),
            "method": pa.array(["specific"] * size, pa.string()),
            "budget": pa.array(budgets, pa.decimal128(18, 2)),
            "reference_price": pa.array([None] * size, pa.decimal128(18, 2)),
            "announce_date": pa.array(dates, pa.date32()),
            "bid_close_date": pa.array([None] * size, pa.date32()),
            "award_date": pa.array([None] * size, pa.date32()),
            "contract_date": pa.array(dates, pa.date32()),
            "number_of_bidders": pa.array([1] * size, pa.int64()),
            "winner_tax_id": pa.array(["0105551234567"] * size, pa.string()),
            "winner_name": pa.array(["-บริษัท ทดสอบ จำกัด"] * size, pa.string()),
            "contract_value": pa.array(budgets, pa.decimal128(18, 2)),
            "status": pa.array(["contracted"] * size, pa.string()),
        }
    )


def sample_agency(code: str) -> Agency:
    return Agency(
        agency_code=code,
        name_th=f"กรมทดสอบการเผยแพร่ {code}",
        name_en=f"Publishing Test Department {code}",
        ministry_th="กระทรวงทดสอบ",
        ministry_en="Ministry of Testing",
        kind="department",
        website="https://example.go.th",
    )

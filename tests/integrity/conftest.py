"""Crafted procurement rows for the integrity tests, and the offline OCDS schema copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from stdnum.th import moa

from pipelines.integrity.ocds_export import Buyer
from pipelines.integrity.procurement_table import SCHEMA

Row = dict[str, Any]


def juristic_id(serial: int) -> str:
    """A valid 13-digit juristic-person tax id (leading 0, mod-11 check digit)."""
    body = f"0105{serial:08d}"
    return body + moa.calc_check_digit(body)


def project(number: int, **overrides: Any) -> Row:
    """A contracted e-bidding project with a 30-day bid period; override what a test needs."""
    row: Row = {
        "project_id": f"{67000000000 + number:011d}",
        "agency_code": "cgd",
        "fiscal_year": 2024,
        "project_name": f"จ้างก่อสร้างอาคาร {number}",
        "method": "e_bidding",
        "budget": 1_000_000.0,
        "reference_price": 1_000_000.0,
        "announce_date": dt.date(2024, 1, 1),
        "bid_close_date": dt.date(2024, 1, 31),
        "contract_date": dt.date(2024, 2, 15),
        "number_of_bidders": 3,
        "winner_tax_id": juristic_id(number),
        "winner_name": f"บริษัท ผู้รับเหมา {number} จำกัด",
        "contract_value": 900_000.0,
        "status": "contracted",
    }
    row.update(overrides)
    return row


def table(rows: list[Row]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


# Test modules get these helpers as fixtures: tests/ is not a package, so they cannot import it.
@pytest.fixture
def make_project() -> Callable[..., Row]:
    return project


@pytest.fixture
def make_table() -> Callable[[list[Row]], pa.Table]:
    return table


@pytest.fixture
def make_juristic_id() -> Callable[[int], str]:
    return juristic_id


@pytest.fixture
def buyer() -> Buyer:
    return Buyer(
        agency_code="cgd", name_th="กรมบัญชีกลาง", name_en="The Comptroller General's Department"
    )

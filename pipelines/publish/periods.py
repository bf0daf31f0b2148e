"""Periods of a family's rows, as its contract declares them (``period`` + ``period_field``).

A family's data is published as one CSV resource per period: the Thai fiscal year
(``budget-fy2025.csv``, "ปีงบประมาณ พ.ศ. 2568 / fiscal year 2025"), the calendar year
(``x-2025.csv``, "ปี พ.ศ. 2568 / Year 2025") or the month (``x-2025-03.csv``,
"มี.ค. 2568 / March 2025"); ``none`` is one resource. A period is held as an integer key: the
CE year, or ``year * 100 + month``. The Buddhist Era and the fiscal-year rule come from
:mod:`pipelines.thai`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts.models import Period
from pipelines.thai import ABBR_MONTHS, ce_to_be, fiscal_year_span, fiscal_years_of_dates

ENGLISH_MONTHS: tuple[str, ...] = tuple(calendar.month_name)[1:]


def _is_date(column: pa.Array) -> bool:
    return pa.types.is_date(column.type) or pa.types.is_timestamp(column.type)


def period_keys(table: pa.Table, period_field: str, period: Period) -> pa.Array:
    """The period key (int64) of each row: a year column as it is, a date by the period's rule."""
    column = table.column(period_field).combine_chunks()
    if period in ("fiscal_year", "calendar_year") and pa.types.is_integer(column.type):
        return column.cast(pa.int64())
    if period == "fiscal_year" and _is_date(column):
        return fiscal_years_of_dates(column)
    if period == "calendar_year" and _is_date(column):
        return pc.year(column)
    if period == "month" and _is_date(column):
        return pc.add(pc.multiply(pc.year(column), 100), pc.month(column))
    wanted = "a date" if period == "month" else "a year or a date"
    raise TypeError(f"period field {period_field!r} is {column.type}, not {wanted} ({period})")


def _month(key: int) -> tuple[int, int]:
    return divmod(key, 100)


def period_slug(period: Period, key: int) -> str:
    """The resource name's suffix and the resource's ``period``: fy2025, 2025, 2025-03."""
    if period == "fiscal_year":
        return f"fy{key}"
    if period == "month":
        year, month = _month(key)
        return f"{year}-{month:02d}"
    return str(key)


def period_label(period: Period, key: int) -> str:
    """Thai (Buddhist Era) then English, as the resource description says it."""
    if period == "fiscal_year":
        return f"ปีงบประมาณ พ.ศ. {ce_to_be(key)} / fiscal year {key}"
    if period == "month":
        year, month = _month(key)
        return f"{ABBR_MONTHS[month - 1]} {ce_to_be(year)} / {ENGLISH_MONTHS[month - 1]} {year}"
    return f"ปี พ.ศ. {ce_to_be(key)} / Year {key}"


def period_years(period: Period, keys: Sequence[int]) -> list[int]:
    """The (CE) years the periods fall in: the fiscal or calendar year, a month's year."""
    return sorted({_month(key)[0] if period == "month" else key for key in keys})


def period_span(period: Period, keys: Sequence[int]) -> tuple[str, str]:
    """(first day, last day) of the periods covered, ISO dates."""
    if period == "fiscal_year":
        return fiscal_year_span(keys)
    if period == "month":
        first_year, first_month = _month(min(keys))
        last_year, last_month = _month(max(keys))
        last_day = calendar.monthrange(last_year, last_month)[1]
        first = dt.date(first_year, first_month, 1)
        return first.isoformat(), dt.date(last_year, last_month, last_day).isoformat()
    return dt.date(min(keys), 1, 1).isoformat(), dt.date(max(keys), 12, 31).isoformat()

"""Thai specifics: digits, Buddhist Era dates in every form agencies use, fiscal years, amounts."""

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import thai

# Two-digit BE years (68 -> 2568) only reach CE 1957..2056.
dates = st.dates(min_value=dt.date(1957, 1, 1), max_value=dt.date(2056, 12, 31))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/12/2566", dt.date(2023, 12, 31)),
        ("2566-12-31", dt.date(2023, 12, 31)),
        ("20 พ.ย. 68", dt.date(2025, 11, 20)),
        ("20 พฤศจิกายน 2568", dt.date(2025, 11, 20)),
        ("20 พฤศจิกายน พ.ศ. 2568", dt.date(2025, 11, 20)),
        ("5 มกราคม ค.ศ. 2024", dt.date(2024, 1, 5)),
        ("2023-12-31", dt.date(2023, 12, 31)),
        ("31/12/2023", dt.date(2023, 12, 31)),
        ("31-12-2566", dt.date(2023, 12, 31)),
        ("31.12.66", dt.date(2023, 12, 31)),
        ("1/2/2567", dt.date(2024, 2, 1)),
        ("๓๑/๑๒/๒๕๖๖", dt.date(2023, 12, 31)),
        ("29/02/2567", dt.date(2024, 2, 29)),  # BE 2567 = CE 2024, a leap year
        ("  2566-12-31\u200b ", dt.date(2023, 12, 31)),
    ],
)
def test_parse_date_forms(text, expected):
    assert thai.parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["31/02/2567", "29/02/2566", "13/13/2566", "hello", "20 ยังไม่ทราบ 68", "2566", ""]
)
def test_not_a_date_is_none(text):
    assert thai.parse_date(text) is None


@settings(deadline=None)  # correctness here; speed is measured in bench/
@given(day=dates, style=st.sampled_from(thai.DATE_STYLES))
def test_format_then_parse_round_trips(day, style):
    assert thai.parse_date(thai.format_date(day, style)) == day


@settings(deadline=None)  # correctness here; speed is measured in bench/
@given(day=dates, style=st.sampled_from(thai.DATE_STYLES))
def test_thai_digit_dates_round_trip(day, style):
    text = thai.format_date(day, style).translate(str.maketrans("0123456789", thai.THAI_DIGITS))
    assert thai.parse_date(text) == day


def test_vectorised_parse_mixes_forms_and_keeps_positions():
    values = pa.array(["2567-01-05", None, "05/01/2567", "5 ม.ค. 67", "nonsense", "2024-01-05"])
    parsed = thai.parse_dates(values).to_pylist()
    day = dt.date(2024, 1, 5)
    assert parsed == [day, None, day, day, None, day]


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_thai_digits_round_trip(number):
    thai_text = str(number).translate(str.maketrans("0123456789", thai.THAI_DIGITS))
    assert thai.to_ascii_digits(thai_text) == str(number)
    assert thai.ascii_digits(pa.array([thai_text])).to_pylist() == [str(number)]


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(dt.date(2023, 9, 30), 2023), (dt.date(2023, 10, 1), 2024), (dt.date(2024, 9, 30), 2024)],
)
def test_fiscal_year_starts_in_october(day, fiscal_year):
    assert thai.fiscal_year(day) == fiscal_year


def test_buddhist_years_move_to_common_era_only_when_buddhist():
    years = pa.array([2567, 2024, None])
    assert thai.buddhist_years_to_ce(years).to_pylist() == [2024, 2024, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234,567.50 บาท", "1234567.50"),
        ("฿ 12", "12"),
        ("3 000", "3000"),
        ("THB 1,000", "1000"),
        ("42", "42"),
    ],
)
def test_amount_marks_are_stripped(text, expected):
    assert thai.strip_amount_marks(pa.array([text])).to_pylist() == [expected]


def test_clean_text_removes_invisible_characters_and_blanks():
    values = pa.array(["ก\u200bข", " ค\u00a0ง ", "abc", None, "   ", "\ufeff"])
    assert thai.clean_text(values).to_pylist() == ["กข", "ค ง", "abc", None, None, None]


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1,234,567.50", ".", "1234567.50"),
        ("1.234,56", ".", None),  # a European amount under a decimal-point contract: refused
        ("1,5", ".", None),  # a comma not between groups of three: ambiguous, refused
        ("1.234.567,50 บาท", ",", "1234567.50"),
        ("12,5", ",", "12.5"),
        ("1.5", ",", None),
        ("1,234.56", ",", None),
    ],
)
def test_amounts_follow_the_contracts_decimal_separator(text, separator, expected):
    assert thai.strip_amount_marks(pa.array([text]), separator).to_pylist() == [expected]


# --- the calendar rules this module owns ---------------------------------------------------------


@settings(deadline=None)
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_buddhist_era_is_the_offset_the_dates_are_written_with(day):
    be = thai.ce_to_be(day.year)
    assert thai.be_to_ce(be) == day.year
    assert thai.format_date(day, "iso_be").startswith(f"{be:04d}-")
    assert thai.parse_date(thai.format_date(day, "iso_be")) == day


@settings(deadline=None)
@given(days=st.lists(st.one_of(st.none(), st.dates()), max_size=50))
def test_vectorised_fiscal_years_are_the_scalar_rule(days):
    expected = [None if day is None else thai.fiscal_year(day) for day in days]
    assert thai.fiscal_years_of_dates(pa.array(days, pa.date32())).to_pylist() == expected
    stamps = pa.array([None if d is None else dt.datetime(d.year, d.month, d.day) for d in days])
    assert thai.fiscal_years_of_dates(stamps.cast(pa.timestamp("s"))).to_pylist() == expected


@settings(deadline=None)
@given(years=st.lists(st.integers(min_value=1901, max_value=2100), min_size=1, max_size=5))
def test_fiscal_year_span_holds_exactly_the_days_of_those_years(years):
    first, last = (dt.date.fromisoformat(day) for day in thai.fiscal_year_span(years))
    assert (thai.fiscal_year(first), thai.fiscal_year(last)) == (min(years), max(years))
    assert thai.fiscal_year(first - dt.timedelta(days=1)) == min(years) - 1
    assert thai.fiscal_year(last + dt.timedelta(days=1)) == max(years) + 1


def test_fiscal_year_span_of_the_demo_years():
    assert thai.fiscal_year_span([2025, 2024]) == ("2023-10-01", "2025-09-30")


def test_default_buddhist_era_window_is_ce_1900_to_2100_and_the_contracts_default():
    from pipelines.contracts.models import NormalizeRules

    low, high = thai.DEFAULT_BE_WINDOW
    assert (thai.be_to_ce(low), thai.be_to_ce(high)) == (1900, 2100)
    assert NormalizeRules().buddhist_era_window == thai.DEFAULT_BE_WINDOW
    # every year of the window is read as Buddhist Era by the date parser
    assert low >= thai.BE_THRESHOLD

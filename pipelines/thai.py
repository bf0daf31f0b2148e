"""Thai specifics: Thai digits, Buddhist Era dates and years, the fiscal year, baht amounts.

Scalar helpers for one value, and vectorised ``pyarrow`` versions for whole columns (a
million cells in tens of milliseconds). Month names come from pythainlp.

Date forms understood (day first, as Thai agencies write them; BE or CE years):

=========================  =====================================================
``2566-12-31``             ISO order; a year >= 2400 is Buddhist Era
``31/12/2566``             also ``31-12-2566``, ``31.12.2566``, ``31/12/66``
``20 พ.ย. 68``             abbreviated Thai month; a 2-digit year is BE 25xx
``20 พฤศจิกายน 2568``      full Thai month, optionally ``พ.ศ.`` / ``ค.ศ.`` before the year
=========================  =====================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pythainlp.util import thai_digit_to_arabic_digit
from pythainlp.util.date import thai_abbr_months, thai_full_months

BE_OFFSET = 543
# Years at or above this are read as Buddhist Era (CE 1857); no agency data is that old.
BE_THRESHOLD = 2400
# The Thai fiscal year runs 1 October .. 30 September and is named by the year it ends in.
FISCAL_YEAR_FIRST_MONTH = 10
# Buddhist Era years a year field may hold unless the contract says otherwise: CE 1900..2100.
DEFAULT_BE_WINDOW: tuple[int, int] = (1900 + BE_OFFSET, 2100 + BE_OFFSET)
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
FULL_MONTHS: tuple[str, ...] = tuple(thai_full_months)
ABBR_MONTHS: tuple[str, ...] = tuple(thai_abbr_months)
CURRENCY_MARKS = ("บาท", "฿", "THB")
# Zero-width space/joiners, BOM and the soft hyphen hide in copy-pasted cells.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# --- scalars -------------------------------------------------------------------------------


def to_ascii_digits(text: str) -> str:
    """``'๒๕๖๘'`` -> ``'2568'``; other characters untouched."""
    return thai_digit_to_arabic_digit(text)


def be_to_ce(year: int) -> int:
    return year - BE_OFFSET


def ce_to_be(year: int) -> int:
    return year + BE_OFFSET


def fiscal_year(day: dt.date) -> int:
    """Thai fiscal year (CE) of a date: 1 Oct .. 30 Sep, named by its ending year."""
    return day.year + 1 if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year


def fiscal_year_span(years: Sequence[int]) -> tuple[str, str]:
    """(first day, last day) of the fiscal years covered (CE), ISO dates."""
    first = dt.date(min(years) - 1, FISCAL_YEAR_FIRST_MONTH, 1)
    last = dt.date(max(years), FISCAL_YEAR_FIRST_MONTH, 1) - dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()


def fiscal_years_of_dates(days: pa.Array) -> pa.Array:
    """The fiscal year (CE, int64) of each date or timestamp: :func:`fiscal_year`, vectorised."""
    later = pc.greater_equal(pc.month(days), FISCAL_YEAR_FIRST_MONTH)
    return pc.add(pc.year(days), pc.cast(later, pa.int64()))


DATE_STYLES = ("iso", "iso_be", "slash_be", "slash_ce", "abbr_be2", "full_be", "full_be_era")


def format_date(day: dt.date, style: str) -> str:
    """Write a date the way agencies do (the inverse of :func:`parse_date`)."""
    be = ce_to_be(day.year)
    writers: dict[str, Callable[[], str]] = {
        "iso": day.isoformat,
        "iso_be": lambda: f"{be:04d}-{day.month:02d}-{day.day:02d}",
        "slash_be": lambda: f"{day.day:02d}/{day.month:02d}/{be}",
        "slash_ce": lambda: f"{day.day:02d}/{day.month:02d}/{day.year}",
        "abbr_be2": lambda: f"{day.day} {ABBR_MONTHS[day.month - 1]} {be % 100:02d}",
        "full_be": lambda: f"{day.day} {FULL_MONTHS[day.month - 1]} {be}",
        "full_be_era": lambda: f"{day.day} {FULL_MONTHS[day.month - 1]} พ.ศ. {be}",
    }
    if style not in writers:
        raise ValueError(f"unknown date style {style!r}; one of {DATE_STYLES}")
    return writers[style]()


def parse_date(text: str) -> dt.date | None:
    """One value through the vectorised parser; None when it is not a date."""
    value = parse_dates(ascii_digits(clean_text(pa.array([text], pa.string())))).to_pylist()[0]
    return value if isinstance(value, dt.date) else None


# --- vectorised: text ------------------------------------------------------------------------


def all_ascii(values: pa.Array) -> bool:
    """Cheap test that lets the Thai-specific (regex) passes skip a column."""
    return bool(pc.all(pc.string_is_ascii(values)).as_py() is not False)


# UTF-8 lead bytes of the invisible characters and NBSP (U+00xx: C2, U+20xx: E2, U+FEFF: EF).
_INVISIBLE_LEAD_BYTES = (0xC2, 0xE2, 0xEF)


def _may_hold_invisible(values: pa.Array) -> bool:
    """A byte scan of the text buffer: no possible lead byte, no invisible character.

    Thai text is all E0 B8/B9 sequences, so this skips the (slow) regex on most columns.
    """
    if all_ascii(values):
        return False
    values = values.cast(pa.string())
    offsets = np.frombuffer(values.buffers()[1], np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    data = np.frombuffer(values.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    found = np.zeros(len(data), dtype=bool)
    for lead in _INVISIBLE_LEAD_BYTES:  # plain comparisons: np.isin sorts, 10x slower here
        found |= data == lead
    return bool(found.any())


def clean_text(values: pa.Array) -> pa.Array:
    """Trim whitespace, drop invisible characters, NBSP -> space; empty -> null."""
    if (
        _may_hold_invisible(values)
        and pc.any(pc.match_substring_regex(values, f"[{INVISIBLE}\u00a0]")).as_py()
    ):
        values = pc.replace_substring_regex(values, f"[{INVISIBLE}]", "")
        values = pc.replace_substring(values, "\u00a0", " ")
    return _empty_to_null(pc.utf8_trim_whitespace(values))


def has_thai_digits(values: pa.Array) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, "[๐-๙]"), False)


def ascii_digits(values: pa.Array) -> pa.Array:
    """Thai digits -> ASCII, column-wise."""
    if all_ascii(values) or not pc.any(has_thai_digits(values)).as_py():
        return values
    for thai, ascii_digit in zip(THAI_DIGITS, "0123456789", strict=True):
        values = pc.replace_substring(values, thai, ascii_digit)
    return values


# --- vectorised: amounts ---------------------------------------------------------------------

_CURRENCY_PATTERN = r"^\s*(?:฿|THB)?\s*(.*?)\s*(?:บาท|฿|THB)?\s*$"


_NULL_TEXT = pa.scalar(None, pa.string())


def strip_amount_marks(values: pa.Array, decimal_separator: str = ".") -> pa.Array:
    """``'1,234,567.50 บาท'`` -> ``'1234567.50'``: currency marks, separators, spaces out.

    With ``decimal_separator=","`` the European form ``'1.234.567,50'`` gives the same. A cell
    whose separators do not fit the convention (``'1.234,56'`` read with ``"."``, ``'1,5'``
    read with ``"."``, ``'1.5'`` read with ``","``) becomes null -- a cast error -- because
    guessing would re-scale the amount by a thousand.
    """
    marked = pc.match_substring(values, "THB")
    if not all_ascii(values):
        marked = pc.or_(marked, pc.match_substring_regex(values, "บาท|฿"))
    if pc.any(marked).as_py():
        values = pc.replace_substring_regex(values, _CURRENCY_PATTERN, r"\1")
    # Literal replacements: several times faster than one regular expression.
    values = pc.replace_substring(values, " ", "")
    thousands = "," if decimal_separator == "." else "."
    if pc.any(pc.match_substring(values, thousands)).as_py():
        # Thousands separators only between groups of three digits, left of the decimal mark.
        grouped = rf"^[+-]?\d{{1,3}}(?:\{thousands}\d{{3}})+(?:\{decimal_separator}\d+)?$"
        fits = pc.match_substring_regex(values, grouped)
        has = pc.match_substring(values, thousands)
        values = pc.if_else(pc.and_(has, pc.invert(fits)), _NULL_TEXT, values)
        values = pc.replace_substring(values, thousands, "")
    if decimal_separator != ".":
        values = pc.replace_substring(values, decimal_separator, ".")
    return values


# --- vectorised: dates -----------------------------------------------------------------------

_ISO = r"^\d{4}-\d{2}-\d{2}$"
_SLASH = r"^\d{2}/\d{2}/\d{4}$"
_ANY_FORM = (
    r"^(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})[/.-](?P<m2>\d{1,2})[/.-](?P<y2>\d{4}|\d{2})"
    r"|(?P<d3>\d{1,2})\s*(?P<mon>[^\d\s]+)\s*(?P<era>พ\.ศ\.|ค\.ศ\.)?\s*"
    r"(?P<y3>\d{4}|\d{2}))$"
)
_MONTH_NAMES = pa.array([*FULL_MONTHS, *ABBR_MONTHS], pa.string())
_MONTH_NUMBERS = pa.array([*range(1, 13), *range(1, 13)], pa.int32())


def _empty_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _to_int(values: pa.Array) -> pa.Array:
    """Digit strings -> int32; '' -> null."""
    return pc.cast(_empty_to_null(values), pa.int32())


def _slice_ymd(values: pa.Array, year: slice, month: slice, day: slice) -> list[pa.Array]:
    return [
        _to_int(pc.utf8_slice_codeunits(values, part.start, part.stop))
        for part in (year, month, day)
    ]


def _month_number(names: pa.Array) -> pa.Array:
    compact = pc.replace_substring(names, " ", "")
    return pc.take(_MONTH_NUMBERS, pc.index_in(compact, value_set=_MONTH_NAMES))


def _regex_ymd(values: pa.Array) -> list[pa.Array]:
    """Every form through one regular expression; slower, so only for what the fast paths left."""
    parts = pc.extract_regex(pc.fill_null(values, ""), _ANY_FORM)
    field = {
        parts.type.field(i).name: pc.struct_field(parts, [i]) for i in range(parts.type.num_fields)
    }
    year_text = pc.coalesce(*(_empty_to_null(field[k]) for k in ("y1", "y2", "y3")))
    years = _to_int(pc.fill_null(year_text, ""))
    two_digit = pc.equal(pc.utf8_length(pc.fill_null(year_text, "")), 2)
    common_era = pc.equal(field["era"], "ค.ศ.")
    # A two-digit year is Buddhist Era (68 -> 2568) unless the cell says ค.ศ.
    years = pc.if_else(two_digit, pc.add(years, pc.if_else(common_era, 2000, 2500)), years)
    months = pc.coalesce(_to_int(field["m1"]), _to_int(field["m2"]), _month_number(field["mon"]))
    days = pc.coalesce(_to_int(field["d1"]), _to_int(field["d2"]), _to_int(field["d3"]))
    return [years, months, days]


def _merge(base: list[pa.Array], mask: pa.Array, subset: list[pa.Array]) -> list[pa.Array]:
    return [
        pc.replace_with_mask(b, mask, s.cast(pa.int32())) for b, s in zip(base, subset, strict=True)
    ]


def _between(values: pa.Array, low: int, high: int) -> pa.Array:
    return pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))


def _dates_from_parts(years: pa.Array, months: pa.Array, days: pa.Array) -> pa.Array:
    """(year, month, day) -> date32, with BE years moved to CE; impossible dates -> null."""
    years = pc.if_else(pc.greater_equal(years, BE_THRESHOLD), pc.subtract(years, BE_OFFSET), years)
    valid = pc.fill_null(
        pc.and_(
            pc.and_(pc.is_valid(years), pc.is_valid(months)),
            pc.and_(_between(months, 1, 12), _between(days, 1, 31)),
        ),
        False,
    ).to_numpy(zero_copy_only=False)
    y = pc.fill_null(years, 1970).to_numpy(zero_copy_only=False).astype("int64")
    m = pc.fill_null(months, 1).to_numpy(zero_copy_only=False).astype("int64")
    d = pc.fill_null(days, 1).to_numpy(zero_copy_only=False).astype("int64")
    month_start = (y - 1970) * 12 + (m - 1)
    first = month_start.astype("datetime64[M]").astype("datetime64[D]")
    result = first + (d - 1).astype("timedelta64[D]")
    # 31/02 rolls into March: a date whose month moved is not a date.
    valid &= result.astype("datetime64[M]") == first.astype("datetime64[M]")
    return pa.array(result, pa.date32(), mask=~valid)


def parse_dates(values: pa.Array) -> pa.Array:
    """Clean text (ASCII digits) -> date32. Cells that are not dates become null.

    Fast paths slice fixed-width ISO and dd/mm/yyyy cells; only the rest meets the regex.
    """
    values = values.cast(pa.string())
    nulls = pa.nulls(len(values), pa.int32())
    parts = [nulls, nulls, nulls]
    for pattern, slices in (
        (_ISO, (slice(0, 4), slice(5, 7), slice(8, 10))),
        (_SLASH, (slice(6, 10), slice(3, 5), slice(0, 2))),
    ):
        mask = pc.fill_null(pc.match_substring_regex(values, pattern), False)
        if pc.any(mask).as_py():
            matched = pc.filter(values, mask)
            parts = _merge(parts, mask, _slice_ymd(matched, *slices))
    pending = pc.and_(pc.is_valid(values), pc.is_null(parts[0]))
    if pc.any(pending).as_py():
        parts = _merge(parts, pending, _regex_ymd(pc.filter(values, pending)))
    return _dates_from_parts(*parts)


def buddhist_years_to_ce(years: pa.Array) -> pa.Array:
    """Integer years: BE (>= 2400) -> CE; CE untouched."""
    return pc.if_else(pc.greater_equal(years, BE_THRESHOLD), pc.subtract(years, BE_OFFSET), years)


def is_buddhist_year(years: pa.Array) -> pa.Array:
    return pc.fill_null(pc.greater_equal(years, BE_THRESHOLD), False)

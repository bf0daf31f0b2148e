"""Cast canonical string columns to their Table Schema types, vectorised.

Per field type:

- ``string``: cleaned text; identifier-like fields (a digits-only ``pattern``) get ASCII
  digits and lose ``-``/space separators (``0-1055-12345-67-8``); ``enum`` fields map the
  contract's value aliases (``วิธีเฉพาะเจาะจง`` -> ``specific``) after setting aside case,
  whitespace, punctuation and a parenthesised gloss (:func:`value_keys`). Free text keeps Thai
  digits.
- ``integer`` / ``number``: ASCII digits, no thousands separators or ``บาท``; the decimal mark
  is the contract's ``normalize.decimal_separator`` (a cell in the other convention is an
  error, never re-scaled); ``NaN``, ``Infinity`` and overflows (``1e309``, integers beyond 18
  digits) are errors; fields listed in ``normalize.buddhist_era_year_fields`` move from BE to
  CE, and a BE year outside ``normalize.buddhist_era_window`` is an error.
- ``date``: every form :mod:`pipelines.thai` understands -> ``date32`` (CE); a date outside
  ``normalize.date_window`` (``9999-12-31``, ``0001-01-01``, B.E. 2700) is an error.
- ``boolean``: the field's ``trueValues`` / ``falseValues`` (Table Schema defaults otherwise).
- other types stay strings, for validation to judge.

A cell that has text but no typed value is a *cast error*: the typed column holds null and
the error is recorded, never silently dropped (see :mod:`pipelines.normalize`), with a note
saying why (computed on the error path only, for the cells listed).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import thai
from pipelines.contracts.models import NormalizeRules
from pipelines.schema_types import arrow_type, field_type

MAX_ERRORS_PER_FIELD = 1000
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
# More than 18 digits may overflow int64: an error, not a crash.
_INTEGER = r"^-?\d{1,18}$"  # Arrow cannot parse "+5" as int64: a cast error, not a crash
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_DIGITS_PATTERN = re.compile(r"^\^?(?:\[0-9\]|\\d)(?:\{\d+(?:,\d*)?\}|[+*])\$?$")


@dataclass
class CastContext:
    """What casting one column needs to know, and where it reports."""

    spec_field: dict[str, Any]
    value_aliases: dict[str, list[str]]
    buddhist_era_year: bool
    rules: NormalizeRules = field(default_factory=NormalizeRules)
    counts: Counter[str] = field(default_factory=Counter)
    # When casting the distinct values of a column: how many cells each one stands for.
    weights: pa.Array | None = None

    @property
    def name(self) -> str:
        return str(self.spec_field["name"])


def _count(context: CastContext, key: str, mask: pa.Array) -> None:
    mask = pc.fill_null(mask, False)
    if context.weights is not None:
        hits = pc.sum(pc.if_else(mask, context.weights, 0)).as_py() or 0
    else:
        hits = pc.sum(mask).as_py() or 0
    if hits:
        context.counts[key] += hits


def _ascii_digits(values: pa.Array, context: CastContext) -> pa.Array:
    _count(context, "thai_digits", thai.has_thai_digits(values))
    return thai.ascii_digits(values)


def _amount_text(values: pa.Array, context: CastContext) -> pa.Array:
    values = _ascii_digits(values, context)
    stripped = thai.strip_amount_marks(values, context.rules.decimal_separator)
    _count(context, "amount_marks", pc.not_equal(pc.utf8_length(values), pc.utf8_length(stripped)))
    return stripped


def _checked_cast(values: pa.Array, pattern: str, target: pa.DataType) -> pa.Array:
    """Cast the cells that look right; the others become null (reported as cast errors)."""
    try:  # the common case: every cell is fine, one fast cast
        return pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    fits = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    return pc.cast(pc.if_else(fits, values, pa.scalar(None, pa.string())), target)


def cast_string(values: pa.Array, context: CastContext) -> pa.Array:
    constraints = context.spec_field.get("constraints", {})
    if _DIGITS_PATTERN.match(str(constraints.get("pattern", ""))):
        values = _ascii_digits(values, context)
        if pc.any(pc.or_(pc.match_substring(values, "-"), pc.match_substring(values, " "))).as_py():
            separated = pc.fill_null(pc.match_substring_regex(values, r"^\d+(?:[\- ]\d+)+$"), False)
            _count(context, "id_separators", separated)
            values = pc.if_else(separated, pc.replace_substring_regex(values, r"[\- ]", ""), values)
    if context.value_aliases:
        values = _map_values(values, context)
    return values


# What two spellings of one value do not share: whitespace, punctuation, symbols, invisibles.
_KEY_NOISE = r"[\p{P}\p{S}\s\x{200b}-\x{200d}\x{2060}\x{feff}\x{00ad}]+"
# A parenthesised gloss at the end: "วิธีตลาดอิเล็กทรอนิกส์ (e-market)".
_GLOSS = r"\((?P<gloss>[^()]*)\)\s*$"
_NO_TEXT = pa.scalar(None, pa.string())


def squeeze_key(text: pa.Array) -> pa.Array:
    """Folded text (NFKC, lower case) without whitespace, punctuation and symbols; null if empty."""
    key = pc.replace_substring_regex(text, _KEY_NOISE, "")
    return pc.if_else(pc.equal(key, ""), _NO_TEXT, key)


def value_keys(values: pa.Array) -> list[pa.Array]:
    """(the whole value, the value without its parenthesised gloss, the gloss) as keys:
    case, whitespace and punctuation do not count (``E-Market`` = ``e market`` = ``emarket``)."""
    text = pc.utf8_lower(pc.utf8_normalize(values.cast(pa.string()), "NFKC"))
    gloss = pc.struct_field(pc.extract_regex(pc.fill_null(text, ""), _GLOSS), [0])
    unglossed = pc.replace_substring_regex(text, _GLOSS, "")
    return [squeeze_key(text), squeeze_key(unglossed), squeeze_key(pc.fill_null(gloss, ""))]


def value_lookup(codes: dict[str, list[str]]) -> dict[str, str]:
    """Key -> code for a field's value aliases (each code and its variants, by their whole key).

    Raises ValueError when two codes share a key: a cell could not say which one it means.
    """
    texts = [(text, code) for code, variants in codes.items() for text in [code, *variants]]
    keys = value_keys(pa.array([text for text, _ in texts], pa.string()))[0].to_pylist()
    lookup: dict[str, str] = {}
    for key, (text, code) in zip(keys, texts, strict=True):
        if key is None:
            raise ValueError(f"{code}: variant {text!r} is only spaces or punctuation")
        if lookup.setdefault(key, code) != code:
            raise ValueError(
                f"{code}: variant {text!r} reads the same as a variant of {lookup[key]}"
                " (case, spaces and punctuation do not count)"
            )
    return lookup


def _map_values(values: pa.Array, context: CastContext) -> pa.Array:
    """Value aliases -> codes. The whole value decides; else the value without its gloss and
    the gloss, only when both are known and agree: a gloss never stands in for an unknown
    value ("อธิบดี (political)" is no political office), nor a value for a gloss saying
    something else (these codes may decide what is published about a person)."""
    lookup = value_lookup(context.value_aliases)
    keys, codes = pa.array(list(lookup), pa.string()), pa.array(list(lookup.values()))
    whole, base, gloss = (
        pc.take(codes, pc.index_in(key, value_set=keys)) for key in value_keys(values)
    )
    agree = pc.fill_null(pc.equal(base, gloss), False)
    mapped = pc.coalesce(whole, pc.if_else(agree, base, _NO_TEXT))
    _count(context, "value_aliases", pc.not_equal(mapped, values))
    return pc.coalesce(mapped, values)


def _only(values: pa.Array, keep: pa.Array) -> pa.Array:
    """Values where ``keep`` holds; null elsewhere (a cast error when the cell had text)."""
    return pc.if_else(pc.fill_null(keep, True), values, pa.scalar(None, values.type))


def cast_integer(values: pa.Array, context: CastContext) -> pa.Array:
    integers = _checked_cast(_amount_text(values, context), _INTEGER, arrow_type("integer"))
    if context.buddhist_era_year:
        buddhist = thai.is_buddhist_year(integers)
        _count(context, "buddhist_era_years", buddhist)
        low, high = context.rules.buddhist_era_window
        inside = pc.and_(pc.greater_equal(integers, low), pc.less_equal(integers, high))
        integers = _only(integers, pc.or_(pc.invert(buddhist), inside))
        integers = thai.buddhist_years_to_ce(integers)
    return integers


def cast_number(values: pa.Array, context: CastContext) -> pa.Array:
    numbers = _checked_cast(_amount_text(values, context), _NUMBER, arrow_type("number"))
    # NaN, Infinity and overflows (1e309 reads as inf) are not amounts; JSON cannot hold them.
    return _only(numbers, pc.is_finite(numbers))


def cast_date(values: pa.Array, context: CastContext) -> pa.Array:
    values = _ascii_digits(values, context)
    iso = pc.fill_null(pc.match_substring_regex(values, r"^(19|20)\d\d-\d\d-\d\d$"), False)
    dates = thai.parse_dates(values)
    low, high = (pa.scalar(day, pa.date32()) for day in context.rules.date_window)
    dates = _only(dates, pc.and_(pc.greater_equal(dates, low), pc.less_equal(dates, high)))
    _count(context, "dates_reformatted", pc.and_(pc.is_valid(dates), pc.invert(iso)))
    return dates


def cast_boolean(values: pa.Array, context: CastContext) -> pa.Array:
    true_values = context.spec_field.get("trueValues", DEFAULT_TRUE)
    false_values = context.spec_field.get("falseValues", DEFAULT_FALSE)
    lookup = pa.array([*true_values, *false_values], pa.string())
    truth = pa.array([True] * len(true_values) + [False] * len(false_values), pa.bool_())
    return pc.take(truth, pc.index_in(values, value_set=lookup))


# One caster per type of pipelines.schema_types (the same keys; tests/test_schema_types.py).
CASTERS: dict[str, Callable[[pa.Array, CastContext], pa.Array]] = {
    "string": cast_string,
    "integer": cast_integer,
    "number": cast_number,
    "date": cast_date,
    "boolean": cast_boolean,
}


# Columns with few distinct values (enums, dates, years) are cast once per distinct value.
DISTINCT_RATIO = 4
MIN_ROWS_FOR_DISTINCT = 1000


def _few_distinct_expected(spec_field: dict[str, Any]) -> bool:
    """Enums, dates, integers and booleans repeat; names, ids and amounts rarely do."""
    if spec_field.get("type") in ("date", "integer", "boolean"):
        return True
    return "enum" in spec_field.get("constraints", {})


def cast_column(values: pa.Array, context: CastContext) -> tuple[pa.Array, pa.Array]:
    """Clean text, then the field type's caster (unknown types: cleaned strings).

    Returns (cleaned text, typed values).
    """
    if _few_distinct_expected(context.spec_field) and len(values) >= MIN_ROWS_FOR_DISTINCT:
        encoded = pc.dictionary_encode(values)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        if len(encoded.dictionary) * DISTINCT_RATIO <= len(values):
            indices = encoded.indices
            counts = np.bincount(
                pc.drop_null(indices).to_numpy(), minlength=len(encoded.dictionary)
            )
            context.weights = pa.array(counts, pa.int64())
            try:
                text, typed = _cast_values(encoded.dictionary, context)
            finally:
                context.weights = None
            return pc.take(text, indices), pc.take(typed, indices)
    return _cast_values(values, context)


def _cast_values(values: pa.Array, context: CastContext) -> tuple[pa.Array, pa.Array]:
    text = thai.clean_text(values)
    _count(context, "whitespace_cleaned", pc.and_(pc.is_valid(text), pc.not_equal(values, text)))
    _count(context, "blank_to_null", pc.and_(pc.is_valid(values), pc.is_null(text)))
    caster = CASTERS.get(field_type(context.spec_field), cast_string)
    return text, caster(text, context)


def cast_errors(
    text: pa.Array, typed: pa.Array, context: CastContext, row_offset: int
) -> list[dict[str, Any]]:
    """Cells with text but no typed value, frictionless-style (row 2 is the first data row)."""
    if pa.types.is_string(typed.type):
        return []
    failed = pc.and_(pc.is_valid(text), pc.is_null(typed))
    positions = pc.indices_nonzero(pc.fill_null(failed, False))
    context.counts["cast_errors"] += len(positions)
    shown = positions[:MAX_ERRORS_PER_FIELD]
    cells = pc.take(text, shown).to_pylist()
    return [
        {
            "row_number": row_offset + index + 2,
            "field": context.name,
            "cell": cell,
            "type": "type-error",
            "note": explain(str(cell), context),
        }
        for index, cell in zip(shown.to_pylist(), cells, strict=True)
    ]


def explain(cell: str, context: CastContext) -> str:
    """Why one cell has no typed value (never quoting it: it may hold personal data)."""
    kind = str(context.spec_field.get("type", "string"))
    rules = context.rules
    if kind in ("integer", "number"):
        text = thai.to_ascii_digits(cell)
        amount = thai.strip_amount_marks(pa.array([text]), rules.decimal_separator)[0].as_py()
        if amount is None:
            return (
                f"separators do not fit normalize.decimal_separator {rules.decimal_separator!r}"
                " (read as is, the amount would be re-scaled)"
            )
        special = amount.lstrip("+-").casefold() in ("nan", "inf", "infinity")
        if not special and not re.fullmatch(_NUMBER, amount):
            return f"not {'an integer' if kind == 'integer' else 'a number'}"
        if special or not math.isfinite(float(amount)):
            return "not a finite number (NaN, Infinity, or beyond the range of a number)"
        if kind == "integer" and not re.fullmatch(_INTEGER, amount):
            return "not an integer (or more than 18 digits)"
        low, high = rules.buddhist_era_window
        return f"Buddhist Era year outside normalize.buddhist_era_window {low}..{high}"
    if kind == "date":
        if thai.parse_date(cell) is not None:
            low_day, high_day = rules.date_window
            return f"date outside normalize.date_window {low_day}..{high_day}"
        return "not a date in a form the pipeline reads"
    if kind == "boolean":
        return "not one of the field's trueValues / falseValues"
    return f"not a valid {kind}"

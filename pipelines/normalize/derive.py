"""Derived fields (``derived:`` in a contract, :mod:`pipelines.contracts.derived`), applied to
the typed columns of a batch after casting, column-wise with pyarrow.

A derived field is computed only when the file lacks its column (or ``override: true``); a
``default`` fills the blank cells of the column, or the whole column when the file has none. A
rule reads the *typed* date (a cell that was no date stays null, and its cast error stands);
the Thai fiscal year comes from :mod:`pipelines.thai`. Each derived field counts the cells it
filled as ``derived_<field>`` in the normalisation counts (Dagster metadata). A blank row (no
text in any column of the file the contract maps) stays blank: nothing is derived into it, so
the schema check still reports it as a blank row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import thai
from pipelines.contracts import DatasetSpec
from pipelines.contracts.derived import DerivedField
from pipelines.schema_types import arrow_type, field_type


def _literal(value: object, rows: int, target: pa.DataType) -> pa.Array:
    return pa.array([value] * rows, target)


def _from_rule(derived: DerivedField, days: pa.Array, target: pa.DataType) -> pa.Array:
    if derived.rule == "fiscal_year":
        values = thai.fiscal_years_of_dates(days)
    elif derived.rule == "calendar_year":
        values = pc.year(days)
    elif pa.types.is_date(target):  # month, as its first day
        values = pc.floor_temporal(days, unit="month")
    else:  # month as YYYY-MM
        values = pc.strftime(days, format="%Y-%m")
    return pc.cast(values, target)


def _from_cases(
    derived: DerivedField, arrays: Mapping[str, pa.Array], rows: int, target: pa.DataType
) -> pa.Array:
    result = pa.nulls(rows, target)
    if derived.otherwise is not None:
        result = _literal(derived.otherwise, rows, target)
    for case in reversed(derived.cases or []):  # the first case that holds wins
        present = pc.is_valid(arrays[case.when_present])
        result = pc.if_else(present, pa.scalar(case.value, target), result)
    return result


def blank_rows(
    raw: pa.RecordBatch, arrays: Mapping[str, pa.Array], filled: str | None
) -> pa.Array | None:
    """Rows with no text in any column of the file the contract maps (``filled``: a column the
    pipeline added), blank in the clean table as the schema check sees it; None when there is
    none. Typed nulls pick the candidates; their text decides."""
    names = [name for name in raw.schema.names if name != filled and name in arrays]
    candidate = pa.array(np.ones(raw.num_rows, dtype=bool))
    for name in names:
        candidate = pc.and_(candidate, pc.is_null(arrays[name]))
    positions = pc.indices_nonzero(candidate)
    if not len(positions):
        return None
    blank = pa.array(np.ones(len(positions), dtype=bool))
    for name in names:
        text = thai.clean_text(pc.take(raw.column(name), positions).cast(pa.string()))
        blank = pc.and_(blank, pc.is_null(text))
    mask = np.zeros(raw.num_rows, dtype=bool)
    mask[pc.filter(positions, blank).to_numpy()] = True
    return pa.array(mask) if mask.any() else None


def derive(
    arrays: dict[str, pa.Array],
    spec: DatasetSpec,
    raw: pa.RecordBatch,
    counts: Counter[str],
    filled: str | None = None,
) -> None:
    """Fill the contract's derived fields in ``arrays`` (typed columns by name), in the order
    the contract lists them (a field may read one derived before it). ``raw``: the batch as
    read (its columns say what the file has); ``filled``: a column of it the pipeline added
    (the partition's agency code)."""
    present = set(raw.schema.names)
    rows = raw.num_rows
    blank_row = blank_rows(raw, arrays, filled)
    for name, derived in spec.derived.items():
        target = arrow_type(field_type(spec.field(name)))
        current = arrays[name]
        if derived.default is not None:
            if name in present:
                blank = pc.is_null(thai.clean_text(raw.column(name)))
                defaulted = pc.if_else(blank, pa.scalar(derived.default, target), current)
            else:
                blank = pa.array([True] * rows)
                defaulted = _literal(derived.default, rows, target)
            if blank_row is not None:
                blank = pc.and_(blank, pc.invert(blank_row))
                defaulted = pc.if_else(blank_row, pa.scalar(None, target), defaulted)
            counts[f"derived_{name}"] += pc.sum(blank).as_py() or 0
            arrays[name] = defaulted
            continue
        if name in present and not derived.override:
            continue  # the file wins
        if derived.constant is not None:
            values = _literal(derived.constant, rows, target)
        elif derived.from_ is not None:
            values = _from_rule(derived, arrays[derived.from_], target)
        else:
            values = _from_cases(derived, arrays, rows, target)
        if blank_row is not None:
            values = pc.if_else(blank_row, pa.scalar(None, target), values)
        counts[f"derived_{name}"] += pc.sum(pc.is_valid(values)).as_py() or 0
        arrays[name] = values

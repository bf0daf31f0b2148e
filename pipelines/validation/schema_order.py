"""The order in which frictionless emits a table's errors, replayed on errors found in any order.

Header errors come first, then row by row. Within a row frictionless reads cells lazily: the
cells of key fields are read (and their errors emitted) when the unique, primary-key and
foreign-key checks need them, and the first integrity error makes it read the whole row. Each
error found by the scan (:mod:`pipelines.validation.schema_scan`) is recorded as an *event*
``(phase, order, error)``; :func:`in_row_order` turns one row's events into frictionless's
sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.validation.errors import SchemaError
from pipelines.validation.schema_compile import CompiledField

# Error phases inside one row, in frictionless's order (table/row.py, resources/table.py).
CELL, EXTRA, MISSING, UNIQUE, PRIMARY, FOREIGN = range(6)
Event = tuple[int, int, SchemaError]  # (phase, order inside the phase, error)


@dataclass(frozen=True, slots=True)
class IntegrityPlan:
    """Which fields frictionless reads, one by one, before it processes a whole row."""

    fields: list[int]  # every expected field number, in order
    unique: list[int]
    primary_key: list[int] | None
    foreign_keys: list[tuple[int, list[int]]]  # (foreign key index, its field numbers)


def integrity_plan(fields: Sequence[CompiledField], schema: Any) -> IntegrityPlan:
    """The plan of the expected ``fields`` of a ``frictionless.Schema``."""
    numbers = {item.name: item.number for item in fields}
    unique = [item.number for item in fields if item.frictionless_field.constraints.get("unique")]
    key = list(schema.primary_key)
    primary = [numbers[name] for name in key] if key and set(key) <= set(numbers) else None
    foreign = [
        (order, [numbers[name] for name in fk["fields"]])
        for order, fk in enumerate(schema.foreign_keys)
        if set(fk["fields"]) <= set(numbers)
    ]
    return IntegrityPlan([item.number for item in fields], unique, primary, foreign)


def in_row_order(events: Sequence[Event], plan: IntegrityPlan) -> list[SchemaError]:
    """Replay frictionless's row processing: a row's cells are read lazily, so the key fields'
    cell errors come first, and the first integrity error triggers reading the whole row
    (remaining cells, extra cells, missing cells; a blank row keeps only its blank-row error).
    """
    cells: dict[int, list[SchemaError]] = {}
    tail: list[tuple[int, int, SchemaError]] = []
    blank: list[SchemaError] = []
    integrity: dict[tuple[int, int], SchemaError] = {}
    for phase, order, error in events:
        if error.type == "blank-row":
            blank.append(error)
        elif phase == CELL:
            cells.setdefault(order, []).append(error)
        elif phase in (EXTRA, MISSING):
            tail.append((phase, order, error))
        else:
            integrity[(phase, order)] = error
    out: list[SchemaError] = []
    read: set[int] = set()
    whole = False

    def read_cell(number: int) -> None:
        if not whole and number not in read:
            read.add(number)
            out.extend(cells.get(number, []))

    def read_row() -> None:
        nonlocal whole, out
        if whole:
            return
        for number in plan.fields:
            read_cell(number)
        out.extend(error for _, _, error in sorted(tail, key=lambda item: item[:2]))
        if blank:
            out = list(blank)
        whole = True

    def check(numbers: list[int], key: tuple[int, int]) -> None:
        for number in numbers:
            read_cell(number)
        if key in integrity:
            read_row()
            out.append(integrity[key])

    for number in plan.unique:
        check([number], (UNIQUE, number))
    if plan.primary_key is not None:
        check(plan.primary_key, (PRIMARY, 0))
    for order, numbers in plan.foreign_keys:
        check(numbers, (FOREIGN, order))
    read_row()
    return out


def ordered(events: dict[int, list[Event]], plan: IntegrityPlan) -> list[SchemaError]:
    """Every row's errors, rows in order, each row as frictionless emits it."""
    return [error for row in sorted(events) for error in in_row_order(events[row], plan)]


__all__ = [
    "CELL",
    "EXTRA",
    "FOREIGN",
    "MISSING",
    "PRIMARY",
    "UNIQUE",
    "Event",
    "IntegrityPlan",
    "in_row_order",
    "integrity_plan",
    "ordered",
]

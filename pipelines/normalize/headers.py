"""Header aliasing: Thai and English header variants -> canonical column names.

Headers are compared by a key that ignores case, spacing, ``_``/``-`` and Unicode
composition (NFKC, so a Thai ``ำ`` typed as ``ํ`` + ``า`` still matches).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipelines.contracts import DatasetSpec
from pipelines.thai import INVISIBLE

_IGNORED = re.compile(rf"[\s_\-{INVISIBLE}]+")


def header_key(text: object) -> str:
    return _IGNORED.sub("", unicodedata.normalize("NFKC", str(text or "")).casefold())


@dataclass(frozen=True)
class HeaderMap:
    """Alias key -> canonical name, from the contract's aliases, field names and titles."""

    aliases: dict[str, str]

    @classmethod
    def from_spec(cls, spec: DatasetSpec) -> HeaderMap:
        aliases: dict[str, str] = {}
        for field in spec.fields:
            name = field["name"]
            variants = [name, field.get("title"), field.get("title_th")]
            for variant in [*variants, *spec.aliases.columns.get(name, [])]:
                if variant:
                    aliases.setdefault(header_key(variant), name)
        return cls(aliases)

    def canonical(self, header: object) -> str | None:
        return self.aliases.get(header_key(header))

    def matches(self, row: Iterable[object]) -> int:
        return sum(self.canonical(cell) is not None for cell in row if cell not in (None, ""))

    def find_header_row(self, rows: Sequence[Sequence[object]]) -> int:
        """Index of the header among the first rows: the first row naming >= 2 known columns
        (title rows above it name none). Defaults to 0."""
        for index, row in enumerate(rows):
            if self.matches(row) >= min(2, len(self.aliases)):
                return index
        return 0

    def rename(self, headers: Sequence[object]) -> tuple[list[str], list[str], int]:
        """Canonical names for the headers; unknown headers keep a ``_unknown_<position>`` name.

        Returns (names, unknown headers, how many were aliased from another spelling).
        Raises :class:`DuplicateHeaderError` when two columns map to the same field: which one
        holds the data cannot be guessed, and dropping either would lose it silently.
        """
        names: list[str] = []
        unknown: list[str] = []
        aliased = 0
        first: dict[str, int] = {}
        for position, header in enumerate(headers):
            name = self.canonical(header)
            if name is None:
                unknown.append(str(header))
                names.append(f"_unknown_{position}")
                continue
            if name in first:
                earlier = first[name]
                raise DuplicateHeaderError(name, (earlier, headers[earlier]), (position, header))
            first[name] = position
            aliased += str(header).strip() != name
            names.append(name)
        return names, unknown, aliased


class DuplicateHeaderError(ValueError):
    """Two columns of one file map to the same field; the message names both (1-based)."""

    def __init__(self, field: str, first: tuple[int, object], second: tuple[int, object]) -> None:
        self.field = field
        self.columns = (first[0] + 1, second[0] + 1)
        super().__init__(
            f"columns {first[0] + 1} ({_short(first[1])!r}) and {second[0] + 1} "
            f"({_short(second[1])!r}) both name field {field!r}: keep one"
        )


def _short(header: object, limit: int = 60) -> str:
    text = str(header).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"

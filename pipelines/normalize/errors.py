"""The one error a steward sees when a received file cannot be read at all."""

from __future__ import annotations

from pathlib import Path


class NormalizeError(Exception):
    """A file that cannot be normalized; names the file and, where known, the row and field.

    Messages never quote cell contents: a broken row may hold personal data.
    """

    def __init__(
        self, path: Path | str, problem: str, *, row: int | None = None, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.row = row
        self.field = field
        where = "".join(
            [f", row {row}" if row is not None else "", f", field {field!r}" if field else ""]
        )
        super().__init__(f"{self.path}{where}: {problem}")

"""Normalization: whatever an agency sends -> a typed clean table in canonical columns.

Steps, per received file: encoding (UTF-8 with or without BOM, else cp874/TIS-620), CSV
dialect, or XLSX sheet, or OCDS releases; header row detection (title rows above the header
are skipped); header aliasing to canonical names (the contract's ``aliases.columns``, field
names and titles); cell cleanup (whitespace, zero-width characters); then a cast per Table
Schema type (:mod:`pipelines.normalize.cast`): Thai digits, Buddhist Era dates and years,
amounts with separators and ``บาท``, value aliases for enums. Identifiers stay strings.

Contract with validation — **cast errors**: a cell with text that cannot be typed becomes
null in the typed column and is listed in ``NormalizeResult.cast_errors`` (written to
``cast_errors.json`` beside the clean table) as::

    {"row_number": 7, "field": "budget", "cell": "ประมาณ 5 ล้าน", "type": "type-error",
     "note": "not a number"}

Values that cannot be true are cast errors too, with a note saying why: ``NaN``/``Infinity``/
overflow, Buddhist Era years and dates outside the contract's ``normalize`` windows, amounts
in the other decimal convention (see :mod:`pipelines.normalize.cast`).

``row_number`` counts like frictionless: the header is row 1, the first data row is row 2,
through the concatenated clean table of the partition. At most 1000 errors per field are
listed; ``counts["cast_errors"]`` holds the total. Nothing is silently dropped: a missing
column is added as nulls and named in ``missing_columns``; unknown columns are left out and
named in ``unknown_columns``.

A file that cannot be read at all (truncated mid-row, undecodable, an XLSX that is not a zip)
or must not be (an XLSX over its size budget or with a DTD, NUL bytes, two columns naming one
field, a formula saved without its value, a row over 100 KB) raises :class:`NormalizeError`
naming the file and, where known, the row and field.
"""

from pipelines.layout import CleanFiles, clean_dir, clean_files
from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.output import write_clean
from pipelines.normalize.table import (
    NormalizeResult,
    arrow_schema,
    normalize_file,
    normalize_files,
)

__all__ = [
    "CleanFiles",
    "NormalizeError",
    "NormalizeResult",
    "arrow_schema",
    "clean_dir",
    "clean_files",
    "normalize_file",
    "normalize_files",
    "write_clean",
]

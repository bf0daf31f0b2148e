"""Write a clean partition: Parquet + UTF-8 CSV, with the cast errors and counts beside them
(where: :func:`pipelines.layout.clean_files`).

Files are written to a temporary name and renamed, so a crash never leaves half a table where
the previous clean version was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.files import replace_atomically
from pipelines.layout import CleanFiles, clean_files
from pipelines.normalize.table import NormalizeResult


def write_clean(
    result: NormalizeResult, data_dir: Path, family: str, agency: str | None
) -> CleanFiles:
    files = clean_files(data_dir, family, agency)
    files.parquet.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(files.parquet, lambda p: pq.write_table(result.table, p, compression="zstd"))
    replace_atomically(files.csv, lambda p: pacsv.write_csv(result.table, p))
    errors = json.dumps(result.cast_errors, ensure_ascii=False, indent=1, allow_nan=False)
    replace_atomically(files.cast_errors, lambda p: p.write_text(errors, encoding="utf-8"))
    summary = json.dumps(
        {**result.metadata(), "sources": result.sources},
        ensure_ascii=False,
        indent=1,
        allow_nan=False,
    )
    replace_atomically(files.normalization, lambda p: p.write_text(summary, encoding="utf-8"))
    return files

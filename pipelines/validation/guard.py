"""The privacy guard's pass at the gate: findings made while the table streamed are completed
by masking the publishable table (or, when the guard has yet to read it, by a scan)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.validation.privacy import PrivacyPolicy, PrivacyResult, scan_batches
from pipelines.validation.publishable import PublishableWriter
from pipelines.validation.tables import TYPED_ROW_GROUP


def _typed_batches(typed: pa.Table | Path, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
    """The typed table in batches; only ``columns`` when given (None: all)."""
    if isinstance(typed, pa.Table):
        table = typed if columns is None else typed.select(columns)
        yield from table.to_batches(max_chunksize=TYPED_ROW_GROUP)
    else:
        parquet = pq.ParquetFile(typed)
        yield from parquet.iter_batches(batch_size=TYPED_ROW_GROUP, columns=columns)


def _privacy_columns(policy: PrivacyPolicy, names: Sequence[str], scanned: list[str]) -> list[str]:
    """The columns the guard reads: those it scans and those its rules' conditions test."""
    wanted = set(scanned) | {
        column for rule in policy.personal_data for column in [*rule.when, *rule.unless]
    }
    return [name for name in names if name in wanted]


def guard(
    typed: pa.Table | Path,
    policy: PrivacyPolicy,
    string_fields: list[str],
    found: PrivacyResult | None,
    writer: PublishableWriter | None,
) -> PrivacyResult:
    """The privacy guard's result, and the masked publishable table written when ``writer`` is
    given. Findings already made while the table streamed are not searched for again: only
    the columns where they are are scanned, to mask them (or nothing is read, when blocked)."""
    if found is None:
        # A partition blocked whatever the guard finds needs no publishable table: read less.
        columns = None if writer else _privacy_columns(policy, _names(typed), string_fields)
        return scan_batches(
            _typed_batches(typed, columns), policy, columns=string_fields, sink=writer
        )
    if writer is not None:
        flagged = {finding.column for finding in found.findings}
        masked = [name for name in string_fields if name in flagged]
        scan_batches(_typed_batches(typed, None), policy, columns=masked, sink=writer)
    return found


def _names(typed: pa.Table | Path) -> list[str]:
    return typed.column_names if isinstance(typed, pa.Table) else pq.read_schema(typed).names

"""Received files -> one typed clean table for a family x agency partition."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts import DatasetSpec, FileSource, HttpSource
from pipelines.contracts.models import AnySource
from pipelines.normalize.cast import MAX_ERRORS_PER_FIELD, CastContext, cast_column, cast_errors
from pipelines.normalize.derive import derive
from pipelines.normalize.headers import HeaderMap
from pipelines.normalize.readers import RawTable, read_raw
from pipelines.normalize.resolve import Registry, load_registry, resolve_column
from pipelines.schema_types import arrow_type, field_type
from pipelines.settings import get_settings
from pipelines.validation.personal_text import mask_texts
from pipelines.validation.privacy import PrivacyPolicy, scan_raw

# pyarrow kernels release the GIL: casting columns side by side uses every core.
WORKERS = 4


@dataclass
class NormalizeResult:
    """A typed table, what normalization did (counts), and the cells it could not type."""

    table: pa.Table
    counts: Counter[str] = field(default_factory=Counter)
    cast_errors: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    # Personal data in the text as received (every column, mapped or not, before casting):
    # {"file", "row_number", "column", "kind", "mapped"} — never the value. The gate decides.
    personal_data: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def metadata(self) -> dict[str, Any]:
        """Plain values for Dagster metadata and the CLI summary."""
        return {
            "rows": self.rows,
            "files": len(self.sources),
            "cast_errors": len(self.cast_errors),
            "personal_data": len(self.personal_data),
            # A header may itself be personal data (an e-mail, an ID): masked like any cell.
            "unknown_columns": mask_texts(self.unknown_columns),
            "missing_columns": self.missing_columns,
            "normalizations": dict(sorted(self.counts.items())),
        }


def arrow_schema(spec: DatasetSpec) -> pa.Schema:
    return pa.schema([(f["name"], arrow_type(field_type(f))) for f in spec.fields])


def _registries(spec: DatasetSpec) -> dict[str, Registry]:
    """The registry each resolved field's names are looked up in (``normalize.resolve``)."""
    datasets_dir = get_settings().datasets_dir
    return {
        name: load_registry(datasets_dir, registry)
        for name, registry in spec.normalize.resolve.items()
    }


def _cast_batch(
    batch: pa.RecordBatch,
    spec: DatasetSpec,
    row_offset: int,
    pool: ThreadPoolExecutor,
    registries: dict[str, Registry],
    filled: str | None = None,
) -> tuple[list[pa.Array], list[dict[str, Any]], Counter[str]]:
    present = set(batch.schema.names)

    def cast_one(spec_field: dict[str, Any]) -> tuple[pa.Array, list[dict[str, Any]], Counter[str]]:
        name = spec_field["name"]
        if name not in present:
            target = arrow_type(field_type(spec_field))
            return pa.nulls(batch.num_rows, target), [], Counter()
        context = CastContext(
            spec_field=spec_field,
            value_aliases=spec.aliases.values.get(name, {}),
            buddhist_era_year=name in spec.normalize.buddhist_era_year_fields,
            rules=spec.normalize,
        )
        text, typed = cast_column(batch.column(name), context)
        errors = cast_errors(text, typed, context, row_offset)
        if name in registries and name != filled:  # a filled-in partition key is a code
            typed, unknown, renamed = resolve_column(typed, registries[name], name, row_offset)
            errors += unknown
            context.counts["cast_errors"] += len(unknown)
            context.counts[f"resolved_{name}"] += renamed
        return typed, errors, context.counts

    arrays: dict[str, pa.Array] = {}
    errors: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for spec_field, (typed, field_errors, field_counts) in zip(
        spec.fields, pool.map(cast_one, spec.fields), strict=True
    ):
        arrays[spec_field["name"]] = typed
        errors.extend(field_errors)
        counts.update(field_counts)
    if spec.derived:
        derive(arrays, spec, batch, counts, filled)
    return list(arrays.values()), errors, counts


def _scan_raw(
    batch: pa.RecordBatch,
    raw: RawTable,
    policy: PrivacyPolicy,
    first_row_number: int,
    file: str | None,
    pool: ThreadPoolExecutor,
    numeric: frozenset[str] = frozenset(),
) -> list[Future[list[dict[str, Any]]]]:
    """The personal-data guard over every column of a raw batch, one column per worker (it
    runs beside the cast of the same batch)."""

    def one(name: str) -> list[dict[str, Any]]:
        return scan_raw(
            batch,
            policy,
            first_row_number=first_row_number,
            file=file,
            unknown_headers=raw.unknown_headers,
            columns=[name],
            numeric_columns=numeric,
        )

    return [pool.submit(one, name) for name in batch.schema.names]


def _typed(
    raw: RawTable,
    spec: DatasetSpec,
    agency: str | None,
    row_offset: int,
    file: str | None = None,
) -> NormalizeResult:
    schema = arrow_schema(spec)
    result = NormalizeResult(pa.Table.from_batches([], schema=schema))
    result.counts["aliased_headers"] += raw.aliased_headers
    result.unknown_columns = raw.unknown_columns
    fill = spec.normalize.partition_field
    fill = fill if fill and fill not in raw.columns and agency is not None else None
    present = {*raw.columns, *([fill] if fill else [])}
    present |= set(spec.derived)  # computed when the file has no such column
    result.missing_columns = [name for name in spec.field_names if name not in present]
    typed_batches: list[pa.RecordBatch] = []
    offset = row_offset
    policy = PrivacyPolicy.from_spec(spec.privacy)
    numeric = frozenset(f["name"] for f in spec.fields if f.get("type") in ("integer", "number"))
    registries = _registries(spec)
    with ThreadPoolExecutor(WORKERS) as pool:
        for batch in raw.batches:
            scanned = _scan_raw(
                batch,
                raw,
                policy,
                offset + 2,
                mask_texts([file])[0] if file else None,
                pool,
                numeric,
            )
            if fill:
                column = pa.array([agency] * batch.num_rows, pa.string())
                batch = batch.append_column(fill, column)
                result.counts["partition_field_filled"] += batch.num_rows
            arrays, errors, counts = _cast_batch(batch, spec, offset, pool, registries, fill)
            if agency is not None and not fill and spec.normalize.partition_field in raw.columns:
                errors += _not_of_this_partition(arrays, spec, agency, offset, counts)
            typed_batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
            result.cast_errors.extend(errors)
            result.personal_data += [item for future in scanned for item in future.result()]
            result.counts.update(counts)
            offset += batch.num_rows
            # Hand the batch's scratch memory back, so peak RSS tracks the typed result.
            pa.default_memory_pool().release_unused()
    result.table = pa.Table.from_batches(typed_batches, schema=schema)
    _cap_errors(result)
    return result


def _not_of_this_partition(
    arrays: list[pa.Array], spec: DatasetSpec, agency: str, row_offset: int, counts: Counter[str]
) -> list[dict[str, Any]]:
    """Rows an agency's file gives to another agency are not its data: they are cast errors of
    the partition field (the cell left empty, so the row is invalid), never published as the
    sending agency's. Only the first MAX_ERRORS_PER_FIELD are listed; the count keeps them all."""
    name = str(spec.normalize.partition_field)
    index = spec.field_names.index(name)
    column = arrays[index]
    other = pc.fill_null(pc.not_equal(column, pa.scalar(agency, column.type)), False)
    positions = pc.indices_nonzero(other)
    if not len(positions):
        return []
    counts["cast_errors"] += len(positions)
    counts[f"{name}_of_another_partition"] += len(positions)
    shown = positions[:MAX_ERRORS_PER_FIELD]
    cells = pc.take(column, shown).to_pylist()
    arrays[index] = pc.if_else(other, pa.scalar(None, column.type), column)
    return [
        {
            "row_number": row_offset + position + 2,
            "field": name,
            "cell": cell,
            "type": "type-error",
            "note": f"this row belongs to agency {cell!r}, not to {agency!r} whose file it is in",
        }
        for position, cell in zip(shown.to_pylist(), cells, strict=True)
    ]


def _cap_errors(result: NormalizeResult) -> None:
    """At most MAX_ERRORS_PER_FIELD listed per field across batches (the count keeps them all)."""
    seen: Counter[str] = Counter()
    kept = []
    for error in result.cast_errors:
        seen[error["field"]] += 1
        if seen[error["field"]] <= MAX_ERRORS_PER_FIELD:
            kept.append(error)
    result.cast_errors = kept


def normalize_file(
    path: Path,
    spec: DatasetSpec,
    *,
    agency: str | None = None,
    sheet: str | None = None,
    row_offset: int = 0,
    source: AnySource | None = None,
) -> NormalizeResult:
    """One received file -> typed table. Raises NormalizeError when the file is unreadable.
    ``source``: the one it came from (default: the agency's in the contract); its ``format``
    says how JSON is read."""
    if source is None:
        with contextlib.suppress(LookupError):
            source = spec.source_for(agency or "")
    json_source = source if isinstance(source, FileSource | HttpSource) else None
    raw = read_raw(Path(path), HeaderMap.from_spec(spec), sheet=sheet, source=json_source)
    result = _typed(raw, spec, agency, row_offset, Path(path).name)
    result.sources = [
        mask_texts([str(path)])[0]
    ]  # shown in Dagster metadata: a name may be personal
    if raw.encoding:
        result.counts[f"encoding_{raw.encoding}"] += 1
    if raw.header_row:
        result.counts["title_rows_skipped"] += raw.header_row
    return result


def normalize_files(
    paths: Sequence[Path],
    spec: DatasetSpec,
    *,
    agency: str | None = None,
    sheet: str | None = None,
    source: AnySource | None = None,
) -> NormalizeResult:
    """Several received files of one partition (e.g. one per fiscal year) -> one table.

    Row numbers in cast errors count through the concatenated table, as the clean CSV has them.
    """
    combined = NormalizeResult(pa.Table.from_batches([], schema=arrow_schema(spec)))
    for path in paths:
        part = normalize_file(
            path, spec, agency=agency, sheet=sheet, row_offset=combined.rows, source=source
        )
        combined.table = pa.concat_tables([combined.table, part.table])
        combined.counts.update(part.counts)
        combined.cast_errors.extend(part.cast_errors)
        combined.personal_data.extend(part.personal_data)
        combined.sources.extend(part.sources)
        combined.unknown_columns = _union(combined.unknown_columns, part.unknown_columns)
        combined.missing_columns = _union(combined.missing_columns, part.missing_columns)
    return combined


def _union(first: list[str], second: list[str]) -> list[str]:
    return [*first, *(item for item in second if item not in first)]

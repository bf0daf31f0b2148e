"""The clean stage of one family x agency partition: the latest landed files -> clean table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import DatasetSpec, FileSource, HttpSource
from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.output import CleanFiles, write_clean
from pipelines.normalize.table import NormalizeResult, normalize_files
from pipelines.sources.landing import LandingArea


@dataclass(frozen=True)
class CleanPartition:
    result: NormalizeResult
    files: CleanFiles


def clean(spec: DatasetSpec, agency: str | None, data_dir: Path) -> CleanPartition:
    """Normalize what the latest pull landed and write Parquet + CSV (+ cast errors)."""
    landing = LandingArea(data_dir, spec.name, agency)
    landed = landing.latest()
    if not landed:
        raise NormalizeError(landing.root, "nothing landed yet: run the raw stage first")
    source = spec.source_for(agency or "")
    sheet = source.sheet if isinstance(source, FileSource | HttpSource) else None
    landed = sorted(landed, key=lambda file: file.provenance.source)
    try:
        paths = [file.path for file in landed]
        result = normalize_files(paths, spec, agency=agency, sheet=sheet, source=source)
    except NormalizeError as error:
        sources = {str(file.path): file.provenance.source for file in landed}
        raise _named_by_source(error, sources) from None
    return CleanPartition(result, write_clean(result, data_dir, spec.name, agency))


def _named_by_source(error: NormalizeError, sources: dict[str, str]) -> NormalizeError:
    """Name the file as the agency sent it, not by its content hash in the landing area."""
    source = sources.get(error.path)
    if source is None:
        return error
    landed_as = Path(error.path).name[:12]
    return NormalizeError(
        f"{source} (raw {landed_as}…)", error.problem, row=error.row, field=error.field
    )

"""Source connectors: each pulls raw bytes plus provenance into the landing area.

One module per connector kind (``file``, ``http``, ``ckan``, ``ocds``, ``sql``);
:func:`pull_source` dispatches on the contract's ``kind``.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts import (
    AnySource,
    CkanSource,
    FileSource,
    HttpSource,
    OcdsSource,
    SqlSource,
)
from pipelines.settings import REPO_ROOT
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandedFile, LandingArea, Provenance


def pull_source(
    source: AnySource, landing: LandingArea, *, base_dir: Path = REPO_ROOT
) -> list[LandedFile]:
    """Land what the source holds; returns the files of this pull (new or already received)."""
    from pipelines.sources import ckan, file, http, ocds, sql

    if isinstance(source, FileSource):
        files = file.pull(source, landing, base_dir=base_dir)
    elif isinstance(source, HttpSource):
        files = http.pull(source, landing)
    elif isinstance(source, CkanSource):
        files = ckan.pull(source, landing)
    elif isinstance(source, OcdsSource):
        files = ocds.pull(source, landing, base_dir=base_dir)
    elif isinstance(source, SqlSource):
        files = sql.pull(source, landing)
    else:  # pragma: no cover - the contract's discriminated union makes this unreachable
        raise SourceError(str(source), "unknown source kind")
    landing.record_latest(files)
    return files


__all__ = ["LandedFile", "LandingArea", "Provenance", "SourceError", "pull_source"]

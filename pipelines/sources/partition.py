"""The raw stage of one family x agency partition: its source, landed with provenance.

An agency that has sent nothing yet (its drop folder holds no file matching the contract's
pattern) is a normal state, not an error: :class:`AwaitingData` says so. It is a
:class:`SourceError`, so callers that only know that one treat it as before.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts import DatasetSpec, FileSource, OcdsSource
from pipelines.settings import REPO_ROOT
from pipelines.sources import pull_source
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandedFile, LandingArea

# What the file connector (pipelines/sources/file.py) says of a pattern matching nothing.
NO_FILE = "no file matches"


class AwaitingData(SourceError):  # noqa: N818 - a state, not a fault: reads as what it means
    """No file received yet for this partition."""

    def __init__(self, source: str) -> None:
        super().__init__(source, "no file received yet (awaiting data)")


def land(
    spec: DatasetSpec, agency: str | None, data_dir: Path, *, base_dir: Path = REPO_ROOT
) -> list[LandedFile]:
    """Pull the agency's source (``agency=None``: an unpartitioned family's default source).

    Raises :class:`AwaitingData` when a drop-folder source holds no file yet."""
    source = spec.source_for(agency) if agency else spec.source_for("")
    try:
        return pull_source(source, LandingArea(data_dir, spec.name, agency), base_dir=base_dir)
    except SourceError as error:
        if isinstance(source, FileSource | OcdsSource) and error.problem == NO_FILE:
            raise AwaitingData(error.source) from None
        raise

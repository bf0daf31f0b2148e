"""The raw stage of one family x agency partition: its source, landed with provenance."""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts import DatasetSpec
from pipelines.settings import REPO_ROOT
from pipelines.sources import pull_source
from pipelines.sources.landing import LandedFile, LandingArea


def land(
    spec: DatasetSpec, agency: str | None, data_dir: Path, *, base_dir: Path = REPO_ROOT
) -> list[LandedFile]:
    """Pull the agency's source (``agency=None``: an unpartitioned family's default source)."""
    source = spec.source_for(agency) if agency else spec.source_for("")
    return pull_source(source, LandingArea(data_dir, spec.name, agency), base_dir=base_dir)

"""``file`` connector: files an agency drops in a folder (a path or a glob)."""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts import FileSource
from pipelines.settings import REPO_ROOT
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandedFile, LandingArea, file_chunks


def matching_files(pattern: str, base_dir: Path = REPO_ROOT) -> list[Path]:
    """Files matching a glob; relative patterns are relative to ``base_dir``."""
    path = Path(pattern)
    if path.is_absolute():
        root, relative = Path(path.anchor), str(path.relative_to(path.anchor))
    else:
        root, relative = base_dir, pattern
    return sorted(p for p in root.glob(relative) if p.is_file() and not p.name.startswith("."))


def pull(
    source: FileSource, landing: LandingArea, *, base_dir: Path = REPO_ROOT
) -> list[LandedFile]:
    files = matching_files(source.path, base_dir)
    if not files:
        raise SourceError(source.path, "no file matches")
    return [
        landing.store(file_chunks(path), source=_display(path, base_dir), ext=path.suffix)
        for path in files
    ]


def _display(path: Path, base_dir: Path) -> str:
    try:
        return str(path.relative_to(base_dir))
    except ValueError:
        return str(path)

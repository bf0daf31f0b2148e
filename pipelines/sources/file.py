"""``file`` connector: files an agency drops in a folder (a path or a glob)."""

from __future__ import annotations

import stat
from pathlib import Path

from pipelines.contracts import FileSource
from pipelines.settings import REPO_ROOT
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandedFile, LandingArea, NotRegularFileError, file_chunks


def _entries(pattern: str, base_dir: Path) -> list[Path]:
    path = Path(pattern)
    if path.is_absolute():
        root, relative = Path(path.anchor), str(path.relative_to(path.anchor))
    else:
        root, relative = base_dir, pattern
    return sorted(p for p in root.glob(relative) if not p.name.startswith("."))


def refusal(path: Path) -> str | None:
    """Why a drop-folder entry is not taken: only regular files are, never what a link points
    to (it could be any file on the machine) nor FIFOs or devices (reads that block or never
    end). None for a regular file; folders are not entries."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return "vanished while listed"
    if stat.S_ISLNK(mode):
        return "a symbolic link: refused (drop the file itself)"
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    return "not a regular file (FIFO, socket or device): refused"


def matching_files(pattern: str, base_dir: Path = REPO_ROOT) -> list[Path]:
    """Regular files matching a glob; relative patterns are relative to ``base_dir``.

    Links and special files are left out here (the sensor's listing); :func:`pull` refuses them.
    """
    return [
        p
        for p in _entries(pattern, base_dir)
        if refusal(p) is None and stat.S_ISREG(p.lstat().st_mode)
    ]


def pull(
    source: FileSource, landing: LandingArea, *, base_dir: Path = REPO_ROOT
) -> list[LandedFile]:
    entries = _entries(source.path, base_dir)
    refused = [(p, reason) for p in entries if (reason := refusal(p)) is not None]
    if refused:
        path, reason = refused[0]
        others = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise SourceError(_display(path, base_dir), f"{reason}{others}")
    files = [p for p in entries if p.is_file()]
    if not files:
        raise SourceError(source.path, "no file matches")
    landed = []
    for path in files:
        try:
            landed.append(
                landing.store(file_chunks(path), source=_display(path, base_dir), ext=path.suffix)
            )
        except NotRegularFileError:  # replaced by a link or FIFO since it was listed
            raise SourceError(_display(path, base_dir), "not a regular file: refused") from None
    return landed


def _display(path: Path, base_dir: Path) -> str:
    try:
        return str(path.relative_to(base_dir))
    except ValueError:
        return str(path)

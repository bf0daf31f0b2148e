"""Writing files so that a crash never leaves half a file where the last good one was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Let ``write`` fill a hidden sibling of ``path``, then rename it over ``path``."""
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    partial.replace(path)
    return path
